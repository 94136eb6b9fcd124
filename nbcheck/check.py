#!/usr/bin/env python3
"""Executes notebooks headless and fails on what nbconvert itself lets pass.

nbconvert reports a cell as fine when a GoNB `!` shell command fails, and (with older GoNB) when a Go
cell panics: those only show up as text in the cell's output. It also cannot notice a cell that
lost an output, or outputs that change from run to run. This checker executes each notebook with
--allow-errors (Python 3 standard library only; it runs with Debian's /usr/bin/python3) and then
reads every output. A notebook fails when:

  - a cell has no `id`, or shares one with another cell (nbformat 4.5 wants a unique id per cell;
    without, nbconvert warns on every run and Jupyter makes up new ones each time it saves): it
    fails before it is run, and --add-ids gives every cell lacking one a stable id;
  - a code cell has an `error` output, or a stream saying `panic:`, `exit status N`, `Error:`, ...;
  - a code cell writes to stderr at all (Jupyter paints stderr pink; routine output goes to stdout);
  - a cell's `metadata.lab_expect` does not match what it displayed (see "Counting" below), or,
    with --require-expectations, a code cell carries no `lab_expect` (cells whose source starts
    with `!`, and empty cells, are exempt);
  - with --runs N (N > 1), a code cell's outputs differ between two of those N runs (see "Comparing
    runs");
  - with --require-table / --require-picture, the notebook displayed no HTML table / no picture.

    python3 nbcheck/check.py [options] NOTEBOOK...
    python3 nbcheck/check.py --expect-failure nbcheck/testdata/*.ipynb       # self-test: all fail
    python3 nbcheck/check.py --runs 2 --require-expectations nbcheck/testdata/pass/*.ipynb
    python3 nbcheck/check.py --add-ids notebooks/*.ipynb     # give every cell lacking one an id

Options:
  --kernel NAME             kernel to run (default go-lab-cpu)
  --timeout S               nbconvert's timeout per cell, seconds (default 900)
  --runs N                  execute each notebook N times (default 1)
  --extra-run NAME:VAR=VALUE[,VAR=VALUE]
                            one more run of each notebook, with these variables in its environment
                            (another backend, say), checked like the others but its outputs not
                            compared with theirs (another backend's last digits may differ); repeatable
  --jobs N                  execute N runs at a time, of one notebook or several (default 1); each
                            run has its own caches and temporary directories either way
  --require-table           fail a notebook that displays no HTML table
  --require-picture         fail a notebook that displays no picture
  --require-expectations    fail every code cell without metadata.lab_expect (except `!` cells)
  --expect-failure          self-test: succeed only if every notebook fails (and fails for the
                            reason its metadata.lab_check.fails_with names, if it names one)
  --keep                    keep the temporary directories (executed copies, caches) and say where
  --add-ids                 run nothing: write an id into every cell that has none, and change
                            nothing else (the ids are derived from the file name, the cell's place
                            and its source, so the same notebook always gets the same ids)

Metadata:
  cell.metadata.lab_expect = {"tables": T, "pictures": P, "texts": X}   any subset of the keys
  notebook.metadata.lab_check = {"runs": N, "fails_with": "substring"}
      runs        run this notebook at least N times, whatever --runs says
      fails_with  in --expect-failure mode the notebook must fail with a problem whose message
                  contains this text (so a self-test notebook cannot pass by failing for another
                  reason); ignored otherwise

Counting (per code cell, on the executed outputs; a live display updated in place counts once,
in its final state, and consecutive stream chunks of one stream are joined first):
  tables    occurrences of `<table` in the text/html of display_data / execute_result outputs
  pictures  occurrences of `<svg` and `<img` in that HTML; an output carrying an image/* MIME type
            counts as one picture when its HTML (if any) shows none (one output's alternative
            representations are not counted twice)
  texts     display outputs with neither a table nor a picture (a `<pre>` notice, a live progress
            line, markdown, plain text), plus the non-empty lines of stdout streams
  stderr streams and error outputs are not counted: they fail the check by themselves.

Comparing runs: per code cell, the list of outputs after normalisation must be identical in every
run: output type, stream name, MIME keys, and the text of text/* (and JSON) MIME types; binary
payloads (image/png, base64 `data:` URIs inside HTML) are compared by SHA-1. Masked first, because
they legitimately change between runs:
  - durations (`1.2s`, `350ms`, `1.5µs`, `2m05s`, `1h02m`, `0.9 s`, `3 seconds`) and `ETA ...`;
  - rates (`12.3 sentences/s`, `4.5 MiB/s`, `95 GFLOP/s`);
  - the run's own TMPDIR and XDG_CACHE_HOME paths, and GoNB's `gonb_XXXXXXXX` directory names;
  - values of HTML `id` attributes that contain a digit (GoNB's UniqueId and the like), replaced
    wherever they occur in the cell's outputs by `<id-1>`, `<id-2>`... (longest id first).
  (GoNB's display ids of live outputs are transient: nbconvert does not keep them.)
Anything else (accuracies, table cells, captions, the order of outputs) must be identical. On a
difference the checker names the notebook, the cell and the two runs, and shows a short unified diff:
of the outputs one line each when only their order differs, else of the outputs that one run has
and the other has not (a lost output shows as removed, a changed one as both).

Output: a line as each run starts and ends, and every 20 s while one runs (so a log never goes
silent for long); then the problems of each notebook (prefixed with the runs that had them when --runs > 1), then
one summary line per notebook: runs done/asked, tables and pictures in all (per run, a/b/c, when
they differ), and seconds in all and per run.

Isolation: every run gets fresh, empty XDG_CACHE_HOME and TMPDIR directories (the lab caches
features under os.UserCacheDir() and writes under os.TempDir()), while GOCACHE stays the one `go
env GOCACHE` named before (so GoMLX is not recompiled every run) and GOPATH/GOMODCACHE are left
alone. The HuggingFace hub cache also stays where it was (HF_HUB_CACHE is pinned to it unless
HF_HUB_CACHE or HF_HOME is set): downloaded models are inputs like the Go build cache, and an empty
hub cache would make an offline run fall back to the demo fixtures silently. All directories the
checker creates are removed at the end, also on failure or Ctrl-C, unless --keep is given.
"""
import argparse
import collections
import concurrent.futures
import difflib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HEARTBEAT = 20  # seconds: the longest a run goes without a line on stdout
BAD_STREAM = re.compile(r"panic:|exit status \d+|^Error:|cannot find package|undefined: ", re.M)
EXPECT_KEYS = ("tables", "pictures", "texts")
DISPLAY_TYPES = ("display_data", "execute_result")

