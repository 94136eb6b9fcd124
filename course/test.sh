#!/usr/bin/env bash
# make test-course: the course end to end, in a course folder of its own (course/ is left alone).
#  1. make course: four student notebooks, no line only the solutions have, hidden tests gone.
#  2. make grade on three submissions: alice hands in the solved notebooks (full marks), bob the
#     student versions untouched (only the points that need no solution; every stub compiles and
#     panics "not implemented"), carol the solved notebooks with [CLS] taken from the last token
#     (she loses that test's points and no other).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.cache/course-venv
export COURSE_DIR
COURSE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lab-course.XXXXXX")
trap 'rm -rf "$COURSE_DIR"' EXIT
cp "$root/course/nbgrader_config.py" "$COURSE_DIR/"

"$root/course/course.sh" release
python3 "$root/course/check.py" release "$root/notebooks" "$COURSE_DIR/release/lab3"

for s in alice bob carol; do mkdir -p "$COURSE_DIR/submitted/$s/lab3"; done
cp "$root"/notebooks/0*.ipynb "$COURSE_DIR/submitted/alice/lab3/"
cp "$COURSE_DIR"/release/lab3/*.ipynb "$COURSE_DIR/submitted/bob/lab3/"
cp "$root"/notebooks/0*.ipynb "$COURSE_DIR/submitted/carol/lab3/"
python3 "$root/course/check.py" last-token "$COURSE_DIR/submitted/carol/lab3/01_sentiment_baseline.ipynb"

start=$SECONDS
"$root/course/course.sh" grade
echo "course: graded 3 submissions in $((SECONDS - start)) s"
"$venv/bin/python" "$root/course/check.py" grades "$COURSE_DIR"
