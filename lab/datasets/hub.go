package datasets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/go-translab/translab/lab/hub"
)

// Dataset is the splits of a dataset repo, as local files in the hub cache.
type Dataset struct {
	Spec   Spec
	Commit string // the commit the files were read at; "" for a local folder
	Splits map[string]*Split
	// LabelNames are the class names every split checks its labels against:
	// from the README's dataset_info, else the files' metadata, else
	// Spec.LabelNames.
	LabelNames []string
	// Available lists every split the repo has, including those not loaded.
	Available []string
	// Readme is the dataset card read for class names, "" when there is none: a file the
	// data's meaning depends on, which a results manifest lists with the splits.
	Readme string
	// Format is how the files hold the data: FormatParquet, FormatImageFolder, FormatCSV, …
	Format string
	// LabelsFromStrings says the label column held strings, numbered in sorted order (as HF's
	// ClassLabel from strings): LabelNames[i] is the string read as label i.
	LabelsFromStrings bool

	where string // the repo id or folder, for errors
}

// Split returns a loaded split, or an error that lists what there is.
func (d *Dataset) Split(name string) (*Split, error) {
	if s, ok := d.Splits[name]; ok {
		return s, nil
	}
	return nil, noSplit(d.where, name, d.Available)
}

func noSplit(where, name string, have []string) error {
	return &Error{File: where, Row: -1, Kind: ErrNoSplit,
		Msg: fmt.Sprintf("no split %q; there is: %s", name, strings.Join(have, ", "))}
}