# --- reading a notebook ------------------------------------------------------------------------


def text_of(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def source(cell):
    return text_of(cell.get("source", ""))


def first_line(cell):
    for line in source(cell).splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


def where(i, cell):
    return f"cell {i} ({first_line(cell)})"


def merged(outputs):
    """The outputs with consecutive chunks of the same stream joined (their split is timing)."""
    result = []
    for out in outputs:
        if (out.get("output_type") == "stream" and result
                and result[-1].get("output_type") == "stream"
                and result[-1].get("name") == out.get("name")):
            result[-1] = dict(result[-1], text=text_of(result[-1].get("text")) + text_of(out.get("text")))
        else:
            result.append(out)
    return result


# --- cell ids ----------------------------------------------------------------------------------

_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # nbformat 4.5's schema


def id_problems(nb):
    """Cells without a valid, unique id (checked before a notebook runs)."""
    found, seen = [], {}
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        found.append(f"nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}: cell ids need 4.5 "
                     f"(--add-ids upgrades it)")
    for i, cell in enumerate(nb.get("cells", [])):
        cid = cell.get("id")
        if cid is None:
            found.append(f"{where(i, cell)}: no id (python3 nbcheck/check.py --add-ids NOTEBOOK gives it one)")
        elif not isinstance(cid, str) or not _CELL_ID.match(cid):
            found.append(f"{where(i, cell)}: invalid id {cid!r} (1 to 64 letters, digits, '-' or '_')")
        elif cid in seen:
            found.append(f"{where(i, cell)}: id {cid!r} is cell {seen[cid]}'s too")
        else:
            seen[cid] = i
    return found


def with_id(cell, cid):
    """The cell with "id" among its keys where nbformat, which sorts them, puts it."""
    items, placed = [], False
    for key, value in cell.items():
        if not placed and key > "id":
            items.append(("id", cid))
            placed = True
        items.append((key, value))
    if not placed:
        items.append(("id", cid))
    return dict(items)


def add_ids(path):
    """Writes an id into every cell of path that has none; returns how many. The rest of the file
    is left as it was: same key order, nbformat's layout (indent 1, UTF-8, final newline)."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = nb.get("cells", [])
    taken = {c["id"] for c in cells if isinstance(c.get("id"), str)}
    added = 0
    for i, cell in enumerate(cells):
        if "id" in cell:
            continue
        n = 0
        while True:  # stable: the same file, place and source always give the same id
            cid = digest(f"{os.path.basename(path)}\0{i}\0{n}\0{source(cell)}")[:8]
            if cid not in taken:
                break
            n += 1
        taken.add(cid)
        cells[i] = with_id(cell, cid)
        added += 1
    upgraded = nb.get("nbformat") == 4 and nb.get("nbformat_minor", 0) < 5
    if upgraded:
        nb["nbformat_minor"] = 5  # the first version with cell ids
    if not added and not upgraded:
        return 0
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return added


# --- counting ----------------------------------------------------------------------------------


def count(outputs):
    """tables, pictures and texts shown by one cell's outputs (rules in the module docstring)."""
    got = dict.fromkeys(EXPECT_KEYS, 0)
    for out in merged(outputs):
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") == "stdout":
                got["texts"] += sum(1 for line in text_of(out.get("text")).splitlines() if line.strip())
        elif kind in DISPLAY_TYPES:
            data = out.get("data", {})
            html = text_of(data.get("text/html", ""))
            tables = html.count("<table")
            pictures = html.count("<svg") + html.count("<img")
            if pictures == 0 and any(k.startswith("image/") for k in data):
                pictures = 1
            got["tables"] += tables
            got["pictures"] += pictures
            if tables == 0 and pictures == 0:
                got["texts"] += 1
    return got


def valid_expectation(expect):
    return (isinstance(expect, dict) and expect and set(expect) <= set(EXPECT_KEYS)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in expect.values()))


