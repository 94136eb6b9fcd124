package main

// Bad input, tried as a new user would: each case exits non-zero with a message naming the flag or
// the file, without a panic, and leaves nothing behind (issue 12's table, row by row).

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/results"
)

// localModel is a copy of the demo's DistilBERT or CLIP folder: an ordinary local HF model.
func localModel(t *testing.T, clip bool) string {
	t.Helper()
	dir, err := data.DemoDir()
	if clip {
		dir, err = data.CLIPDemoDir()
	}
	if err != nil {
		t.Fatal(err)
	}
	return reference.CopyFiles(t, dir, filepath.Join(t.TempDir(), "model"))
}

func truncateFile(t *testing.T, path string, keep float64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(st.Size())*keep)); err != nil {
		t.Fatal(err)
	}
}

// mustNotExist fails when a path a failed command should not have made exists.
func mustNotExist(t *testing.T, what string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s: %s was left behind", what, p)
		}
	}
}

// noTempNames fails when a message shows a temporary file the user never named.
func noTempNames(t *testing.T, what, stderr string) {
	t.Helper()
	if strings.Contains(stderr, ".tmp-") || strings.Contains(stderr, ".lab-probe") {
		t.Errorf("%s: the message shows an internal temporary name: %q", what, stderr)
	}
}

// flagLine is a numeric flag as PrintDefaults shows it: "  -limit int".
var flagLine = regexp.MustCompile(`(?m)^  -([a-zA-Z-]+) (int|uint|float)\b`)