// Load finds the parquet files of a dataset repo on the hub, downloads those
// of the requested splits (all splits when none is named) into the shared
// cache, and opens them. It recognises the layouts HF uses:
// "{split}.parquet", "{split}-00000-of-00002.parquet",
// "data/{split}-*.parquet" and refs/convert/parquet's
// "{config}/{split}/0000.parquet".
//
// Offline (HF_HUB_OFFLINE) or with the hub unreachable, it reads the cached
// snapshot of the revision instead, which holds whatever splits were
// downloaded before.
func Load(ctx context.Context, c *hub.Client, spec Spec, splits ...string) (*Dataset, error) {
	if c == nil {
		c = hub.NewClient()
	}
	repo := hub.Repo{ID: spec.ID, Type: hub.Dataset, Revision: spec.Revision}
	_, files, err := c.ListFiles(ctx, repo)
	if err != nil {
		if !errors.Is(err, hub.ErrNotCached) && !errors.Is(err, hub.ErrNetwork) {
			return nil, err
		}
		// Snapshot falls back to the cached snapshot of the revision; the
		// pattern keeps it from downloading a whole repo should the hub
		// answer this time.
		dir, serr := c.Snapshot(ctx, repo, "README.md")
		if serr != nil {
			return nil, serr
		}
		d, derr := OpenDir(spec, dir, splits...)
		if derr != nil {
			return nil, fmt.Errorf("%w (read from the cache, since: %v)", derr, err)
		}
		d.Commit = filepath.Base(dir) // a snapshot folder is named by its commit
		return d, nil
	}
	layout, err := findSplits(spec, files)
	if err != nil {
		return nil, err
	}
	want := splits
	if len(want) == 0 {
		want = sortedKeys(layout)
	}
	var needed []string
	for _, name := range want {
		if _, ok := layout[name]; !ok {
			return nil, noSplit(spec.ID, name, sortedKeys(layout))
		}
		needed = append(needed, layout[name]...)
	}
	if slices.Contains(files, "README.md") {
		needed = append(needed, hub.Optional("README.md"))
	}
	// Resolve fetches every file at the commit the first one resolved to,
	// and records the branch in refs/ so that the snapshot is found offline
	// later, as huggingface_hub would.
	dir, err := hub.Resolve(ctx, c, repo.String(), needed...)
	if err != nil {
		return nil, err
	}
	readme := filepath.Join(dir, "README.md")
	if _, err := os.Stat(readme); err != nil {
		readme = ""
	}
	local := func(name string) (string, error) { return filepath.Join(dir, filepath.FromSlash(name)), nil }
	d, err := open(spec.ID, spec, layout, readme, local, want)
	if err != nil {
		return nil, err
	}
	// Normally the listing's commit; another one only if the branch moved
	// between listing and download, and then it is the one the files are from.
	d.Commit = filepath.Base(dir)
	return d, nil
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OpenDir reads a dataset from a local folder laid out like a hub repo (a
// snapshot in the cache, a git clone, a download). A folder without parquet
// files may hold CSV, TSV or JSON-lines files named by split
// (train.csv, validation.csv, test.csv; one lone file is the train split), or
// images in one folder per class (DIR/CLASS/*.jpg, one split "train"; or
// DIR/{train,validation,test}/CLASS/*.jpg): see Dataset.Format.
func OpenDir(spec Spec, dir string, splits ...string) (*Dataset, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, &Error{File: dir, Row: -1, Kind: ErrNoSplit, Msg: "cannot list the folder", Cause: err}
	}
	slices.Sort(files)
	if !slices.ContainsFunc(files, func(f string) bool { _, _, ok := splitOf(f); return ok }) {
		return openLocal(spec, dir, files, splits)
	}
	layout, err := findSplits(Spec{ID: dir, Config: spec.Config}, files)
	if err != nil {
		return nil, err
	}
	readme := ""
	if slices.Contains(files, "README.md") {
		readme = filepath.Join(dir, "README.md")
	}
	local := func(name string) (string, error) { return filepath.Join(dir, filepath.FromSlash(name)), nil }
	return open(dir, spec, layout, readme, local, splits)
}

// pickSplits sets Available to the splits a layout has, sorted, and returns the wanted ones — all
// of them when want is empty — or an error naming a wanted split it lacks; where names the
// dataset in that error (the repo id, or the folder).
func (d *Dataset) pickSplits(where string, have, want []string) ([]string, error) {
	slices.Sort(have)
	d.Available = have
	if len(want) == 0 {
		want = have
	}
	for _, name := range want {
		if !slices.Contains(have, name) {
			return nil, noSplit(where, name, have)
		}
	}
	return want, nil
}

// open picks the wanted splits of a layout, gets their files and opens them.
// where names the dataset in errors: the repo id, or the folder.
func open(where string, spec Spec, layout map[string][]string, readme string, get func(string) (string, error), want []string) (*Dataset, error) {
	d := &Dataset{Spec: spec, Splits: map[string]*Split{}, where: where, Readme: readme, Format: FormatParquet}
	want, err := d.pickSplits(where, slices.Collect(maps.Keys(layout)), want)
	if err != nil {
		return nil, err
	}
	names := spec.LabelNames
	fromReadme := false
	if readme != "" {
		if b, err := os.ReadFile(readme); err == nil {
			if n := readmeLabelNames(b, spec.Config, spec.LabelColumn); n != nil {
				names, fromReadme = n, true
			}
		}
	}
	for _, name := range want {
		var local []string
		for _, f := range layout[name] {
			p, err := get(f)
			if err != nil {
				return nil, err
			}
			local = append(local, p)
		}
		sp := spec
		sp.LabelNames = names
		s, err := OpenFiles(sp, name, local...)
		if err != nil {
			return nil, err
		}
		if fromReadme {
			s.LabelNames = names // the card is the dataset's own word on its classes
		}
		d.Splits[name] = s
		if d.LabelNames == nil {
			d.LabelNames = s.LabelNames
		}
	}
	return d, nil
}

// shardSuffix is what push_to_hub and the parquet converter append to a
// split name: "-00000-of-00002", sometimes followed by a content hash.
var shardSuffix = regexp.MustCompile(`-\d{5}-of-\d{5}(-[0-9a-f]+)?$`)

// splitOf names the split a parquet file belongs to and the folder that
// holds that split (its config), or ok=false for a file that is not split
// data. HF split names are \w+(\.\w+)*, never with a "-", which makes the
// last "-" the end of any prefix ("rotten_tomatoes-train.parquet", as the
// parquet converter once named files).
func splitOf(p string) (split, config string, ok bool) {
	if !strings.HasSuffix(p, ".parquet") {
		return "", "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", "", false
		}
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	stem := shardSuffix.ReplaceAllString(strings.TrimSuffix(base, ".parquet"), "")
	if isDigits(stem) {
		// "{config}/{split}/0000.parquet": the folder is the split. Big
		// datasets are converted only in part, into "partial-{split}".
		if dir == "" {
			return "", "", false
		}
		config, split := path.Split(dir)
		return strings.TrimPrefix(split, "partial-"), strings.TrimSuffix(config, "/"), true
	}
	if i := strings.LastIndexByte(stem, '-'); i >= 0 {
		stem = stem[i+1:]
	}
	if stem == "" {
		return "", "", false
	}
	return stem, dir, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// findSplits groups a repo's files by split. A repo with several configs
// has a folder per config; then spec.Config must say which.
func findSplits(spec Spec, files []string) (map[string][]string, error) {
	layout := map[string][]string{}
	configOf := map[string]string{}
	var configs []string
	for _, f := range files {
		split, config, ok := splitOf(f)
		if !ok {
			continue
		}
		if !slices.Contains(configs, config) {
			configs = append(configs, config)
		}
		if spec.Config != "" && config != spec.Config && !strings.HasPrefix(config, spec.Config+"/") {
			continue
		}
		if prev, seen := configOf[split]; seen && prev != config {
			return nil, &Error{File: spec.ID, Row: -1, Kind: ErrNoSplit,
				Msg: fmt.Sprintf("split %q is in several folders (%q, %q); set Spec.Config to pick one", split, prev, config)}
		}
		configOf[split] = config
		layout[split] = append(layout[split], f)
	}
	if len(layout) == 0 {
		msg := "no parquet files of any split"
		if spec.Config != "" {
			msg = fmt.Sprintf("no parquet files under config %q (folders with parquet files: %q)", spec.Config, configs)
		}
		return nil, &Error{File: spec.ID, Row: -1, Kind: ErrNoSplit, Msg: msg}
	}
	for _, fs := range layout {
		slices.Sort(fs)
	}
	return layout, nil
}

// readmeLabelNames reads the class names of the label column from a dataset
// card's YAML header:
//
//	dataset_info:
//	  features:
//	  - name: label
//	    dtype:
//	      class_label:
//	        names:
//	          '0': neg
//	          '1': pos
//
// dataset_info is a list of such blocks, one per config, in repos with
// several configs. A card that does not parse, or names classes oddly,
// yields nil: the card is documentation, and a broken one must not stop the
// data from being read.
func readmeLabelNames(readme []byte, config, labelColumn string) []string {
	if labelColumn == "" {
		return nil
	}
	text := strings.ReplaceAll(string(readme), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return nil
	}
	header, _, ok := strings.Cut(rest, "\n---")
	if !ok {
		return nil
	}
	var card struct {
		DatasetInfo yaml.Node `yaml:"dataset_info"`
	}
	if yaml.Unmarshal([]byte(header), &card) != nil {
		return nil
	}
	type feature struct {
		Name  string `yaml:"name"`
		Dtype any    `yaml:"dtype"`
	}
	type info struct {
		ConfigName string    `yaml:"config_name"`
		Features   []feature `yaml:"features"`
	}
	var infos []info
	switch card.DatasetInfo.Kind {
	case yaml.MappingNode:
		var one info
		if card.DatasetInfo.Decode(&one) != nil {
			return nil
		}
		infos = []info{one}
	case yaml.SequenceNode:
		if card.DatasetInfo.Decode(&infos) != nil {
			return nil
		}
	default:
		return nil
	}
	var pick *info
	for i := range infos {
		name := infos[i].ConfigName
		if name == config || (config == "" && (name == "" || name == "default" || len(infos) == 1)) {
			pick = &infos[i]
			break
		}
	}
	if pick == nil {
		return nil
	}
	for _, f := range pick.Features {
		if f.Name != labelColumn {
			continue
		}
		dtype, _ := f.Dtype.(map[string]any)
		cl, _ := dtype["class_label"].(map[string]any)
		return classNames(cl["names"])
	}
	return nil
}

// classNames accepts the card's mapping {'0': neg, '1': pos} (keys may be
// read as ints or strings) and a plain list; ids must run 0..n-1.
func classNames(v any) []string {
	switch v := v.(type) {
	case []any:
		names := make([]string, len(v))
		for i, n := range v {
			names[i] = fmt.Sprint(n)
		}
		return names
	case map[string]any:
		byID := map[any]any{}
		for k, n := range v {
			byID[k] = n
		}
		return classNames(byID)
	case map[any]any:
		// len(v) distinct keys all within 0..len(v)-1 cover every id once.
		names := make([]string, len(v))
		for k, n := range v {
			i, err := strconv.Atoi(fmt.Sprint(k))
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			names[i] = fmt.Sprint(n)
		}
		return names
	}
	return nil
}
