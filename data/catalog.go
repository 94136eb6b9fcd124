package data

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/go-translab/translab/lab/datasets"
)

// The catalog and the WordNet table are embedded so that the lab can name classes and build prompts
// offline, before (or without) reaching the hub.
var (
	//go:embed catalog.json
	catalogJSON []byte
	//go:embed wordnet/imagenet_names.tsv
	imagenetNamesTSV []byte
)

// Entry describes one dataset of the lab: where it lives on the hub, which columns matter, and how
// its classes are named in prompts. It mirrors one object of catalog.json.
type Entry struct {
	Name     string `json:"name"`  // the lab's short name, e.g. "imagenette"
	HFID     string `json:"hf_id"` // "org/name" on the hub
	Revision string `json:"revision"`
	// RevisionFallback is where the parquet files are when Revision turns out to hold none (a repo
	// of loose images or a loading script): the hub's own conversion.
	RevisionFallback string `json:"revision_fallback,omitempty"`
	Config           string `json:"config,omitempty"`

	Columns    Columns `json:"columns"`
	NumClasses int     `json:"num_classes"`
	// LabelNames are the dataset's class names in label order: a fallback for when the repo's
	// README and parquet metadata name none. Empty when only the dataset knows them.
	LabelNames []string `json:"label_names,omitempty"`
	// PromptNames are what a prompt template is filled with, in the order of LabelNames.
	PromptNames []string `json:"prompt_names,omitempty"`
	// WNIDs are the classes' WordNet ids, in label order, where the dataset is an ImageNet subset
	// whose names are readable already; they let a copy of it labelled by id be recognised.
	WNIDs []string `json:"wnids,omitempty"`
	// WNIDNames says the dataset names its classes by WordNet id, so prompt names come from the
	// embedded WordNet table (see ClassNames).
	WNIDNames bool `json:"wnid_names,omitempty"`
	// Templates are the default prompts; "{}" stands for the class name.
	Templates []string `json:"templates,omitempty"`
	// SeedZeroShotAccuracy is the Python lab's CLIP ViT-B/16 zero-shot test accuracy in percent,
	// nil where it reports none: the number a port should reproduce.
	SeedZeroShotAccuracy *float64 `json:"seed_zero_shot_accuracy,omitempty"`
	Notes                string   `json:"notes,omitempty"`
}

// Columns names the dataset's columns; "" means it has no such column.
type Columns struct {
	Text  string `json:"text,omitempty"`
	Image string `json:"image,omitempty"`
	Label string `json:"label"`
}

// Spec is what lab/datasets needs to read the entry at its primary revision.
func (e Entry) Spec() datasets.Spec {
	return datasets.Spec{
		ID:          e.HFID,
		Revision:    e.Revision,
		Config:      e.Config,
		TextColumn:  e.Columns.Text,
		LabelColumn: e.Columns.Label,
		ImageColumn: e.Columns.Image,
		LabelNames:  slices.Clone(e.LabelNames),
	}
}

// FallbackSpec is Spec at RevisionFallback, for when the primary revision holds no parquet files;
// false when the entry has no fallback.
func (e Entry) FallbackSpec() (datasets.Spec, bool) {
	if e.RevisionFallback == "" {
		return datasets.Spec{}, false
	}
	s := e.Spec()
	s.Revision = e.RevisionFallback
	return s, true
}

// ClassNames returns the names to fill prompts with, in label order, given the class names the
// dataset itself reported (its README or parquet metadata; nil when it named none). Names that are
// WordNet ids go through the WordNet table; otherwise they must be the catalog's LabelNames or
// WNIDs, so that a repo whose classes are named or ordered differently from what the catalog
// expects is an error rather than prompts silently attached to the wrong classes.
func (e Entry) ClassNames(labels []string) ([]string, error) {
	if e.WNIDNames {
		if len(labels) == 0 {
			labels = e.LabelNames
		}
		if len(labels) == 0 {
			return nil, fmt.Errorf("data: %s names its classes by WordNet id, but no ids were given (the dataset's README or parquet metadata should list them)", e.Name)
		}
		return ReadableNames(labels)
	}
	names := e.PromptNames
	if len(names) == 0 {
		names = e.LabelNames
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("data: %s has no class names in the catalog", e.Name)
	}
	if len(labels) == 0 || slices.Equal(labels, e.LabelNames) || (len(e.WNIDs) > 0 && slices.Equal(labels, e.WNIDs)) {
		return slices.Clone(names), nil
	}
	return nil, fmt.Errorf("data: %s: the dataset names its classes %q, the catalog expects %q; update data/catalog.json",
		e.Name, labels, e.LabelNames)
}

