"""The checks of make test-course (course/test.sh).

  check.py release NOTEBOOKS RELEASE   the students' notebooks against the teacher's
  check.py last-token NOTEBOOK         carol's mistake: [CLS] taken from the last token
  check.py grades COURSE_DIR           the gradebook after make grade (nbgrader's venv)
"""
import csv
import glob
import json
import os
import sys

STUB = 'panic("not implemented: your code goes here")'


def cells(path):
    with open(path) as f:
        nb = json.load(f)
    for c in nb["cells"]:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        yield c, src


def regions(src, begin, end):
    """The lines between begin and end markers."""
    inside, out = False, []
    for line in src.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line.strip())
    return out


def fail(msg):
    print(f"course check: {msg}", file=sys.stderr)
    sys.exit(1)


def check_release(teacher_dir, release_dir):
    teacher = sorted(glob.glob(os.path.join(teacher_dir, "0*.ipynb")))
    released = sorted(glob.glob(os.path.join(release_dir, "*.ipynb")))
    names = [os.path.basename(p) for p in teacher]
    if [os.path.basename(p) for p in released] != names:
        fail(f"release holds {[os.path.basename(p) for p in released]}, want {names}")
    solutions = stubs = hidden = 0
    for t, r in zip(teacher, released):
        # A solution line is one the teacher's notebook has only inside a solution region.
        sol, rest = set(), set()
        for _, src in cells(t):
            inside = regions(src, "BEGIN SOLUTION", "END SOLUTION")
            sol.update(l for l in inside if l)
            rest.update(l.strip() for l in src.splitlines() if l.strip() not in inside)
            hidden += len(regions(src, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
        only = sol - rest
        solutions += len(only)
        for c, src in cells(r):
            if c["cell_type"] == "code" and c.get("outputs"):
                fail(f"{r}: cell {c.get('id')} kept its outputs")
            for line in src.splitlines():
                if line.strip() in only:
                    fail(f"{r}: cell {c.get('id')} holds a solution line: {line.strip()}")
                if "HIDDEN TESTS" in line or "BEGIN SOLUTION" in line:
                    fail(f"{r}: cell {c.get('id')} holds a marker: {line.strip()}")
            nbg = c.get("metadata", {}).get("nbgrader", {})
            if nbg.get("solution"):
                if STUB not in src:
                    fail(f"{r}: solution cell {nbg.get('grade_id')} has no stub")
                stubs += 1
    if not stubs:
        fail("no solution cell in the release")
    print(f"course check: release: {len(released)} notebooks, {stubs} stub cells, none of the "
          f"{solutions} solution lines, none of the {hidden} hidden test lines")


def last_token(path):
    with open(path) as f:
        nb = json.load(f)
    right, wrong = "rows[i] = h[i][0]", "rows[i] = h[i][len(h[i])-1] // the last token, not [CLS]"
    n = 0
    for c in nb["cells"]:
        if right in c["source"]:
            c["source"] = c["source"].replace(right, wrong)
            n += 1
    if n != 1:
        fail(f"{path}: found {right!r} {n} times, want once")
    with open(path, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
    print(f"course check: carol takes the last token in {os.path.basename(path)}")


def check_grades(course):
    from nbgrader.api import Gradebook

    with open(os.path.join(course, "grades.csv")) as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    for s in ("alice", "bob", "carol"):
        if s not in rows:
            fail(f"grades.csv has no row for {s}: {list(rows)}")
        html = glob.glob(os.path.join(course, "feedback", s, "lab3", "*.html"))
        if len(html) != 4:
            fail(f"feedback for {s}: {len(html)} HTML files, want 4")
    lost, points = {}, {}
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        for s in ("alice", "bob", "carol"):
            lost[s] = set()
            for nb in gb.find_submission("lab3", s).notebooks:
                for g in nb.grades:
                    points[g.name] = g.max_score
                    if g.score < g.max_score:
                        lost[s].add(g.name)
    score = {s: float(rows[s]["score"]) for s in rows}
    top = float(rows["alice"]["max_score"])
    for s in ("alice", "bob", "carol"):
        print(f"course check: {s}: {score[s]:g} of {top:g}; lost {sorted(lost[s]) or 'nothing'}")
    if score["alice"] != top or lost["alice"]:
        fail("alice handed in the solved notebooks: she must have full marks")
    free = set(points) - lost["bob"]
    if score["bob"] >= top or score["bob"] != sum(points[g] for g in free):
        fail(f"bob handed in the stubs: he must score only the tests that need no solution ({sorted(free)})")
    if lost["carol"] != {"test_ex1_2_cls"} or score["carol"] != top - points["test_ex1_2_cls"]:
        fail("carol's [CLS] from the last token must lose test_ex1_2_cls's points and no others")
    # Every stub ran: bob's solution cells compiled and panicked where a student would look.
    for path in sorted(glob.glob(os.path.join(course, "autograded", "bob", "lab3", "*.ipynb"))):
        for c, _ in cells(path):
            nbg = c.get("metadata", {}).get("nbgrader", {})
            if nbg.get("solution"):
                text = json.dumps(c.get("outputs", []))
                if "not implemented: your code goes here" not in text:
                    fail(f"{path}: solution cell {nbg['grade_id']} did not panic \"not implemented\": {text[:300]}")
    print("course check: grades as expected; every stub compiled and panicked \"not implemented\"")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "release" and len(sys.argv) == 4:
        check_release(sys.argv[2], sys.argv[3])
    elif cmd == "last-token" and len(sys.argv) == 3:
        last_token(sys.argv[2])
    elif cmd == "grades" and len(sys.argv) == 3:
        check_grades(sys.argv[2])
    else:
        sys.exit(__doc__)