def exempt(cell):
    src = source(cell).lstrip()
    return src == "" or src.startswith("!")


# --- problems of one executed notebook ---------------------------------------------------------


def problems(nb, opts):
    """The problems of one executed notebook, and its (tables, pictures) in all."""
    found = []
    tables = pictures = 0
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        for out in merged(outputs):
            kind = out.get("output_type")
            if kind == "error":
                found.append(f"{where(i, cell)}: error output: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream":
                text = text_of(out.get("text"))
                if out.get("name") == "stderr":
                    line = next((l for l in text.splitlines() if l.strip()), "")
                    found.append(f"{where(i, cell)}: writes to stderr: {line.strip()[:200]}")
                m = BAD_STREAM.search(text)
                if m:
                    line = text[max(0, m.start() - 80):m.end() + 120].strip()
                    found.append(f"{where(i, cell)}: {out.get('name')} says: {line}")
        got = count(outputs)
        tables += got["tables"]
        pictures += got["pictures"]
        expect = cell.get("metadata", {}).get("lab_expect")
        if expect is None:
            if opts.require_expectations and not exempt(cell):
                found.append(f"{where(i, cell)}: no metadata.lab_expect (--require-expectations); "
                             f"it shows " + ", ".join(f"{k}={got[k]}" for k in EXPECT_KEYS))
        elif not valid_expectation(expect):
            found.append(f"{where(i, cell)}: invalid metadata.lab_expect {json.dumps(expect)} "
                         f"(want an object with some of {', '.join(EXPECT_KEYS)}: counts >= 0)")
        else:
            wrong = [k for k in EXPECT_KEYS if k in expect and expect[k] != got[k]]
            if wrong:
                found.append(f"{where(i, cell)}: expected " + ", ".join(f"{k}={expect[k]}" for k in wrong)
                             + ", got " + ", ".join(f"{k}={got[k]}" for k in wrong)
                             + " (all: " + ", ".join(f"{k}={got[k]}" for k in EXPECT_KEYS) + ")")
    if opts.require_table and tables == 0:
        found.append("no HTML table was displayed (--require-table)")
    if opts.require_picture and pictures == 0:
        found.append("no picture was displayed (--require-picture)")
    return found, tables, pictures


# --- normalising outputs for comparison --------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_DURATION = re.compile(r"(?<![\w.])(?:" + _NUM + r"(?:h|ms|µs|us|ns|m|s)){1,4}(?![\w])"
                       r"|(?<![\w.])" + _NUM + r" ?(?:ms|µs|us|ns|s)(?![\w])"
                       r"|(?<![\w.])" + _NUM + r" ?(?:seconds?|secs?|minutes?|mins?|hours?)\b")
