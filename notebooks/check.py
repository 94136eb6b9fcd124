#!/usr/bin/env python3
"""Executes notebooks headless and fails on any error that nbconvert itself lets pass.

nbconvert reports a cell as fine when a GoNB `!` shell command fails, and (with older GoNB) when a Go
cell panics: those only show up as text in the cell's output. This checker executes each notebook
with --allow-errors, then reads every output: an `error` output, or a stream with `panic:` or
`exit status N`, fails the run. With --require-table it also asserts the executed notebook shows at
least one HTML table inline.

    python3 notebooks/check.py [--kernel go-lab-cpu] [--timeout 900] [--require-table] NOTEBOOK...
    python3 notebooks/check.py --expect-failure notebooks/testdata/*.ipynb   # the checker's self-test
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

BAD_STREAM = re.compile(r"panic:|exit status \d+|^Error:|cannot find package|undefined: ", re.M)


def problems(nb, require_table):
    found = []
    tables = 0
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream":
                text = "".join(out.get("text", ""))
                m = BAD_STREAM.search(text)
                if m:
                    line = text[max(0, m.start() - 80):m.end() + 120].strip()
                    found.append(f"cell {i}: {out.get('name')} says: {line}")
            elif kind in ("display_data", "execute_result", "update_display_data"):
                html = "".join(out.get("data", {}).get("text/html", ""))
                tables += html.count("<table")
    if require_table and tables == 0:
        found.append("no HTML table was displayed")
    return found, tables


def execute(path, kernel, timeout):
    out_dir = tempfile.mkdtemp(prefix="nbcheck-")
    name = os.path.basename(path)
    cmd = ["jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
           f"--ExecutePreprocessor.timeout={timeout}", f"--ExecutePreprocessor.kernel_name={kernel}",
           "--output-dir", out_dir, "--output", name, path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    executed = os.path.join(out_dir, name)
    if proc.returncode != 0 or not os.path.exists(executed):
        return None, f"nbconvert failed ({proc.returncode}): {proc.stderr[-2000:]}"
    with open(executed) as f:
        return json.load(f), executed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--kernel", default="go-lab-cpu")
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--require-table", action="store_true")
    p.add_argument("--expect-failure", action="store_true", help="succeed only if every notebook fails")
    a = p.parse_args()
    ok = True
    passed = failed = 0
    for path in a.notebooks:
        nb, where = execute(path, a.kernel, a.timeout)
        if nb is None:
            found, tables = [where], 0
        else:
            found, tables = problems(nb, a.require_table)
        if a.expect_failure:
            if found:
                print(f"ok (fails as it should): {path}: {found[0]}")
                passed += 1
            else:
                print(f"FAIL: {path} was expected to fail the check but passed")
                ok = False
                failed += 1
            continue
        if found:
            ok = False
            failed += 1
            print(f"FAIL: {path} (executed copy: {where})")
            for f in found:
                print("  " + f)
        else:
            passed += 1
            print(f"ok: {path} ({tables} HTML tables; executed copy: {where})")
    print(f"notebooks: {passed} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
