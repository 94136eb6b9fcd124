package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample(t *testing.T) *Run {
	t.Helper()
	r := New("ex1")
	r.Backend = Backend{Config: "go:parallelism=-1", Description: "pure Go, SIMD", Reason: "no PJRT plugin found"}
	if err := r.Metric("test/accuracy", 0.798); err != nil {
		t.Fatal(err)
	}
	r.Seed("samples", 42)
	r.Option("C", "1")
	r.PhaseSince("setup", time.Now().Add(-1500*time.Millisecond))
	r.Model = &Source{ID: "distilbert-base-uncased", Revision: strings.Repeat("a", 40), Files: []File{{Path: "/m/model.safetensors", Bytes: 3, SHA256: strings.Repeat("0", 64)}}}
	return r
}

func TestSaveAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	r := sample(t)
	filled := false
	r.OnSave(func(r *Run) error { filled = true; r.Demo = true; return nil })
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !filled || !got.Demo || got.Metrics["test/accuracy"] != 0.798 || got.Seeds["samples"] != 42 || got.Times["setup"] < 1.5 ||
		got.Versions.Go == "" || got.Finished.Before(got.Started) || got.WallSeconds < 0 {
		t.Errorf("loaded %+v", got)
	}
	// The same run encodes to the same bytes: manifests are compared by diffing.
	a, _ := got.Encode()
	b, _ := os.ReadFile(path)
	if !bytes.Equal(a, b) {
		t.Errorf("re-encoding differs:\n%s\n%s", a, b)
	}
}

// A manifest that cannot be written leaves nothing, and says which file; one that cannot be
// completed is not written at all.
func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	r := sample(t)
	if err := r.Save(filepath.Join(dir, "no", "r.json")); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no", "r.json")) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("missing directory: %v", err)
	}
	r.OnSave(func(*Run) error { return errors.New("a dataset file vanished") })
	if err := r.Save(filepath.Join(dir, "r.json")); err == nil || !strings.Contains(err.Error(), "vanished") {
		t.Errorf("failed fill: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	if err := r.Metric("loss", math.Inf(1)); err == nil {
		t.Error("an infinite metric was accepted")
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, err := sample(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string]string{
		"unknown field":   strings.Replace(string(good), `"format": 1,`, `"format": 1, "acuracy": 1,`, 1),
		"other format":    strings.Replace(string(good), `"format": 1,`, `"format": 2,`, 1),
		"no backend":      strings.Replace(string(good), `"config": "go:parallelism=-1",`, `"config": "",`, 1),
		"bad sha256":      strings.Replace(string(good), strings.Repeat("0", 64), "00", 1),
		"two values":      string(good) + "{}",
		"truncated":       string(good[:len(good)/2]),
		"not JSON at all": "\xff\xfe",
	} {
		if _, err := Decode([]byte(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHash(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("hello"), 0o644)
	f, err := Hash(p)
	sum := sha256.Sum256([]byte("hello"))
	if err != nil || f.Bytes != 5 || f.SHA256 != hex.EncodeToString(sum[:]) || f.Path != p {
		t.Errorf("%+v %v", f, err)
	}
}

// FuzzDecode: no input makes Decode panic, and whatever it accepts encodes and decodes back to
// the same manifest.
func FuzzDecode(f *testing.F) {
	r := New("ex1")
	r.Backend.Config = "go"
	good, _ := r.Encode()
	f.Add(good)
	full := sampleForFuzz()
	raw, _ := full.Encode()
	f.Add(raw)
	f.Add([]byte(`{"format":1,"exercise":"x","backend":{"config":"go"},"metrics":{"a":1e308}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Decode(raw)
		if err != nil {
			return
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		r2, err := Decode(again)
		if err != nil {
			t.Fatalf("its own encoding is refused: %v\n%s", err, again)
		}
		third, _ := r2.Encode()
		if !bytes.Equal(again, third) {
			t.Fatalf("encoding is not stable:\n%s\n%s", again, third)
		}
	})
}

func sampleForFuzz() *Run {
	r := New("ex3 zero-shot")
	r.Backend = Backend{Config: "xla:/p.so", Plugin: &File{Path: "/p.so", Bytes: 1, SHA256: strings.Repeat("f", 64)}}
	r.Metric("eurosat/top1", 0.25)
	r.Seed("training", 7)
	r.Datasets = []Source{{ID: "timm/eurosat-rgb", Files: []File{{Path: "a", SHA256: strings.Repeat("1", 64)}}}}
	return r
}

func TestPhasesAddUpToTheWallTime(t *testing.T) {
	r := New("ex2")
	r.Backend.Config = "go"
	r.PhaseSince("setup", r.Started)
	time.Sleep(20 * time.Millisecond)
	r.Phase("training")
	time.Sleep(30 * time.Millisecond)
	r.Phase("evaluation")
	time.Sleep(10 * time.Millisecond)
	r.Phase("training") // entered again: its time adds up
	time.Sleep(30 * time.Millisecond)
	if err := r.Save(filepath.Join(t.TempDir(), "r.json")); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range r.Times {
		sum += v
	}
	if math.Abs(sum-r.WallSeconds) > 0.005 {
		t.Errorf("phases sum to %.4f s, wall %.4f s: %v", sum, r.WallSeconds, r.Times)
	}
	if r.Times["training"] < 0.06 || r.Times["evaluation"] < 0.01 || r.Times["setup"] < 0.02 {
		t.Errorf("times %v: training should hold both of its spells", r.Times)
	}
	if _, ok := r.Times["manifest"]; !ok {
		t.Errorf("Save's own work is not timed: %v", r.Times)
	}
	var none *Run
	none.Phase("training") // a step marks phases whether or not a manifest is kept
}
