package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchNewWorkloads runs corpus, finetune, zeroshot and train at toy sizes (one layer, a few items) on
// whatever backend the machine has, so that the GPU script's workloads are known to run before a
// GPU is lent; it checks the table row and the JSON line each appends.
func TestBenchNewWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds base-width models; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "bench.jsonl")
	cases := []struct {
		workload string
		args     []string
	}{
		{"corpus", []string{"--limit", "40", "--batch", "16"}},
		{"finetune", []string{"--limit", "12", "--batch", "4"}},
		{"zeroshot", []string{"--limit", "6", "--batch", "4"}},
		{"train", []string{"--batch", "4", "--seq", "8", "--batches", "2"}},
	}
	for _, c := range cases {
		stdout, stderr, code := runLab(t, append([]string{"bench", c.workload, "--layers", "1", "--json", out}, c.args...)...)
		if code != 0 || !strings.Contains(stdout, c.workload+" ") || !strings.Contains(stdout, "float32") || !strings.Contains(stdout, " GiB\n") || !strings.HasPrefix(stdout, "backend ") {
			t.Fatalf("lab bench %s: exit %d\nstdout: %s\nstderr: %s", c.workload, code, stdout, stderr)
		}
		// Every workload but finetune (whose shuffled batches it does not see) counts its FLOPs
		// and shows their rate against the machine's peak, derived on the line below.
		if counted := strings.Contains(stdout, " %\t"); counted == (c.workload == "finetune") || !strings.Contains(stdout, "(peak ") {
			t.Errorf("lab bench %s: GFLOP/s and %% of peak shown %v, want %v\n%s", c.workload, counted, c.workload != "finetune", stdout)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Impl, Workload     string
			Items              int
			Throughput, GFLOPS float64
			PeakGFLOPS         float64 `json:"peak_gflops"`
			PeakRSS            int64   `json:"peak_rss_bytes"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		// The peak is the whole process's, so at least the one layer's weights: more than 10 MB.
		if r.Impl != "gomlx" || r.Items == 0 || r.Throughput <= 0 || r.PeakRSS < 10<<20 || r.PeakGFLOPS <= 0 || (r.GFLOPS <= 0) != (r.Workload == "finetune") {
			t.Errorf("JSON line %s", sc.Text())
		}
		got = append(got, r.Workload)
	}
	if strings.Join(got, ",") != "corpus,finetune,zeroshot,train" {
		t.Errorf("JSON lines for %v, want corpus, finetune, zeroshot, train", got)
	}
}

// TestBenchProject runs the time-to-result projection with one-layer models: a row per exercise,
// each with a rate against the peak and a projected time.
func TestBenchProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds base-width models; skipped with -short")
	}
	stdout, stderr, code := runLab(t, "bench", "project", "--layers", "1")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, task := range []string{"Exercise 1 features", "Exercise 2 epoch", "ImageNette zero-shot"} {
		i := strings.Index(stdout, task)
		if i < 0 {
			t.Fatalf("no %q row:\n%s", task, stdout)
		}
		line, _, _ := strings.Cut(stdout[i:], "\n")
		if cells := strings.Split(line, "\t"); len(cells) != 6 || !strings.HasSuffix(cells[4], " %") || !strings.ContainsAny(cells[5], "smh") {
			t.Errorf("%s row: %q", task, line)
		}
	}
}

func TestBenchSize(t *testing.T) {
	for _, c := range []struct {
		workload, backend string
		limit, want       int
	}{
		{"corpus", "xla:/x/xla_cuda_plugin.so", 0, 10662},
		{"corpus", "go:parallelism=-1", 0, 256},
		{"finetune", "xla:cpu", 0, 64},
		{"zeroshot", "xla:cuda", 100000, 512},
		{"finetune", "go", 10, 10},
	} {
		if got := benchSize(c.workload, c.limit, c.backend); got != c.want {
			t.Errorf("benchSize(%s, %d, %s) = %d, want %d", c.workload, c.limit, c.backend, got, c.want)
		}
	}
}