_ETA = re.compile(r"\bETA:?\s*[\w.:µ]+")
_RATE = re.compile(r"(?<![\w.])" + _NUM + r"\s*(?:[KMGTP]i?B|[KMGTP]?FLOPS?|[A-Za-z]+)/s(?:ec)?(?![\w/])")
_DATA_URI = re.compile(r"data:([\w/+.-]+);base64,([A-Za-z0-9+/=\s]+)")
_GONB_DIR = re.compile(r"\bgonb_[0-9a-fA-F]{8}\b")
_HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']*\d[^"']*)["']""")


def digest(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha1(data).hexdigest()[:16]


class Masker:
    """Masks what legitimately changes between runs (see the module docstring)."""

    def __init__(self, paths):
        pairs = []
        for name, path in paths.items():
            for p in {path, os.path.realpath(path)}:
                pairs.append((p.rstrip("/"), "$" + name))
        pairs.sort(key=lambda pair: -len(pair[0]))  # longest first
        self.paths = [(re.compile(r"(?<![\w.-])" + re.escape(p) + r"(?![\w-]|\.\w)"), name) for p, name in pairs]

    def __call__(self, text, ids=()):
        text = _DATA_URI.sub(lambda m: f"data:{m.group(1)};base64,<sha1 {digest(''.join(m.group(2).split()))}>", text)
        for path, name in self.paths:
            text = path.sub(name, text)
        text = _GONB_DIR.sub("gonb_<id>", text)
        for n, value in enumerate(ids, 1):
            text = re.sub(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])", f"<id-{n}>", text)
        text = _ETA.sub("ETA <duration>", text)
        text = _RATE.sub("<rate>", text)
        return _DURATION.sub("<duration>", text)


def normalised(cell, mask):
    """One code cell's outputs, each a tuple of text lines, run-dependent bits masked."""
    outputs = merged(cell.get("outputs", []))
    ids = []
    for out in outputs:
        for value in _HTML_ID.findall(text_of(out.get("data", {}).get("text/html", ""))):
            if value not in ids:
                ids.append(value)
    ids.sort(key=len, reverse=True)  # so that an id never masks part of a longer one
    blocks = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            lines = [f"stream {out.get('name')}"] + mask(text_of(out.get("text")), ids).splitlines()
        elif kind == "error":
            lines = [f"error {out.get('ename')}: {mask(str(out.get('evalue')), ids)}"]
        else:
            data = out.get("data", {})
            lines = [f"{kind} [{', '.join(sorted(data))}]"]
            for mime in sorted(data):
                value = data[mime]
                if mime.startswith("text/") or mime.endswith("json"):
                    body = text_of(value) if isinstance(value, (str, list)) else json.dumps(value, sort_keys=True)
                    if mime == "text/html":
                        body = body.replace("><", ">\n<")
                    body = mask(body, ids)
                    lines.append(f"## {mime}")
                    lines += body.splitlines()
                else:
                    lines.append(f"## {mime}: sha1 {digest(text_of(value))}")
        blocks.append(tuple(lines))
    return blocks


def short(block):
    """One line for an output: its kind and the start of its text."""
    text = " ".join(line.strip() for line in block[1:] if not line.startswith("## "))
    line = f"{block[0]}: {text}"
    return line if len(line) <= 150 else line[:147] + "..."


def shown_diff(a, b, labels, limit=30):
    diff = list(difflib.unified_diff(a, b, *labels, n=1, lineterm=""))
    shown = [line if len(line) <= 160 else line[:157] + "..." for line in diff[:limit]]
    if len(diff) > limit:
        shown.append(f"... ({len(diff) - limit} more diff lines)")
    return "\n      ".join(shown)


