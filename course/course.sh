#!/usr/bin/env bash
# The lab as a course, with nbgrader (pinned in course/requirements.txt, installed into
# .cache/course-venv the first time).
#
#   course/course.sh release   # make course: course/release/lab3/, the students' notebooks
#   course/course.sh grade     # make grade: autograde course/submitted/*/lab3/, then
#                              # course/grades.csv and course/feedback/<student>/lab3/*.html
#
# The teacher's version is notebooks/*.ipynb itself: copied to course/source/lab3/ at each release,
# so the notebooks the class sees solved and the ones it completes never drift apart.
# Grading runs the notebooks on the embedded demo (LAB_DEMO=1) unless LAB_DEMO is set otherwise,
# each submission with its own runs folder (LAB_RUNS_DIR), so no test reads another student's run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# COURSE_DIR: another course folder (holding its own nbgrader_config.py copy); make test-course
# grades its fixtures there, never in the teacher's course/.
course=${COURSE_DIR:-$root/course}
venv=$root/.cache/course-venv
assignment=lab3
export GOEXPERIMENT=simd
# The kernels nbgrader runs the notebooks with live in a Jupyter data folder of their own: grading
# uses this checkout's lab whatever kernels the user has installed.
export JUPYTER_DATA_DIR=${COURSE_JUPYTER_DATA_DIR:-$root/.cache/course-jupyter}
# nbgrader runs alembic (its gradebook's migrations) from PATH.
export PATH=$venv/bin:$PATH
# nbgrader 0.9.6's gradebook makes SQLAlchemy 2 warn "not in session" several times per notebook
# graded; the grades are right (make test-course checks them), so the warnings are kept out of the log.
export PYTHONWARNINGS=ignore:::nbgrader.api

setup() {
  if [ ! -x "$venv/bin/nbgrader" ] || ! cmp -s "$root/course/requirements.txt" "$venv/requirements.txt"; then
    echo "course: installing nbgrader into $venv (course/requirements.txt)"
    rm -rf "$venv"
    # Debian's python3 where there is one: course/requirements.txt was resolved for it (a newer
    # python3 earlier on PATH could pull versions it lacks).
    "$(command -v /usr/bin/python3 || command -v python3)" -m venv "$venv"
    "$root/.ci/heartbeat" "pip install nbgrader" "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/course/requirements.txt"
    cp "$root/course/requirements.txt" "$venv/requirements.txt"
  fi
  "$root/kernels/install.sh" >/dev/null
}

nbgrader() { (cd "$course" && "$venv/bin/nbgrader" "$@" --log-level=WARN); }

release() {
  setup
  local src=$course/source/$assignment
  rm -rf "$src" && mkdir -p "$src"
  cp "$root"/notebooks/0*.ipynb "$src/"
  # --force: a release replaces the previous one; the gradebook keeps the students and their grades.
  nbgrader generate_assignment "$assignment" --force
  echo "course: the students' notebooks are in $course/release/$assignment/:"
  ls "$course/release/$assignment"
}

grade() {
  [ -f "$course/gradebook.db" ] && [ -d "$course/release/$assignment" ] || release
  setup
  local students=() s
  for dir in "$course"/submitted/*/"$assignment"; do
    [ -d "$dir" ] && students+=("$(basename "$(dirname "$dir")")")
  done
  [ ${#students[@]} -gt 0 ] || { echo "course: nothing to grade: put each student's notebooks in course/submitted/<student>/$assignment/" >&2; exit 1; }
  export LAB_DEMO=${LAB_DEMO-1}
  for s in "${students[@]}"; do
    local runs=$course/.runs/$s
    rm -rf "$runs" && mkdir -p "$runs"
    echo "course: autograding $s ($(date +%T))"
    LAB_RUNS_DIR=$runs "$root/.ci/heartbeat" "autograde $s" env -C "$course" "$venv/bin/nbgrader" autograde "$assignment" --student "$s" --create --force --log-level=WARN
  done
  nbgrader generate_feedback "$assignment" --force
  # Written beside, then renamed: a grades.csv the teacher has open is replaced whole or not at all.
  nbgrader export --to "$course/.grades.csv.tmp"
  mv "$course/.grades.csv.tmp" "$course/grades.csv"
  echo "course: $course/grades.csv"
  column -s, -t < "$course/grades.csv" | cut -c1-160
  echo "course: feedback in $course/feedback/<student>/$assignment/"
}

case "${1:-}" in
  release) release ;;
  grade) grade ;;
  *) echo "usage: course/course.sh release|grade" >&2; exit 2 ;;
esac
