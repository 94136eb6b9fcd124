"""What a student sees, in a real browser: Playwright drives Debian's chromium against a running hub.

Two students log in at once, each opens notebook 01 in JupyterLab and runs all its cells; then for
each: the tables render, the PCA picture and the confusion heatmap are visible images, no cell shows
an error, the features come from the teacher's shared cache, editing the SVM's C to 0.001 changes the
accuracy line, `svm.` completes to LinearSVC, and neither reaches the other's server or files.
A screenshot of every step goes to --shots. deploy/hub/test-browser.sh starts the hub and runs this.

    python browser_test.py --hub http://127.0.0.1:PORT --user NAME:PASSWORD --user NAME:PASSWORD --shots DIR
"""
import argparse
import re
import sys
import time

from playwright.sync_api import expect, sync_playwright

NOTEBOOK = "translab/notebooks/01_sentiment_baseline.ipynb"
SVM_LITERAL = "svm.LinearSVC{C: 1.0}"
# The cell the student edits, by a comment the edit leaves alone (the SVM's test cell, graded in the
# course, holds the literal too).
SVM_CELL = "// LinearSVC(); a smaller C regularises more"


class Student:
    def __init__(self, browser, hub, name, password, shots):
        self.name, self.password, self.hub, self.shots = name, password, hub, shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.step = 0

    def shot(self, what):
        self.step += 1
        path = f"{self.shots}/{self.name}-{self.step:02d}-{what}.png"
        self.page.screenshot(path=path, full_page=False)
        print(f"  {self.name}: {what} ({path})", flush=True)

    def log_in(self):
        p = self.page
        p.goto(f"{self.hub}/hub/login")
        p.fill("input#username_input", self.name)
        p.fill("input#password_input", self.password)
        self.shot("login")
        p.click("#login_submit")
        # First login: the hub copies ~/translab, then starts her JupyterLab on the notebooks' folder.
        p.wait_for_url(re.compile(rf"/user/{self.name}/lab"), timeout=180_000)
        expect(p.locator(".jp-DirListing-content")).to_contain_text("01_sentiment_baseline", timeout=120_000)
        self.shot("lab-first-login")

    def open_and_run_all(self):
        p = self.page
        p.goto(f"{self.hub}/user/{self.name}/lab/tree/{NOTEBOOK}")
        nb = p.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        expect(nb.locator(".jp-Cell").first).to_be_visible(timeout=120_000)
        # The kernel named by the notebook ("Go · lab (CPU)") starts without a dialog. Its status stays
        # "Unknown" until the first cell runs: GoNB answers kernel_info (whose status messages
        # JupyterLab ignores) but not history_request, whose status JupyterLab would show.
        expect(p.locator(".jp-StatusBar-Widget").filter(has_text="Go · lab (CPU)").first).to_be_visible(timeout=60_000)
        expect(p.locator(".jp-Notebook-ExecutionIndicator").first).not_to_have_attribute("data-status", re.compile("^(starting|dead)$"))
        self.shot("notebook-open")
        p.locator(".lm-MenuBar-item").filter(has_text=re.compile(r"^Run$")).click()  # the main menu's Run
        p.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def code_cells(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")

    def wait_all_ran(self, deadline):
        """Until every code cell has run (a number in its prompt, none busy)."""
        cells = self.code_cells()
        stopped = 0
        while True:
            prompts = [cells.nth(i).locator(".jp-InputPrompt").inner_text().strip() for i in range(cells.count())]
            if all(re.fullmatch(r"\[\d+\]:", pr) for pr in prompts):
                return prompts
            # JupyterLab stops a Run All at a cell that fails: nothing busy, cells left unrun.
            stopped = stopped + 1 if not any("*" in pr for pr in prompts) else 0
            if stopped >= 4:
                self.shot("run-stopped")
                errors = self.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-OutputArea-output.jp-mod-error")
                first = errors.first.inner_text()[:1500] if errors.count() else "(no error output)"
                raise AssertionError(f"{self.name}: the run stopped with cells unrun; prompts {prompts}; first error:\n{first}")
            if time.time() > deadline:
                self.shot("timeout")
                raise AssertionError(f"{self.name}: the cells did not all run in time; prompts {prompts}")
            time.sleep(3)

    def cell_with(self, text):
        """The one code cell whose source holds text, by position: it stays found after an edit."""
        cells = self.code_cells()
        hits = [i for i in range(cells.count()) if text in cells.nth(i).locator(".cm-content").inner_text()]
        assert len(hits) == 1, f"{self.name}: {len(hits)} code cells hold {text!r}"
        return cells.nth(hits[0])

    def check_outputs(self):
        p = self.page
        nb = p.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        # No cell shows an error: GoNB shows a failed build or a panic as an error or stderr output.
        errors = nb.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-OutputArea-output.jp-mod-error")
        if errors.count():
            self.shot("error")
            raise AssertionError(f"{self.name}: a cell shows an error: {errors.first.inner_text()[:500]}")
        # The tables render as tables.
        tables = nb.locator(".jp-OutputArea-output table")
        expect(tables.first).to_be_visible()
        assert tables.count() >= 5, f"{self.name}: {tables.count()} tables rendered, want the dataset's, the tokens', the report's..."
        # The PCA picture and the confusion heatmap: visible images with an area.
        for text, title in (("pca.Map", "[CLS] features of the training sentences"), (SVM_CELL, "Confusion matrix")):
            img = self.cell_with(text).locator(".jp-OutputArea-output svg[role='img']").filter(has_text=title)
            expect(img).to_be_visible()
            img.scroll_into_view_if_needed()
            box = img.bounding_box()
            assert box and box["width"] > 150 and box["height"] > 150, f"{self.name}: {title}: {box}"
            self.shot("pca" if text == "pca.Map" else "confusion")
        # The features come from the teacher's shared cache: nothing computed, nothing downloaded.
        feats = self.cell_with("for _, split := range ex1.Splits").locator(".jp-OutputArea").inner_text()
        for split in ("train", "validation", "test"):
            assert re.search(rf"embed {split}: \d+ sentences from the cache", feats), \
                f"{self.name}: the {split} features were not read from the cache:\n{feats}"
        assert "download" not in feats.lower(), f"{self.name}: something was downloaded:\n{feats}"

    def accuracy_line(self, cell=None):
        """The accuracy table as the student reads it: its title (the SVM and its C) and its rows."""
        cell = cell or self.cell_with(SVM_CELL)
        out = cell.locator(".jp-OutputArea").inner_text()
        m = re.search(r"Exercise 1\.3 — .*?(?=classification_report)", out, re.S)
        return m.group(0).strip() if m else ""

    def edit_c(self):
        p = self.page
        cell = self.cell_with(SVM_CELL)
        before = self.accuracy_line()
        editor = cell.locator(".cm-content")
        editor.click()
        src = editor.inner_text()
        assert SVM_LITERAL in src, src
        # What a student does: select the literal and type another one.
        p.keyboard.press("Control+a")
        p.keyboard.insert_text(src.replace(SVM_LITERAL, "svm.LinearSVC{C: 0.001}"))
        expect(cell.locator(".cm-content")).to_contain_text("svm.LinearSVC{C: 0.001}")
        self.shot("c-edited")
        p.keyboard.press("Shift+Enter")
        deadline = time.time() + 300
        while True:
            prompt = cell.locator(".jp-InputPrompt").inner_text().strip()
            after = self.accuracy_line(cell)
            if re.fullmatch(r"\[\d+\]:", prompt) and after and after != before:
                break
            if time.time() > deadline:
                self.shot("c-timeout")
                raise AssertionError(f"{self.name}: the accuracy did not change with C=0.001:\n{before}")
            time.sleep(2)
        assert "C=0.001" in after, f"{self.name}: the accuracy table does not name the new C:\n{after}"
        rows = lambda t: [line for line in t.splitlines() if line.startswith(("validation", "test"))]  # noqa: E731
        assert rows(after) != rows(before), f"{self.name}: C=0.001 left the accuracies as they were:\n{before}\n{after}"
        errors = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
        cell.scroll_into_view_if_needed()
        self.shot("c-rerun")
        print(f"  {self.name}: accuracy with C=1.0:\n    " + before.replace("\n", " | ")
              + f"\n  {self.name}: with C=0.001:\n    " + after.replace("\n", " | "), flush=True)

    def complete(self):
        p = self.page
        last = self.code_cells().last
        last.locator(".cm-content").click()
        p.keyboard.press("Escape")
        p.keyboard.press("b")  # a new cell below, as a student would add one
        new = self.code_cells().last
        new.locator(".cm-content").click()
        p.keyboard.type("%%\nsvc := svm.")
        items = p.locator(".jp-Completer .jp-Completer-item")
        deadline = time.time() + 180  # gopls loads the lab's packages on its first request
        while True:
            p.keyboard.press("Tab")
            try:
                expect(items.first).to_be_visible(timeout=15_000)
                break
            except AssertionError:
                if time.time() > deadline:
                    self.shot("completion-timeout")
                    raise AssertionError(f"{self.name}: no completion for svm.")
        names = items.all_inner_texts()
        self.shot("completion")
        assert any("LinearSVC" in n for n in names), f"{self.name}: completion of svm. offers {names}"
        print(f"  {self.name}: svm. completes to {[n.strip() for n in names][:6]}", flush=True)
        p.keyboard.press("Escape")

    def cannot_reach(self, other):
        """Her browser gets nothing of another student's server: no page, no file listing."""
        r = self.page.request.get(f"{self.hub}/user/{other}/api/contents/translab/notebooks", max_redirects=0)
        assert r.status in (302, 403, 404), f"{self.name} read {other}'s files: HTTP {r.status}"
        r = self.page.request.get(f"{self.hub}/user/{other}/api/contents/translab/notebooks")
        assert "01_sentiment_baseline" not in r.text(), f"{self.name} listed {other}'s notebooks"
        own = self.page.request.get(f"{self.hub}/user/{self.name}/api/contents/translab/notebooks")
        assert own.ok and "01_sentiment_baseline" in own.text(), f"{self.name}: own listing failed: {own.status}"
        self.page.goto(f"{self.hub}/user/{other}/lab")
        assert f"/user/{other}/lab" not in self.page.url or "403" in self.page.content(), \
            f"{self.name} opened {other}'s JupyterLab at {self.page.url}"
        self.shot(f"no-access-to-{other}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hub", required=True)
    ap.add_argument("--user", action="append", required=True, help="NAME:PASSWORD")
    ap.add_argument("--shots", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--run-timeout", type=int, default=900, help="seconds for both students' Run All")
    a = ap.parse_args()
    t0 = time.time()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=a.chromium, args=["--no-sandbox"])
        students = [Student(browser, a.hub, *u.split(":", 1), a.shots) for u in a.user]
        try:
            for s in students:
                s.log_in()
            # Both at once: each opens notebook 01 and runs all its cells before either is waited on.
            for s in students:
                s.open_and_run_all()
            print(f"browser test: both students run all cells of notebook 01 ({time.time() - t0:.0f} s so far)", flush=True)
            deadline = time.time() + a.run_timeout
            for s in students:
                prompts = s.wait_all_ran(deadline)
                s.shot("ran-all")
                print(f"  {s.name}: all {len(prompts)} code cells ran ({time.time() - t0:.0f} s so far)", flush=True)
            for s in students:
                s.check_outputs()
                s.edit_c()
                s.complete()
            for s in students:
                for other in students:
                    if other is not s:
                        s.cannot_reach(other.name)
        except BaseException:
            for s in students:
                try:
                    s.shot("failure")
                except Exception:
                    pass
            raise
        finally:
            browser.close()
    print(f"browser test: passed in {time.time() - t0:.0f} s; screenshots in {a.shots}")


if __name__ == "__main__":
    sys.exit(main())