def picked(blocks, wanted):
    """The lines of the blocks counted in wanted, in their order."""
    wanted, lines = collections.Counter(wanted), []
    for block in blocks:
        if wanted[block] > 0:
            wanted[block] -= 1
            lines += block
    return lines


def differences(runs):
    """Problems for every code cell whose normalised outputs differ from run 1's. When only the
    order differs, the diff lists the outputs one line each; otherwise it shows the outputs that
    one run has and the other has not (the ones both have are left out)."""
    found = []
    first = runs[0]
    for k, other in enumerate(runs[1:], 2):
        labels = ("run 1", f"run {k}")
        for i in sorted(first):
            a, b = first[i][1], other.get(i, (None, []))[1]
            if a == b:
                continue
            if collections.Counter(a) == collections.Counter(b):
                what = "the same outputs in another order"
                diff = shown_diff([short(x) for x in a], [short(x) for x in b], labels)
            else:
                common = collections.Counter(a) & collections.Counter(b)
                only_a, only_b = collections.Counter(a) - common, collections.Counter(b) - common
                what = (f"{len(a)} and {len(b)} outputs, {sum(only_a.values())} and {sum(only_b.values())} "
                        f"of them not in the other run")
                diff = shown_diff(picked(a, only_a), picked(b, only_b), labels)
            found.append(f"cell {i} ({first[i][0]}): outputs differ between runs 1 and {k} ({what}):\n      "
                         + diff)
    return found


# --- running nbconvert -------------------------------------------------------------------------


