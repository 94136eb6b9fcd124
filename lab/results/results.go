// Package results keeps what one run of an exercise did, in a JSON manifest a class can keep and
// compare by diffing: the metrics it printed, its seeds and options, the backend that ran, the
// model and datasets with their revisions and the sha256 of every file read, the versions of Go,
// the lab and GoMLX, and wall times.
//
//	run := s.Results("ex1")            // a session fills in the backend, model and datasets
//	run.Metric("test/accuracy", acc)
//	run.Seed("samples", 42)
//	err := run.Save("ex1.json")
//
// Maps are written with sorted keys and floats in their shortest exact form, so two manifests of
// the same run differ only where the runs did.
package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-translab/translab/lab/atomicfile"
)

// Format is the manifest's version, bumped when a field changes meaning.
const Format = 1

// Run is one manifest.
type Run struct {
	Format   int       `json:"format"`
	Exercise string    `json:"exercise"` // "ex1", "ex2", "ex3 zero-shot", "ex3 adapt", or a notebook's own name
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// WallSeconds is Finished − Started; Times breaks it into phases (setup, features, training…).
	WallSeconds float64            `json:"wall_seconds"`
	Times       map[string]float64 `json:"times,omitempty"`
	// Metrics are the numbers the run printed, named "split/metric" or "dataset/metric".
	Metrics map[string]float64 `json:"metrics"`
	// Seeds are every seed the run drew from; {} says it drew none (zero-shot is deterministic).
	Seeds map[string]uint64 `json:"seeds"`
	// Options are the settings as given (command-line flags, or a notebook's knobs), as text.
	Options  map[string]string `json:"options,omitempty"`
	Backend  Backend           `json:"backend"`
	Demo     bool              `json:"demo"`
	DemoWhy  string            `json:"demo_why,omitempty"`
	Model    *Source           `json:"model,omitempty"`
	Datasets []Source          `json:"datasets,omitempty"`
	Versions Versions          `json:"versions"`

	// fill completes the run from whoever made it (a session: backend, model, datasets) when it is
	// saved, since datasets are opened after the run starts.
	fill func(*Run) error

	// The phase running now and since when: phases follow one another with no gap, so that
	// Times adds up to WallSeconds and a class sees where a run's time went.
	phase      string
	phaseSince time.Time
	phaseMu    sync.Mutex
}

// Backend is the GoMLX backend that actually ran, after any fallback.
type Backend struct {
	Config      string `json:"config"`                // as GOMLX_BACKEND takes it
	Description string `json:"description,omitempty"` // e.g. "pure Go, SIMD", or the plugin's own words
	Reason      string `json:"reason,omitempty"`      // why this one
	Plugin      *File  `json:"plugin,omitempty"`      // the PJRT plugin's file, when one is loaded by path
	// Deterministic says whether a seeded run repeats bit for bit on this backend (so a diff of
	// two manifests shows a change, not noise): pure Go; not XLA's CPU plugin across processes.
	Deterministic bool `json:"deterministic"`
}

// Source is a model or a dataset: where it came from and the files read.
type Source struct {
	ID       string `json:"id"`                 // hub id, or what stands in for it (the demo, a folder)
	Revision string `json:"revision,omitempty"` // the commit the files are at, when known
	Dir      string `json:"dir,omitempty"`      // the local folder read
	Files    []File `json:"files"`
}

// File is one file read, by content.
type File struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Versions are the software that made the numbers.
type Versions struct {
	Go    string            `json:"go"`
	Lab   string            `json:"lab"`               // the module's version, or its VCS revision in a development build
	GoMLX string            `json:"gomlx"`             // github.com/gomlx/gomlx
	Other map[string]string `json:"modules,omitempty"` // compute, go-xla, go-huggingface…
}

// New starts the manifest of a run of exercise, now.
func New(exercise string) *Run {
	return &Run{
		Format: Format, Exercise: exercise, Started: time.Now().UTC().Truncate(time.Millisecond),
		Metrics: map[string]float64{}, Seeds: map[string]uint64{}, Versions: BuildVersions(),
	}
}

// OnSave sets what completes the run when it is saved; a session sets it to fill in the backend,
// the model and the datasets it opened.
func (r *Run) OnSave(fill func(*Run) error) { r.fill = fill }

// Metric records a number the run printed. NaN and ±Inf have no JSON form and are refused.
func (r *Run) Metric(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("results: metric %q is %v, which JSON cannot hold", name, v)
	}
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	r.Metrics[name] = v
	return nil
}

// Seed records a seed the run used.
func (r *Run) Seed(name string, v uint64) {
	if r.Seeds == nil {
		r.Seeds = map[string]uint64{}
	}
	r.Seeds[name] = v
}

// Option records a setting as given.
func (r *Run) Option(name, value string) {
	if r.Options == nil {
		r.Options = map[string]string{}
	}
	r.Options[name] = value
}

