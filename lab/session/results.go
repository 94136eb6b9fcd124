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
	return r
}

func (s *Session) describe(r *results.Run) error {
	r.Backend = results.Backend{Config: s.Choice.Config, Description: s.Choice.Description, Reason: s.Choice.Reason}
	if p := pluginPath(s.Choice.Config); p != "" {
		if f, err := results.Hash(p); err == nil {
			r.Backend.Plugin = &f
		}
	}
	r.Demo, r.DemoWhy = s.Demo, ""
	if s.Demo {
		r.DemoWhy = s.Why
	}
	model := results.Source{ID: s.ModelID, Dir: s.ModelDir, Revision: snapshotCommit(s.ModelDir)}
	for _, name := range modelFiles(s.ModelDir, s.kind.files) {
		f, err := results.Hash(filepath.Join(s.ModelDir, name))
		if err != nil {
			return fmt.Errorf("model %s: %w", s.ModelID, err)
		}
		model.Files = append(model.Files, f)
	}
	r.Model = &model

	// One dataset may be cached under two names (its reference and the exercise's catalog name).
	var opened []*Dataset
	for _, d := range s.datasets {
		if !slices.Contains(opened, d) {
			opened = append(opened, d)
		}
	}
	slices.SortFunc(opened, func(a, b *Dataset) int { return strings.Compare(a.Ref, b.Ref) })
	r.Datasets = nil
	for _, d := range opened {
		src := results.Source{ID: d.sourceID(), Revision: d.Revision, Dir: d.Dir}
		for _, split := range d.Available {
			sp, ok := d.Splits[split]
			if !ok {
				continue
			}
			for _, p := range sp.Files {
				f, err := results.Hash(p)
				if err != nil {
					return fmt.Errorf("dataset %s: %w", d.Title, err)
				}
				src.Files = append(src.Files, f)
			}
		}
		r.Datasets = append(r.Datasets, src)
	}
	return nil
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