def descendants(pid):
    """Ids of every live process below pid (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(proc):
    """Stops nbconvert and the kernel it started (the kernel runs in a session of its own)."""
    below = descendants(proc.pid) if os.path.isdir("/proc") else []
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # nbconvert then shuts its kernel down
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# The nbconvert processes running now, from any of the --jobs threads: on Ctrl-C or SIGTERM the main
# thread sets STOPPING, so that no new one starts, and stops these.
RUNNING, RUNNING_LOCK, STOPPING = set(), threading.Lock(), threading.Event()


def execute(path, kernel, timeout, run_dir, env, label):
    """Runs nbconvert once, saying every HEARTBEAT seconds that label still runs; returns (executed
    notebook or None, its path or an error)."""
    out_dir = os.path.join(run_dir, "executed")
    os.makedirs(out_dir)
    name = os.path.basename(path)
    cmd = ["jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
           f"--ExecutePreprocessor.timeout={timeout}", f"--ExecutePreprocessor.kernel_name={kernel}",
           "--output-dir", out_dir, "--output", name, path]
    with RUNNING_LOCK:
        if STOPPING.is_set():
            return None, "interrupted"
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        RUNNING.add(proc)
    start = time.monotonic()
    try:
        while True:
            try:
                _, err = proc.communicate(timeout=HEARTBEAT)
                break
            except subprocess.TimeoutExpired:
                print(f"  {label}: still running ({time.monotonic() - start:.0f} s)", flush=True)
    except BaseException:
        stop(proc)
        raise
    finally:
        with RUNNING_LOCK:
            RUNNING.discard(proc)
    executed = os.path.join(out_dir, name)
    if proc.returncode != 0 or not os.path.exists(executed):
        return None, f"nbconvert failed ({proc.returncode}): {err[-2000:]}"
    with open(executed) as f:
        return json.load(f), executed


def go_cache():
    """GOCACHE as go reports it now, before XDG_CACHE_HOME changes (its default lives there)."""
    if os.environ.get("GOCACHE"):
        return os.environ["GOCACHE"]
    try:
        value = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, check=True).stdout.strip()
        if value:
            return value
    except (OSError, subprocess.CalledProcessError):
        pass
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "go-build")


def base_environment():
    env = dict(os.environ)
    env["GOCACHE"] = go_cache()
    if not env.get("HF_HUB_CACHE") and not env.get("HF_HOME"):
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        env["HF_HUB_CACHE"] = os.path.join(base, "huggingface", "hub")
    return env


def remove(path):
    def writable(func, p, _):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=writable)
    if os.path.exists(path):
        print(f"warning: could not remove all of {path}", file=sys.stderr)


# --- one notebook, N runs ----------------------------------------------------------------------


class Notebook:
    """One notebook to check: its settings, and the results of its runs as they come in."""

    def __init__(self, index, path, opts):
        self.path = path
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        self.settings = nb.get("metadata", {}).get("lab_check", {}) or {}
        self.compared = max(opts.runs, int(self.settings.get("runs", 1)))  # runs 1..compared
        self.runs = self.compared + len(opts.extra_run)  # then one run per --extra-run
        self.id_problems = id_problems(nb)  # when any, the notebook is not run: the fix is one command
        self.stem = f"{index:02d}-{os.path.splitext(os.path.basename(path))[0]}"
        self.results = {}  # run -> run_once's result
        self.broken = False  # nbconvert itself failed: the runs not started yet are skipped

    def pending(self):
        return 0 if self.id_problems else self.runs - len(self.results)


def run_once(notebook, run, opts, root, env):
    """Executes one run of notebook; returns what check needs of it (problems, counts, outputs)."""
    if notebook.broken:
        return {"seconds": 0.0, "error": None}
    run_dir = os.path.join(root, notebook.stem, f"run{run}")
    cache, tmp = os.path.join(run_dir, "cache"), os.path.join(run_dir, "tmp")
    os.makedirs(cache)
    os.makedirs(tmp)
    run_env = dict(env, XDG_CACHE_HOME=cache, TMPDIR=tmp)
    label = f"{notebook.path} run {run}/{notebook.runs}"
    if run > notebook.compared:
        name, extra = opts.extra_run[run - notebook.compared - 1]
        run_env.update(extra)
        label += f" ({name})"
    print(f"  {label}: started", flush=True)
    start = time.monotonic()
    nb, executed = execute(notebook.path, opts.kernel, opts.timeout, run_dir, run_env, label)
    seconds = time.monotonic() - start
    if nb is None:
        notebook.broken = True
        print(f"  {label}: nbconvert failed after {seconds:.0f} s", flush=True)
        return {"seconds": seconds, "error": executed}
    if opts.keep:
        print(f"  {label}: executed copy {executed}", flush=True)
    found, tables, pictures = problems(nb, opts)
    print(f"  {label}: done in {seconds:.0f} s" + (f", {len(found)} problems" if found else ""), flush=True)
    mask = Masker({"TMPDIR": tmp, "XDG_CACHE_HOME": cache})
    outputs = {i: (first_line(c), normalised(c, mask))
               for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "code"}
    return {"seconds": seconds, "error": None, "found": found, "tables": tables, "pictures": pictures,
            "outputs": outputs}


def verdict(notebook):
    """The problems of a notebook whose runs are all done, and its summary line."""
    runs = notebook.runs
    if notebook.id_problems:
        return notebook.id_problems, f"{notebook.path}: runs 0/{runs} (cell ids)"
    done = [(run, r) for run, r in sorted(notebook.results.items()) if r["seconds"] or r["error"]]
    seen = {}  # problem -> runs that had it
    for run, r in done:
        for problem in [r["error"]] if r["error"] else r["found"]:
            seen.setdefault(problem, []).append(run)
    found = []
    for problem, where_seen in seen.items():
        if runs > 1:
            label = "all runs" if len(where_seen) == runs else "run" + ("s " if len(where_seen) > 1 else " ") \
                + ",".join(map(str, where_seen))
            problem = f"[{label}] {problem}"
        found.append(problem)
    ran = [r for _, r in done if not r["error"]]
    compared = [r for run, r in done if not r["error"] and run <= notebook.compared]
    if len(compared) > 1:
        found += differences([r["outputs"] for r in compared])

    def same_or_each(values):
        return str(values[0]) if len(set(values)) == 1 else "/".join(map(str, values))
    seconds = [r["seconds"] for _, r in done]
    summary = (f"{notebook.path}: runs {len(done)}/{runs}, "
               f"tables {same_or_each([r['tables'] for r in ran] or [0])}, "
               f"pictures {same_or_each([r['pictures'] for r in ran] or [0])}, seconds {sum(seconds):.1f} "
               f"({'/'.join(f'{s:.1f}' for s in seconds)})")
    return found, summary


def report(notebook, found, opts):
    """Prints a notebook's verdict; returns whether it is what was asked for."""
    path = notebook.path
    if opts.expect_failure:
        reason = notebook.settings.get("fails_with")
        if not found:
            print(f"FAIL: {path} was expected to fail the check but passed")
            return False
        if reason and not any(reason in f for f in found):
            print(f"FAIL: {path} failed, but not with {reason!r} (metadata.lab_check.fails_with):")
            for f in found:
                print("  " + f)
            return False
        hit = next((f for f in found if reason and reason in f), found[0])
        print(f"ok (fails as it should): {path}: {hit.splitlines()[0]}")
        return True
    if found:
        print(f"FAIL: {path}")
        for f in found:
            print("  " + f)
        return False
    print(f"ok: {path}")
    return True