// Phase ends the phase running (its time is added to Times) and starts the named one now. A phase
// entered again adds to its time, so training interleaved with evaluations sums both. Save ends the
// last phase; a nil Run ignores the call, so steps may mark phases whether or not a manifest is kept.
func (r *Run) Phase(name string) { r.PhaseSince(name, time.Now()) }

// PhaseSince is Phase with the new phase starting at t (the setup phase starts with the process).
func (r *Run) PhaseSince(name string, t time.Time) {
	if r == nil {
		return
	}
	r.phaseMu.Lock()
	defer r.phaseMu.Unlock()
	r.endPhase(t)
	r.phase, r.phaseSince = name, t
}

func (r *Run) endPhase(t time.Time) {
	if r.phase == "" {
		return
	}
	if r.Times == nil {
		r.Times = map[string]float64{}
	}
	r.Times[r.phase] += max(t.Sub(r.phaseSince).Seconds(), 0)
	r.phase = ""
}

// Save completes the run (the finish time, and whatever OnSave fills in: the files read are hashed
// now) and writes it to path atomically: an existing manifest is replaced only by a complete one.
func (r *Run) Save(path string) error {
	r.Phase("manifest") // hashing every file read can take a while on a large dataset
	if r.fill != nil {
		if err := r.fill(r); err != nil {
			return fmt.Errorf("results: %s: %w", path, err)
		}
	}
	finished := time.Now()
	r.phaseMu.Lock()
	r.endPhase(finished)
	r.phaseMu.Unlock()
	r.Finished = finished.UTC().Truncate(time.Millisecond)
	r.WallSeconds = math.Round(r.Finished.Sub(r.Started).Seconds()*1000) / 1000
	raw, err := r.Encode()
	if err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, raw); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// Encode is the manifest as Save writes it: indented JSON, one field a line, ending in a newline.
func (r *Run) Encode() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<" in an option is easier to read as itself
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks what a manifest must hold to be compared with another: its format, the
// exercise, a backend, finite metrics and well-formed hashes.
func (r *Run) Validate() error {
	if r.Format != Format {
		return fmt.Errorf("format %d; this lab reads format %d", r.Format, Format)
	}
	if r.Exercise == "" {
		return errors.New(`field "exercise" is empty`)
	}
	if r.Backend.Config == "" {
		return errors.New(`field "backend.config" is empty`)
	}
	for name, v := range r.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metric %q is %v", name, v)
		}
	}
	for name, v := range r.Times {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("time %q is %v", name, v)
		}
	}
	sources := r.Datasets
	if r.Model != nil {
		sources = append([]Source{*r.Model}, sources...)
	}
	files := sources
	if r.Backend.Plugin != nil {
		files = append(files, Source{ID: "backend plugin", Files: []File{*r.Backend.Plugin}})
	}
	for _, s := range files {
		for _, f := range s.Files {
			if f.Path == "" || f.Bytes < 0 || !sha256Hex.MatchString(f.SHA256) {
				return fmt.Errorf("%s: file %q: want a path, a size ≥ 0 and a sha256 of 64 hex digits, got %d bytes, sha256 %q", s.ID, f.Path, f.Bytes, f.SHA256)
			}
		}
	}
	return nil
}

// Decode reads a manifest, as Save wrote it, and validates it. Unknown fields are an error: a
// misspelt field in a hand-edited manifest would otherwise vanish from a comparison.
func Decode(raw []byte) (*Run, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var r Run
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Load reads the manifest at path.
func Load(path string) (*Run, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	r, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return r, nil
}

// Hash reads a file and returns its size and sha256; path is recorded as given.
func Hash(path string) (File, error) { return HashCounting(path, nil) }

// HashCounting is Hash that reports the bytes read as it goes, for a progress line over
// gigabytes of weights or images.
func HashCounting(path string, add func(n int64)) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	var r io.Reader = f
	if add != nil {
		r = &counting{r: f, add: add}
	}
	n, err := io.Copy(h, r)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return File{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type counting struct {
	r   io.Reader
	add func(int64)
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.add(int64(n))
	return n, err
}

// BuildVersions reads the versions of Go, the lab and the modules that compute (GoMLX, its
// backends, the hub client) from the binary's build information.
func BuildVersions() Versions {
	v := Versions{Go: runtime.Version(), Lab: "unknown", GoMLX: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Lab = info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if (v.Lab == "" || v.Lab == "(devel)") && rev != "" {
		v.Lab = "(devel) " + rev
		if modified == "true" {
			v.Lab += "+modified"
		}
	}
	for _, d := range info.Deps {
		version := d.Version
		if d.Replace != nil {
			version += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		switch d.Path {
		case "github.com/gomlx/gomlx":
			v.GoMLX = version
		case "github.com/gomlx/compute", "github.com/gomlx/go-xla", "github.com/gomlx/go-huggingface", "github.com/parquet-go/parquet-go":
			if v.Other == nil {
				v.Other = map[string]string{}
			}
			v.Other[d.Path] = version
		}
	}
	return v
}
