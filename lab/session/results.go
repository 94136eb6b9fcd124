package session

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/go-translab/translab/lab/results"
	"github.com/go-translab/translab/lab/show"
)

// Results starts the manifest of a run on this session. Saved, it records the backend that ran,
// the demo and why, the model and every dataset the session opened — ids, revisions, folders and
// the sha256 of each file read — beside whatever the run adds (metrics, seeds, options, times).
//
//	run := s.Results("ex1")
//	run.Metric("test/accuracy", res.AccTest)
//	err := run.Save("ex1.json")
func (s *Session) Results(exercise string) *results.Run {
	r := results.New(exercise)
	r.OnSave(s.describe)
	s.run = r
	return r
}

// Phase marks the start of a phase of the run (features of a split, training, evaluation, export)
// in the manifest Results made; without one it does nothing, so steps mark phases either way.
func (s *Session) Phase(name string) { s.run.Phase(name) }

func (s *Session) describe(r *results.Run) error {
	r.Backend = results.Backend{Config: s.Choice.Config, Description: s.Choice.Description, Reason: s.Choice.Reason, Deterministic: s.Choice.Deterministic()}
	r.Demo, r.DemoWhy = s.Demo, ""
	if s.Demo {
		r.DemoWhy = s.Why
	}
	hash := s.hasher()
	defer hash.done()
	if p := pluginPath(s.Choice.Config); p != "" {
		if f, err := hash.file(p); err == nil {
			r.Backend.Plugin = &f
		}
	}
	model := results.Source{ID: s.ModelID, Dir: s.ModelDir, Revision: snapshotCommit(s.ModelDir)}
	for _, name := range modelFiles(s.ModelDir, s.kind.files) {
		f, err := hash.file(filepath.Join(s.ModelDir, name))
		if err != nil {
			return fmt.Errorf("model %s: %w", s.ModelID, err)
		}
		model.Files = append(model.Files, f)
	}
	r.Model = &model

	r.Datasets = nil
	for _, d := range s.opened() {
		src := results.Source{ID: d.sourceID(), Revision: d.Revision, Dir: d.Dir}
		for _, p := range d.files() {
			f, err := hash.file(p)
			if err != nil {
				return fmt.Errorf("dataset %s: %w", d.Title, err)
			}
			src.Files = append(src.Files, f)
		}
		r.Datasets = append(r.Datasets, src)
	}
	return nil
}

// opened lists the datasets the session opened, once each (one may be cached under its
// reference and the exercise's catalog name), in a stable order.
func (s *Session) opened() []*Dataset {
	var opened []*Dataset
	for _, d := range s.datasets {
		if !slices.Contains(opened, d) {
			opened = append(opened, d)
		}
	}
	slices.SortFunc(opened, func(a, b *Dataset) int { return strings.Compare(a.Ref, b.Ref) })
	return opened
}

// files are the files of a dataset that were read: its card, and the files of the splits opened.
func (d *Dataset) files() []string {
	var out []string
	if d.Readme != "" {
		out = append(out, d.Readme)
	}
	seen := map[string]bool{}
	for _, split := range d.Available {
		if sp, ok := d.Splits[split]; ok {
			for _, f := range sp.Files {
				if !seen[f] { // a split and the part held out of it share files
					seen[f] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// hasher hashes the files a manifest lists, with one progress line when they are big enough to
// take a while (gigabytes of images or weights).
type hasher struct {
	bar *show.Progress
}

func (s *Session) hasher() *hasher {
	var total int64
	var paths []string
	paths = append(paths, modelFilesPaths(s.ModelDir, s.kind.files)...)
	for _, d := range s.opened() {
		paths = append(paths, d.files()...)
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	h := &hasher{}
	if total > 256<<20 {
		h.bar = show.NewProgress(s.Out, "results: sha256 of the files read", total, "B")
	}
	return h
}

func (h *hasher) file(p string) (results.File, error) {
	if h.bar == nil {
		return results.Hash(p)
	}
	return results.HashCounting(p, h.bar.Add)
}

func (h *hasher) done() {
	if h.bar != nil {
		h.bar.Done()
	}
}

func modelFilesPaths(dir string, kindFiles []string) []string {
	var out []string
	for _, name := range modelFiles(dir, kindFiles) {
		out = append(out, filepath.Join(dir, name))
	}
	return out
}

// sourceID names a dataset in a manifest: its hub id (also for a folder known to be a copy of
// one), the folder, or the demo's title.
func (d *Dataset) sourceID() string {
	switch {
	case d.Demo:
		return "demo: " + d.Title
	case d.Entry.HFID != "":
		return d.Entry.HFID
	}
	return d.Ref
}

var snapshotDir = regexp.MustCompile(`/snapshots/([0-9a-f]{40})$`)

// snapshotCommit is the commit of a hub-cache snapshot folder, "" for any other folder.
func snapshotCommit(dir string) string {
	if m := snapshotDir.FindStringSubmatch(filepath.ToSlash(dir)); m != nil {
		return m[1]
	}
	return ""
}

// modelFiles lists the files of a model folder the lab reads: those of its kind that are there,
// and the shards a safetensors index names.
func modelFiles(dir string, kindFiles []string) []string {
	var names []string
	for _, f := range kindFiles {
		name := strings.TrimPrefix(f, "?")
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
			names = append(names, name)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
	if err != nil {
		return names
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if json.Unmarshal(raw, &index) == nil {
		var shards []string
		for _, shard := range index.WeightMap {
			if !slices.Contains(shards, shard) && filepath.IsLocal(shard) {
				shards = append(shards, shard)
			}
		}
		slices.Sort(shards)
		names = append(names, shards...)
	}
	return names
}

// pluginPath is the PJRT plugin a backend config loads by path ("xla:/abs/plugin.so"), else "".
func pluginPath(config string) string {
	p, ok := strings.CutPrefix(config, "xla:")
	if !ok || !filepath.IsAbs(p) {
		return ""
	}
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return p
}