def check_all(notebooks, opts, root, env):
    """Runs every run of every notebook, opts.jobs at a time, and reports each notebook as soon as
    its last run ends; returns (passed, failed, summaries)."""
    passed = failed = 0
    summaries = {}

    def finish(notebook):
        nonlocal passed, failed
        found, summaries[notebook.path] = verdict(notebook)
        if report(notebook, found, opts):
            passed += 1
        else:
            failed += 1

    tasks = []
    for notebook in notebooks:
        if notebook.pending():
            tasks += [(notebook, run) for run in range(1, notebook.runs + 1)]
        else:
            finish(notebook)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs)
    futures = {}
    try:
        futures = {pool.submit(run_once, nb, run, opts, root, env): (nb, run) for nb, run in tasks}
        for future in concurrent.futures.as_completed(futures):
            notebook, run = futures[future]
            notebook.results[run] = future.result()
            if not notebook.pending():
                finish(notebook)
    finally:  # after an interrupt: start nothing more, stop what runs, wait for the threads
        for future in futures:
            future.cancel()
        with RUNNING_LOCK:
            STOPPING.set()
            running = list(RUNNING)
        for proc in running:
            stop(proc)
        pool.shutdown(wait=True)
    return passed, failed, [summaries[nb.path] for nb in notebooks]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--kernel", default="go-lab-cpu")
    p.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    p.add_argument("--runs", type=int, default=1, help="execute each notebook N times; outputs must agree")
    p.add_argument("--jobs", type=int, default=1, help="runs executed at the same time")
    p.add_argument("--extra-run", action="append", default=[], metavar="NAME:VAR=VALUE[,VAR=VALUE]",
                   help="one more run of each notebook with these variables set, its outputs not compared")
    p.add_argument("--require-table", action="store_true")
    p.add_argument("--require-picture", action="store_true")
    p.add_argument("--require-expectations", action="store_true",
                   help="every code cell (except `!` cells) must carry metadata.lab_expect")
    p.add_argument("--expect-failure", action="store_true", help="succeed only if every notebook fails")
    p.add_argument("--keep", action="store_true", help="keep the temporary directories and say where")
    p.add_argument("--add-ids", action="store_true", help="run nothing: give every cell lacking one an id")
    opts = p.parse_args()
    if opts.runs < 1:
        p.error("--runs must be at least 1")
    if opts.jobs < 1:
        p.error("--jobs must be at least 1")
    extras = []
    for arg in opts.extra_run:
        name, _, assignments = arg.partition(":")
        pairs = [a.partition("=") for a in assignments.split(",")]
        if not name or not assignments or any(not var or not eq for var, eq, _ in pairs):
            p.error(f"--extra-run {arg!r}: want NAME:VAR=VALUE[,VAR=VALUE]")
        extras.append((name, {var: value for var, _, value in pairs}))
    opts.extra_run = extras
    sys.stdout.reconfigure(line_buffering=True)  # make and CI pipe it: each line as it comes
    if opts.add_ids:
        for path in opts.notebooks:
            n = add_ids(path)
            print(f"{path}: {n} cell ids added" if n else f"{path}: every cell has an id")
        return 0

    def terminated(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminated)

    env = base_environment()
    root = tempfile.mkdtemp(prefix="nbcheck-")
    try:
        notebooks = [Notebook(index, path, opts) for index, path in enumerate(opts.notebooks, 1)]
        passed, failed, summaries = check_all(notebooks, opts, root, env)
        for summary in summaries:
            print("summary: " + summary)
        print(f"notebooks: {passed} passed, {failed} failed")
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if opts.keep:
            print(f"kept the executed copies, caches and temporary directories under {root}")
        else:
            remove(root)


if __name__ == "__main__":
    sys.exit(main())
