# nbgrader's configuration for the lab as a course. make course and make grade run nbgrader in this
# folder (course/): source/lab3 is made from ../notebooks, release/lab3 is what students get,
# submitted/<student>/lab3 what they hand back, autograded/ and feedback/ what grading makes.
import os

c = get_config()  # noqa: F821 (nbgrader provides it)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "translab"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# The solved notebooks mark what a student writes with "// BEGIN SOLUTION" and "// END SOLUTION";
# the student's version gets a stub that compiles and panics where it runs, so the cell that is
# theirs is the one whose output says "not implemented".
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {"go": 'panic("not implemented: your code goes here")'}
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# GoNB builds every cell, and the first build of the lab's packages takes a while on a cold cache;
# training cells run for minutes on the real model.
c.Execute.timeout = 1800
c.Execute.startup_timeout = 120

# Only the notebooks are the assignment: not GoNB's or the lab's files beside them.
c.CourseDirectory.ignore = [".runs", ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "go.mod", "go.sum", "*.log"]

# The class server's exchange (deploy/hub/setup.sh makes it): nbgrader release_assignment and
# collect, run in this folder, hand out and bring back through it.
c.Exchange.root = os.environ.get("TRANSLAB_EXCHANGE", "/srv/nbgrader/exchange")