var loadCatalog = sync.OnceValues(func() ([]Entry, error) { return parseCatalog(catalogJSON) })

// Catalog returns every dataset of the lab, in catalog order. The entries are copies: changing them
// changes nothing for the next caller.
func Catalog() ([]Entry, error) {
	entries, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(entries))
	for i, e := range entries {
		out[i] = e.clone()
	}
	return out, nil
}

// Lookup returns the entry called name (or whose hub id is name).
func Lookup(name string) (Entry, error) {
	entries, err := loadCatalog()
	if err != nil {
		return Entry{}, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		if e.Name == name || e.HFID == name {
			return e.clone(), nil
		}
		names[i] = e.Name
	}
	return Entry{}, fmt.Errorf("data: no dataset %q in the catalog; known: %s", name, strings.Join(names, ", "))
}

func (e Entry) clone() Entry {
	e.LabelNames = slices.Clone(e.LabelNames)
	e.PromptNames = slices.Clone(e.PromptNames)
	e.WNIDs = slices.Clone(e.WNIDs)
	e.Templates = slices.Clone(e.Templates)
	if e.SeedZeroShotAccuracy != nil {
		a := *e.SeedZeroShotAccuracy
		e.SeedZeroShotAccuracy = &a
	}
	return e
}

var (
	entryName = regexp.MustCompile(`^[a-z0-9_]+$`)
	hubID     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)
	wnidRE    = regexp.MustCompile(`^n[0-9]{8}$`)
)