// Every numeric flag of every verb and part refuses a value out of range at parse time, naming
// itself, with exit status 2 — before any model, file or network is touched.
func TestEveryNumericFlagIsRangeChecked(t *testing.T) {
	reference.Offline(t)
	dir := t.TempDir()
	base := map[string][]string{
		"tokenize":      {"tokenize", "--tokenizer", "t", "--input", "i"},
		"embed":         {"embed", "--model", "m", "--input", "i", "--out", "o.npy"},
		"svm":           {"svm", "--train-x", "a", "--train-y", "b", "--test-x", "c", "--out-pred", "d"},
		"classify":      {"classify", "--model", "m", "--input", "i"},
		"clip-embed":    {"clip-embed", "--out", "o.npy", "--texts", "t"},
		"bench":         {"bench", "embed"},
		"ex1":           {"ex1"},
		"ex2":           {"ex2", "--output-dir", filepath.Join(dir, "ex2")},
		"ex3 zero-shot": {"ex3", "zero-shot"},
		"ex3 adapt":     {"ex3", "adapt"},
		"fetch":         {"fetch"},
		"fetch-plugin":  {"fetch-plugin"},
	}
	for name := range verbs {
		if _, ok := base[name]; !ok && name != "ex3" {
			t.Errorf("verb %s is not covered by this test", name)
		}
	}
	checked := 0
	for name, args := range base {
		_, help, _ := runLab(t, append(slices.Clone(args), "--help")...)
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			flagName, kind := m[1], m[2]
			bad := []string{"-1000000000"}
			if kind == "float" {
				bad = append(bad, "NaN", "-Inf")
			}
			for _, v := range bad {
				stdout, stderr, code := runLab(t, append(slices.Clone(args), "--"+flagName, v)...)
				if code != 2 || !strings.Contains(stderr, "-"+flagName) || stdout != "" {
					t.Errorf("lab %s --%s %s: exit %d, stderr %q", name, flagName, v, code, stderr)
				}
				checked++
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d bad values tried: the help output is not what this test reads", checked)
	}
	mustNotExist(t, "range checks", filepath.Join(dir, "ex2"))

	// The table's cases, by their messages.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ex3", "zero-shot", "--limit", "-5"}, "lab ex3 zero-shot: --limit -5: want ≥ 0"},
		{[]string{"ex3", "adapt", "--shots", "-2"}, "lab ex3 adapt: --shots -2: want ≥ 1"},
		{[]string{"ex1", "--samples", "-3"}, "lab ex1: --samples -3: want ≥ 0"},
		{[]string{"embed", "--model", "m", "--input", "i", "--out", "o.npy", "--max-length", "-1"}, "lab embed: --max-length -1: want ≥ 0"},
		{[]string{"ex3", "zero-shot", "--batch", "-1"}, "lab ex3 zero-shot: --batch -1: want ≥ 1"},
		{[]string{"embed", "--model", "m", "--input", "i", "--out", "o.npy", "--batch", "0"}, "lab embed: --batch 0: want ≥ 1"},
		{[]string{"ex1", "--C", "0"}, "lab ex1: --C 0: want > 0"},
		{[]string{"ex2", "--warmup-ratio", "1.5"}, "lab ex2: --warmup-ratio 1.5: want between 0 and 1"},
		{[]string{"ex2", "--metric", "vibes"}, `lab ex2: --metric "vibes": want loss, accuracy`},
		{[]string{"svm", "--train-x", "a", "--train-y", "b", "--test-x", "c", "--out-pred", "d", "--solver", "quantum"}, `lab svm: --solver "quantum": want primal or dual`},
	} {
		_, stderr, code := runLab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("lab %s: exit %d, %q, want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// A --model that cannot be read is an error in every exercise, not the demo: a folder that is not
// there, or one whose model.safetensors was cut short. ex2 exports nothing, adapt writes nothing.
func TestBadModelIsAnError(t *testing.T) {
	reference.Offline(t)
	missing := "./no/such/model"
	text, clip := localModel(t, false), localModel(t, true)
	truncateFile(t, filepath.Join(text, "model.safetensors"), 0.5)
	truncateFile(t, filepath.Join(clip, "model.safetensors"), 0.5)
	out := t.TempDir()
	for _, c := range []struct {
		name, model string
		args        []string
		want        string
	}{
		{"ex1, missing", missing, []string{"ex1"}, missing},
		{"ex1, truncated", text, []string{"ex1"}, filepath.Join(text, "model.safetensors")},
		{"ex1, another hub id", "someone/bert", []string{"ex1"}, "someone/bert"},
		{"ex2, missing", missing, []string{"ex2", "--output-dir", filepath.Join(out, "ex2a")}, missing},
		{"ex2, truncated", text, []string{"ex2", "--output-dir", filepath.Join(out, "ex2b")}, filepath.Join(text, "model.safetensors")},
		{"ex3 zero-shot, missing", missing, []string{"ex3", "zero-shot"}, missing},
		{"ex3 zero-shot, truncated", clip, []string{"ex3", "zero-shot"}, filepath.Join(clip, "model.safetensors")},
		{"ex3 adapt, missing", missing, []string{"ex3", "adapt", "--out", filepath.Join(out, "adapt-a")}, missing},
		{"ex3 adapt, truncated", clip, []string{"ex3", "adapt", "--out", filepath.Join(out, "adapt-b")}, filepath.Join(clip, "model.safetensors")},
	} {
		args := append(slices.Clone(c.args), "--model", c.model, "--results", filepath.Join(out, "r.json"))
		stdout, stderr, code := runLab(t, args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stdout, "DEMO") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q, want an error naming %s", c.name, code, stdout, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("failed runs left %v in %s", entries, out)
	}
}

// lab svm reads and checks every input before it fits, and writes its outputs only when all are
// complete: a wrong --test-y costs no fit and leaves no predictions; the user's file is untouched.
func TestSVMRefusesBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	p := func(s string) string { return filepath.Join(dir, s) }
	npy.WriteFloat32(p("x.npy"), []int{6, 2}, []float32{0, 1, 1, 0, 0, 2, 2, 0, 0, 3, 3, 0})
	npy.WriteInt64(p("y.npy"), []int{6}, []int64{0, 1, 0, 1, 0, 1})
	npy.WriteInt64(p("y4.npy"), []int{4}, []int64{0, 1, 0, 1})
	npy.WriteFloat32(p("yf.npy"), []int{6}, []float32{0, 1, 0, 1, 0, 1})
	os.WriteFile(p("mine.npy"), []byte("the user's file"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong-length --test-y", []string{"--test-y", p("y4.npy"), "--out-pred", p("pred.npy"), "--out-decision", p("dec.npy")}, p("y4.npy") + ": 4 labels for 6 rows"},
		{"float labels", []string{"--test-y", p("yf.npy"), "--out-pred", p("pred.npy")}, p("yf.npy") + ": labels must be integers, and this array holds floats"},
		{"wrong-length over a user's file", []string{"--test-y", p("y4.npy"), "--out-pred", p("mine.npy")}, "4 labels for 6 rows"},
		{"--out-pred in a missing folder", []string{"--out-pred", p("no/pred.npy")}, "--out-pred: " + p("no/pred.npy") + ": the directory " + p("no") + " does not exist"},
		{"--out-decision in a missing folder", []string{"--out-pred", p("pred.npy"), "--out-decision", p("no/dec.npy")}, "--out-decision: " + p("no/dec.npy")},
		{"both outputs one file", []string{"--out-pred", p("pred.npy"), "--out-decision", p("pred.npy")}, "name the same file"},
		{"missing input", []string{"--train-x", p("nope.npy"), "--out-pred", p("pred.npy")}, "--train-x: " + p("nope.npy") + ": no such file"},
	} {
		args := append([]string{"svm", "--train-x", p("x.npy"), "--train-y", p("y.npy"), "--test-x", p("x.npy")}, c.args...)
		stdout, stderr, code := runLab(t, args...)
		if code == 0 || !strings.Contains(stderr, c.want) || stdout != "" || strings.Contains(stderr, "wrote") {
			t.Errorf("%s: exit %d, %q, want %q", c.name, code, stderr, c.want)
		}
		noTempNames(t, c.name, stderr)
	}
	mustNotExist(t, "svm", p("pred.npy"), p("dec.npy"), p("no"))
	if b, _ := os.ReadFile(p("mine.npy")); string(b) != "the user's file" {
		t.Errorf("a failed run replaced the user's file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 5 {
		t.Errorf("left behind: %v", entries)
	}
}

// Output paths are checked before any model is looked for: the model here does not exist, so an
// error about the output proves the order. Messages show the user's path, never a temporary one.
func TestOutputPathsCheckedFirst(t *testing.T) {
	reference.Offline(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte("a fine film .\n"), 0o644)
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	missing := filepath.Join(dir, "no", "such")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"embed", "--model", "no/such-model", "--input", in, "--out", filepath.Join(missing, "x.npy")}, "--out: " + filepath.Join(missing, "x.npy") + ": the directory " + missing + " does not exist"},
		{[]string{"clip-embed", "--model", "no/such-model", "--texts", in, "--out", filepath.Join(missing, "x.npy")}, "--out: " + filepath.Join(missing, "x.npy")},
		{[]string{"embed", "--model", "no/such-model", "--input", in, "--out", dir}, dir + " is a directory"},
		{[]string{"ex1", "--model", "no/such-model", "--results", filepath.Join(missing, "r.json")}, "--results: " + filepath.Join(missing, "r.json")},
		{[]string{"ex2", "--model", "no/such-model", "--output-dir", filepath.Join(file, "run")}, "--output-dir: " + filepath.Join(file, "run") + ": " + file + " is a file"},
		{[]string{"ex3", "adapt", "--model", "no/such-model", "--out", filepath.Join(file, "x")}, "--out: "},
		{[]string{"ex3", "zero-shot", "--model", "no/such-model", "--results", file + "/r.json"}, "--results: "},
		{[]string{"bench", "embed", "--json", filepath.Join(missing, "b.jsonl")}, "--json: " + filepath.Join(missing, "b.jsonl")},
		{[]string{"embed", "--model", "no/such-model", "--input", filepath.Join(dir, "nope.txt"), "--out", filepath.Join(dir, "x.npy")}, "--input: " + filepath.Join(dir, "nope.txt") + ": no such file"},
	} {
		stdout, stderr, code := runLab(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "no/such-model") || stdout != "" {
			t.Errorf("lab %s: exit %d, %q, want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
		noTempNames(t, c.args[0], stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
}

// ex3 names a part it does not know; each part's --help shows its own flags; bench names --dtype.
func TestPartsAndUsage(t *testing.T) {
	if _, stderr, code := runLab(t, "ex3", "bogus"); code != 2 || !strings.Contains(stderr, `unknown part "bogus"`) {
		t.Errorf("ex3 bogus: exit %d, %q", code, stderr)
	}
	_, all, code := runLab(t, "ex3", "--help")
	if code != 0 || !strings.Contains(all, "-templates") || !strings.Contains(all, "-shots") {
		t.Errorf("ex3 --help (exit %d) lacks a part's flags:\n%s", code, all)
	}
	_, zs, _ := runLab(t, "ex3", "zero-shot", "--help")
	_, ad, _ := runLab(t, "ex3", "adapt", "--help")
	if !strings.Contains(zs, "usage: lab ex3 zero-shot") || !strings.Contains(zs, "-templates") || strings.Contains(zs, "-shots") {
		t.Errorf("ex3 zero-shot --help:\n%s", zs)
	}
	if !strings.Contains(ad, "usage: lab ex3 adapt") || !strings.Contains(ad, "-shots") || strings.Contains(ad, "-templates") {
		t.Errorf("ex3 adapt --help:\n%s", ad)
	}
	if _, bench, _ := runLab(t, "bench", "embed", "--help"); !strings.Contains(bench, "[--dtype float32|bf16]") {
		t.Errorf("bench's usage lacks --dtype:\n%s", bench)
	}
}

// rottenCopy is a folder of Rotten Tomatoes' layout written by pyarrow (lab/datasets' fixture):
// 34/8/8 sentences, classes named in its README.
func rottenCopy(t *testing.T) string {
	return reference.CopyFiles(t, filepath.Join("..", "..", "datasets", "testdata", "rotten"), filepath.Join(t.TempDir(), "rotten"))
}

// ex1 on a local folder of parquet splits and a local model, offline: no hub, no demo; its
// manifest names both with the sha256 of every file. A truncated split is an error naming it.
func TestEx1LocalDatasetAndModel(t *testing.T) {
	reference.Offline(t)
	model, rt := localModel(t, false), rottenCopy(t)
	out := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runLab(t, "ex1", "--dataset", rt, "--model", model, "--results", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "DEMO") || !strings.Contains(stdout, "Exercise 1 — dataset "+rt+" (34/8/8 sentences) — model "+model) {
		t.Errorf("output:\n%s", stdout)
	}
	run, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Demo || run.Model.ID != model || len(run.Datasets) != 1 || run.Datasets[0].ID != rt || len(run.Datasets[0].Files) != 4 { // the README and three splits
		t.Errorf("manifest: %+v", run)
	}
	split, _ := results.Hash(filepath.Join(rt, "validation.parquet"))
	if !slices.Contains(run.Datasets[0].Files, split) {
		t.Errorf("the manifest lacks %+v", split)
	}

	if _, stderr, code := runLab(t, "ex1", "--dataset", rt, "--model", model, "--inspect", "34"); code != 2 || !strings.Contains(stderr, "--inspect 34: want < 34") {
		t.Errorf("--inspect past the training split: exit %d, %q", code, stderr)
	}

	truncateFile(t, filepath.Join(rt, "validation.parquet"), 0.5)
	os.Remove(out)
	stdout, stderr, code = runLab(t, "ex1", "--dataset", rt, "--model", model, "--results", out)
	if code != 1 || !strings.Contains(stderr, filepath.Join(rt, "validation.parquet")+": not parquet, or truncated") || stdout != "" {
		t.Errorf("truncated split: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	mustNotExist(t, "truncated split", out)

	for _, c := range []struct{ dataset, want string }{
		{"./no/such/folder", "--dataset ./no/such/folder: no such folder"},
		{"imagenette", "not a dataset of this part"},
		{"rotten_tomatoe", `--dataset "rotten_tomatoe": unknown`},
	} {
		_, stderr, code := runLab(t, "ex1", "--dataset", c.dataset, "--model", model)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("--dataset %s: exit %d, %q", c.dataset, code, stderr)
		}
	}
	if _, stderr, code := runLab(t, "ex1", "--demo", "--dataset", rt); code == 0 || !strings.Contains(stderr, rt) {
		t.Errorf("--demo with a damaged folder: exit %d, %q", code, stderr)
	}
}

// ex3 on a local image folder outside the catalog (the demo's shapes, copied): classes from its
// README, zero-shot and the two baselines of adapt, offline.
func TestEx3LocalImageFolder(t *testing.T) {
	reference.Offline(t)
	model := localModel(t, true)
	shapes := filepath.Join(t.TempDir(), "shapes")
	os.MkdirAll(shapes, 0o755)
	for _, f := range []string{"README.md", "train.parquet", "test.parquet"} {
		raw, _ := os.ReadFile(filepath.Join(model, f))
		os.WriteFile(filepath.Join(shapes, f), raw, 0o644)
	}
	stdout, stderr, code := runLab(t, "ex3", "zero-shot", "--dataset", shapes, "--model", model, "--limit", "12")
	if code != 0 || strings.Contains(stdout, "DEMO") || !strings.Contains(stdout, "Per-class accuracy — "+shapes) || !strings.Contains(stdout, "red circle") {
		t.Errorf("zero-shot: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = runLab(t, "ex3", "adapt", "--dataset", shapes, "--model", model, "--methods", "zero-shot,linear-probe", "--shots", "2", "--eval", "8")
	if code != 0 || strings.Contains(stdout, "DEMO") || !strings.Contains(stdout, "Adapting CLIP — "+shapes) {
		t.Errorf("adapt: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// checkManifest reads a demo run's manifest: backend, seeds, the metrics, sha256 of the files read
// and the Go version must be there.
func checkManifest(t *testing.T, path, exercise string, metrics ...string) *results.Run {
	t.Helper()
	run, err := results.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Zero-shot draws nothing at random: its manifest says so with an empty seeds object.
	if run.Exercise != exercise || run.Backend.Config == "" || run.Seeds == nil || (len(run.Seeds) == 0) != (exercise == "ex3 zero-shot") || run.Versions.Go != runtime.Version() ||
		!run.Demo || run.DemoWhy != "asked for" || run.Model == nil || len(run.Model.Files) == 0 || len(run.Datasets) == 0 || run.WallSeconds <= 0 {
		t.Errorf("%s manifest: %+v", exercise, run)
	}
	for _, m := range metrics {
		if _, ok := run.Metrics[m]; !ok {
			t.Errorf("%s manifest lacks metric %q: %v", exercise, m, run.Metrics)
		}
	}
	// Every option holds the value that ran, never a flag's stand-in: a "0" where the help says
	// what 0 means, "" where it names the default.
	_, help, _ := runLab(t, append(strings.Fields(exercise), "--help")...)
	name := ""
	for _, line := range strings.Split(help, "\n") {
		if f, ok := strings.CutPrefix(line, "  -"); ok {
			name = strings.Fields(f)[0]
			continue
		}
		v, recorded := run.Options[name]
		switch {
		case !recorded && name != "" && strings.HasPrefix(line, "    \t"):
			t.Errorf("%s manifest lacks option %q", exercise, name)
		case strings.Contains(line, "(0:") && v == "0", strings.Contains(line, "(default:") && v == "":
			t.Errorf("%s manifest: option %q is %q, the flag's stand-in for %s", exercise, name, v, strings.TrimSpace(line))
		}
	}
	checkPhases(t, run)
	for _, src := range append([]results.Source{*run.Model}, run.Datasets...) {
		for _, f := range src.Files {
			if got, err := results.Hash(f.Path); err != nil || got != f {
				t.Errorf("%s: %+v, the file has %+v (%v)", exercise, f, got, err)
			}
		}
	}
	return run
}

// --max-length past the model's position table is refused once the model's config is read, before
// any sentence runs.
func TestEmbedMaxLengthBound(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	model := localModel(t, false)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte("a fine film .\n"), 0o644)
	_, stderr, code := runLab(t, "embed", "--model", model, "--input", in, "--out", filepath.Join(dir, "o.npy"), "--max-length", "100000")
	if code != 2 || !regexp.MustCompile(`--max-length 100000: want ≤ \d+, the model's max_position_embeddings`).MatchString(stderr) {
		t.Errorf("exit %d, %q", code, stderr)
	}
	mustNotExist(t, "embed", filepath.Join(dir, "o.npy"))
}

// phasesOf are the phases each exercise's manifest must time, beside setup and manifest.
var phasesOf = map[string][]string{
	"ex1":           {"samples and tokens", "features train", "features validation", "features test", "svm", "report"},
	"ex2":           {"tokenisation", "training", "evaluation", "checkpoints", "prediction", "export", "baseline model", "features train", "svm", "report"},
	"ex3 zero-shot": {"report"},
	"ex3 adapt":     {"shots and features", "report"},
}

// checkPhases: a manifest times every phase of its exercise, and the phases add up to the wall
// time within a second (they follow one another, so only rounding separates them).
func checkPhases(t *testing.T, run *results.Run) {
	t.Helper()
	var sum float64
	for _, v := range run.Times {
		sum += v
	}
	if math.Abs(sum-run.WallSeconds) > 1 {
		t.Errorf("%s manifest: phases add up to %.3f s, the wall time is %.3f s: %v", run.Exercise, sum, run.WallSeconds, run.Times)
	}
	for _, p := range append([]string{"setup", "manifest"}, phasesOf[run.Exercise]...) {
		if _, ok := run.Times[p]; !ok {
			t.Errorf("%s manifest does not time phase %q: %v", run.Exercise, p, run.Times)
		}
	}
}