// parseCatalog decodes and checks a catalog. Entries are decoded one at a time so that an error can
// say which dataset and which field it is about; unknown fields are errors because a misspelt
// optional field would otherwise vanish silently.
func parseCatalog(raw []byte) ([]Entry, error) {
	var top struct {
		Datasets []json.RawMessage `json:"datasets"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("data: catalog.json: %w", jsonFieldError(err))
	}
	if len(top.Datasets) == 0 {
		return nil, errors.New(`data: catalog.json: field "datasets" is missing or empty`)
	}
	entries := make([]Entry, 0, len(top.Datasets))
	seen := map[string]bool{}
	for i, msg := range top.Datasets {
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("data: catalog.json: dataset %d%s: %w", i, nameHint(msg), jsonFieldError(err))
		}
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("data: catalog.json: dataset %d (%q): %w", i, e.Name, err)
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("data: catalog.json: dataset %d: field \"name\": %q appears twice", i, e.Name)
		}
		seen[e.Name] = true
		entries = append(entries, e)
	}
	return entries, nil
}

// nameHint finds the entry's name, if any, for an error about an entry that did not decode.
func nameHint(msg json.RawMessage) string {
	var n struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(msg, &n) == nil && n.Name != "" {
		return fmt.Sprintf(" (%q)", n.Name)
	}
	return ""
}

// jsonFieldError rewrites encoding/json's type errors, which name Go types, in terms of the
// catalog's fields.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %q: got a JSON %s, want %s", te.Field, te.Value, jsonKind(te.Type.String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("field %s is not a catalog field (misspelt?)", f)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: it ends before its last value does")
	}
	return err
}

func jsonKind(goType string) string {
	switch {
	case goType == "[]string":
		return "an array of strings"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case goType == "int", goType == "float64", goType == "*float64":
		return "a number"
	case strings.HasPrefix(goType, "data."):
		return "an object"
	}
	return goType
}

func (e *Entry) validate() error {
	switch {
	case !entryName.MatchString(e.Name):
		return fmt.Errorf("field \"name\": %q is not a short lowercase name ([a-z0-9_]+)", e.Name)
	case !hubID.MatchString(e.HFID):
		return fmt.Errorf("field \"hf_id\": %q is not a hub id \"org/name\"", e.HFID)
	case e.Revision == "":
		return errors.New(`field "revision" is empty (use "main" for the default branch)`)
	case e.Columns.Label == "":
		return errors.New(`field "columns.label" is empty`)
	case (e.Columns.Text == "") == (e.Columns.Image == ""):
		return errors.New(`field "columns": name exactly one of "text" and "image"`)
	case e.NumClasses <= 0:
		return fmt.Errorf("field \"num_classes\": %d, want a positive count", e.NumClasses)
	case len(e.LabelNames) != 0 && len(e.LabelNames) != e.NumClasses:
		return fmt.Errorf("field \"label_names\": %d names for num_classes %d", len(e.LabelNames), e.NumClasses)
	case len(e.PromptNames) != 0 && len(e.PromptNames) != len(e.LabelNames):
		return fmt.Errorf("field \"prompt_names\": %d names for %d label_names; they go in the same order", len(e.PromptNames), len(e.LabelNames))
	case len(e.WNIDs) != 0 && len(e.WNIDs) != e.NumClasses:
		return fmt.Errorf("field \"wnids\": %d ids for num_classes %d", len(e.WNIDs), e.NumClasses)
	case e.WNIDNames && len(e.PromptNames) != 0:
		return errors.New(`field "prompt_names": must be empty when "wnid_names" is true, since the WordNet table names the classes`)
	case e.Columns.Image != "" && len(e.Templates) == 0:
		return errors.New(`field "templates": an image dataset needs at least one prompt template`)
	case e.SeedZeroShotAccuracy != nil && (*e.SeedZeroShotAccuracy < 0 || *e.SeedZeroShotAccuracy > 100):
		return fmt.Errorf("field \"seed_zero_shot_accuracy\": %v is not a percentage", *e.SeedZeroShotAccuracy)
	}
	for _, f := range []struct {
		field string
		names []string
	}{{"label_names", e.LabelNames}, {"prompt_names", e.PromptNames}, {"wnids", e.WNIDs}} {
		if err := distinctNonEmpty(f.names); err != nil {
			return fmt.Errorf("field %q: %w", f.field, err)
		}
	}
	if err := knownWNIDs("wnids", e.WNIDs); err != nil {
		return err
	}
	if e.WNIDNames {
		if err := knownWNIDs("label_names", e.LabelNames); err != nil {
			return fmt.Errorf("%w, as \"wnid_names\" is true", err)
		}
	}
	for _, t := range e.Templates {
		if strings.Count(t, "{}") != 1 {
			return fmt.Errorf("field \"templates\": %q must hold \"{}\" exactly once, where the class name goes", t)
		}
	}
	return nil
}

func knownWNIDs(field string, ids []string) error {
	for _, id := range ids {
		if !wnidRE.MatchString(id) {
			return fmt.Errorf("field %q: %q is not a WordNet id (n and 8 digits)", field, id)
		}
		if _, ok := WordNetName(id); !ok {
			return fmt.Errorf("field %q: WordNet id %s is not in data/wordnet/imagenet_names.tsv", field, id)
		}
	}
	return nil
}

func distinctNonEmpty(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			return errors.New("an empty name")
		}
		if seen[n] {
			return fmt.Errorf("%q appears twice, which would make two classes indistinguishable", n)
		}
		seen[n] = true
	}
	return nil
}

type wordNetEntry struct{ name, clip string }

// The table is embedded and checked by the tests, so a malformed one is a broken build, not a
// condition callers could handle: it panics rather than give every lookup an error result.
var wordNetTable = sync.OnceValue(func() map[string]wordNetEntry {
	t, err := parseWordNet(imagenetNamesTSV)
	if err != nil {
		panic(err)
	}
	return t
})

func parseWordNet(raw []byte) (map[string]wordNetEntry, error) {
	t := make(map[string]wordNetEntry, 1000)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 3 || !wnidRE.MatchString(f[0]) || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("data: wordnet/imagenet_names.tsv line %d: want wnid, name, CLIP name separated by tabs, got %q", line, text)
		}
		if _, dup := t[f[0]]; dup {
			return nil, fmt.Errorf("data: wordnet/imagenet_names.tsv line %d: %s appears twice", line, f[0])
		}
		t[f[0]] = wordNetEntry{name: f[1], clip: f[2]}
	}
	return t, sc.Err()
}

// WordNetName returns the readable name of an ImageNet-1k WordNet id: its first WordNet lemma
// ("n01443537" → "goldfish"), the name the seed lab's prompts used. Two pairs of ImageNet-1k classes
// share a first lemma ("crane", "maillot"); CLIPName tells them apart.
func WordNetName(wnid string) (string, bool) {
	e, ok := wordNetTable()[wnid]
	return e.name, ok
}

// CLIPName returns the hand-cleaned name OpenAI's CLIP notebook used for an ImageNet-1k class
// ("n02124075" → "Egyptian Mau" where WordNet says "Egyptian cat"), for prompt experiments that
// want it; the seed results were measured with WordNetName.
func CLIPName(wnid string) (string, bool) {
	e, ok := wordNetTable()[wnid]
	return e.clip, ok
}

// ReadableNames maps WordNet ids to their WordNetName, in order. Every unknown id is named in the
// error, so a dataset with a few ids outside ImageNet-1k shows them all at once.
func ReadableNames(wnids []string) ([]string, error) {
	out := make([]string, len(wnids))
	var unknown []string
	for i, id := range wnids {
		name, ok := WordNetName(id)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", id))
			continue
		}
		out[i] = name
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("data: no readable name for WordNet id %s (the table covers the %d ImageNet-1k classes)",
			strings.Join(unknown, ", "), len(wordNetTable()))
	}
	return out, nil
}
