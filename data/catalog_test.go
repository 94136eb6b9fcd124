package data

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-translab/translab/lab/datasets"
)

func TestCatalogParses(t *testing.T) {
	entries, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if want := []string{"rotten_tomatoes", "imagenette", "tinyimagenet", "eurosat"}; !slices.Equal(names, want) {
		t.Fatalf("catalog names %q, want %q", names, want)
	}
	for _, e := range entries {
		if len(e.PromptNames) != 0 && len(e.PromptNames) != len(e.LabelNames) {
			t.Errorf("%s: %d prompt_names for %d label_names", e.Name, len(e.PromptNames), len(e.LabelNames))
		}
		if len(e.LabelNames) != 0 && len(e.LabelNames) != e.NumClasses {
			t.Errorf("%s: %d label_names for %d classes", e.Name, len(e.LabelNames), e.NumClasses)
		}
		if e.Columns.Image != "" {
			if len(e.Templates) == 0 {
				t.Errorf("%s: an image dataset without prompt templates", e.Name)
			}
			if e.RevisionFallback != "refs/convert/parquet" {
				t.Errorf("%s: revision_fallback %q", e.Name, e.RevisionFallback)
			}
		}
	}
}

func TestCatalogEntries(t *testing.T) {
	rt, err := Lookup("rotten_tomatoes")
	if err != nil {
		t.Fatal(err)
	}
	// The catalog must agree with the Spec Exercise 1 already uses.
	if got, want := rt.Spec(), datasets.RottenTomatoes; !reflect.DeepEqual(got, want) {
		t.Errorf("rotten_tomatoes Spec %+v, want datasets.RottenTomatoes %+v", got, want)
	}
	if _, ok := rt.FallbackSpec(); ok {
		t.Error("rotten_tomatoes has parquet on main; it should have no fallback")
	}

	in, err := Lookup("imagenette")
	if err != nil {
		t.Fatal(err)
	}
	s := in.Spec()
	if s.ID != "Sijuade/ImageNette" || s.Revision != "main" || s.ImageColumn != "image" || s.LabelColumn != "label" || s.TextColumn != "" {
		t.Errorf("imagenette Spec %+v", s)
	}
	fb, ok := in.FallbackSpec()
	if !ok || fb.Revision != "refs/convert/parquet" || fb.ID != s.ID {
		t.Errorf("imagenette FallbackSpec %+v, %v", fb, ok)
	}
	if in.SeedZeroShotAccuracy == nil || *in.SeedZeroShotAccuracy != 98.46 {
		t.Errorf("imagenette seed accuracy %v", in.SeedZeroShotAccuracy)
	}
	if !slices.Equal(in.Templates, []string{"a photo of a {}."}) {
		t.Errorf("imagenette templates %q", in.Templates)
	}

	tiny, err := Lookup("slegroux/tiny-imagenet-200-clean") // by hub id
	if err != nil {
		t.Fatal(err)
	}
	if tiny.Name != "tinyimagenet" || !tiny.WNIDNames || tiny.NumClasses != 200 || *tiny.SeedZeroShotAccuracy != 57.14 {
		t.Errorf("tinyimagenet entry %+v", tiny)
	}

	eu, err := Lookup("eurosat")
	if err != nil {
		t.Fatal(err)
	}
	if eu.SeedZeroShotAccuracy != nil {
		t.Errorf("eurosat: the seed lab reports no accuracy, catalog says %v", *eu.SeedZeroShotAccuracy)
	}
	if eu.LabelNames[2] != "HerbaceousVegetation" || eu.PromptNames[2] != "brushland or shrubland" || eu.PromptNames[9] != "lake or sea" {
		t.Errorf("eurosat names %q / %q", eu.LabelNames, eu.PromptNames)
	}
	if !slices.Equal(eu.Templates, []string{"a centered satellite photo of {}."}) {
		t.Errorf("eurosat templates %q", eu.Templates)
	}
}

func TestCatalogReturnsCopies(t *testing.T) {
	a, err := Lookup("imagenette")
	if err != nil {
		t.Fatal(err)
	}
	a.PromptNames[0] = "changed"
	*a.SeedZeroShotAccuracy = 0
	b, err := Lookup("imagenette")
	if err != nil {
		t.Fatal(err)
	}
	if b.PromptNames[0] != "tench" || *b.SeedZeroShotAccuracy != 98.46 {
		t.Errorf("changing one Lookup's entry changed the next: %q, %v", b.PromptNames[0], *b.SeedZeroShotAccuracy)
	}
}

func TestLookupUnknownListsNames(t *testing.T) {
	_, err := Lookup("cifar10")
	if err == nil {
		t.Fatal("Lookup(cifar10) succeeded")
	}
	for _, want := range []string{`"cifar10"`, "rotten_tomatoes", "imagenette", "tinyimagenet", "eurosat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestWordNetNames(t *testing.T) {
	for wnid, want := range map[string]string{
		"n01443537": "goldfish",
		"n02124075": "Egyptian cat",
		"n01440764": "tench",
		"n03888605": "parallel bars", // what fast.ai's tutorial calls Imagenette's parachute
	} {
		if got, ok := WordNetName(wnid); !ok || got != want {
			t.Errorf("WordNetName(%s) = %q, %v; want %q", wnid, got, ok, want)
		}
	}
	if got, ok := CLIPName("n02124075"); !ok || got != "Egyptian Mau" {
		t.Errorf("CLIPName(n02124075) = %q, %v", got, ok)
	}
	if _, ok := WordNetName("n99999999"); ok {
		t.Error("WordNetName knows n99999999")
	}
	if n := len(wordNetTable()); n != 1000 {
		t.Errorf("the table has %d classes, want the 1000 of ImageNet-1k", n)
	}
}

func TestImagenetteWNIDsNameItsClasses(t *testing.T) {
	in, err := Lookup("imagenette")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
		"n03394916", "n03417042", "n03425413", "n03445777", "n03888257"}
	if !slices.Equal(in.WNIDs, want) {
		t.Fatalf("imagenette wnids %q, want %q", in.WNIDs, want)
	}
	// The catalog's readable names are WordNet's first lemmas of those ids, class for class.
	names, err := ReadableNames(in.WNIDs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, in.PromptNames) {
		t.Errorf("WordNet names %q, catalog prompt names %q", names, in.PromptNames)
	}
	// A copy of Imagenette labelled by id gets the same prompts; one labelled otherwise is refused.
	if got, err := in.ClassNames(want); err != nil || !slices.Equal(got, in.PromptNames) {
		t.Errorf("ClassNames(wnids) = %q, %v", got, err)
	}
	if got, err := in.ClassNames(nil); err != nil || !slices.Equal(got, in.PromptNames) {
		t.Errorf("ClassNames(nil) = %q, %v", got, err)
	}
	shuffled := slices.Clone(in.LabelNames)
	shuffled[0], shuffled[1] = shuffled[1], shuffled[0]
	if _, err := in.ClassNames(shuffled); err == nil || !strings.Contains(err.Error(), "English springer") {
		t.Errorf("ClassNames(reordered names) = %v, want an error showing both orders", err)
	}
}

func TestClassNames(t *testing.T) {
	tiny, err := Lookup("tinyimagenet")
	if err != nil {
		t.Fatal(err)
	}
	// The first five of Tiny ImageNet's sorted wnids.
	got, err := tiny.ClassNames([]string{"n01443537", "n01629819", "n01641577", "n01644900", "n01698640"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"goldfish", "European fire salamander", "bullfrog", "tailed frog", "American alligator"}
	if !slices.Equal(got, want) {
		t.Errorf("tinyimagenet ClassNames %q, want %q", got, want)
	}
	if _, err := tiny.ClassNames(nil); err == nil {
		t.Error("tinyimagenet ClassNames(nil) succeeded without ids")
	}

	eu, err := Lookup("eurosat")
	if err != nil {
		t.Fatal(err)
	}
	got, err = eu.ClassNames(eu.LabelNames)
	if err != nil || !slices.Equal(got, eu.PromptNames) {
		t.Errorf("eurosat ClassNames = %q, %v; want the prompt names", got, err)
	}
	got[0] = "changed"
	if eu2, _ := Lookup("eurosat"); eu2.PromptNames[0] != "annual crop land" {
		t.Error("changing ClassNames' result changed the catalog")
	}
}

func TestReadableNamesUnknown(t *testing.T) {
	_, err := ReadableNames([]string{"n01443537", "n00000042", "n01440764", "bogus"})
	if err == nil {
		t.Fatal("ReadableNames accepted unknown ids")
	}
	for _, want := range []string{`"n00000042"`, `"bogus"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "n01443537") {
		t.Errorf("error %q names a known id", err)
	}
}

func TestParseCatalogErrors(t *testing.T) {
	const ok = `{"name": "x", "hf_id": "o/x", "revision": "main", "columns": {"image": "image", "label": "label"},
		"num_classes": 2, "label_names": ["a", "b"], "templates": ["a photo of a {}."]`
	for _, tc := range []struct {
		name, json string
		want       []string // all must appear in the error
	}{
		{"truncated", `{"datasets": [`, []string{"catalog.json", "invalid JSON"}},
		{"syntax", `{"datasets": [{"name": "x",}]}`, []string{"catalog.json", "invalid JSON at byte"}},
		{"no datasets", `{}`, []string{`"datasets"`}},
		{"wrong type", `{"datasets": [` + ok + `, "prompt_names": "a"}]}`, []string{"dataset 0", `"x"`, `"prompt_names"`, "got a JSON string, want an array of strings"}},
		{"nested wrong type", `{"datasets": [{"name": "x", "columns": {"label": 3}}]}`, []string{`"columns.label"`, "string"}},
		{"unknown field", `{"datasets": [` + ok + `, "lable_names": ["a", "b"]}]}`, []string{"dataset 0", `field "lable_names" is not a catalog field`}},
		{"unknown top-level field", `{"dataset": []}`, []string{`field "dataset" is not a catalog field`}},
		{"count mismatch", `{"datasets": [` + ok + `, "prompt_names": ["a"]}]}`, []string{`"x"`, `"prompt_names"`, "1 names for 2"}},
		{"label count", `{"datasets": [` + ok + `, "num_classes": 3}]}`, []string{`"label_names"`, "num_classes 3"}},
		{"no hub id", `{"datasets": [` + strings.Replace(ok, `"o/x"`, `"x"`, 1) + `}]}`, []string{`"hf_id"`}},
		{"template", `{"datasets": [` + strings.Replace(ok, `a photo of a {}.`, `a photo`, 1) + `}]}`, []string{`"templates"`, "{}"}},
		{"duplicate class", `{"datasets": [` + strings.Replace(ok, `["a", "b"]`, `["a", "a"]`, 1) + `}]}`, []string{`"label_names"`, "twice"}},
		{"bad wnid", `{"datasets": [` + ok + `, "wnids": ["n01443537", "n99999999"]}]}`, []string{`"wnids"`, "n99999999"}},
		{"wnid names", `{"datasets": [` + ok + `, "wnid_names": true}]}`, []string{`"label_names"`, `"a"`, "WordNet id"}},
		{"duplicate entry", `{"datasets": [` + ok + `}, ` + ok + `}]}`, []string{"dataset 1", `"name"`, "twice"}},
		{"no label column", `{"datasets": [{"name": "x", "hf_id": "o/x", "revision": "main", "columns": {"text": "t"}, "num_classes": 2}]}`, []string{`"columns.label"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCatalog([]byte(tc.json))
			if err == nil {
				t.Fatalf("parsed %s", tc.json)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
	if _, err := parseCatalog([]byte(`{"datasets": [` + ok + `}]}`)); err != nil {
		t.Errorf("the valid base entry fails: %v", err)
	}
}

// The embedded table must be the one the script writes, with its source in the header, and small.
func TestWordNetTableFile(t *testing.T) {
	raw, err := os.ReadFile("wordnet/imagenet_names.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 100<<10 {
		t.Errorf("imagenet_names.tsv is %d bytes; keep it under 100 KB", len(raw))
	}
	for _, want := range []string{"make_wordnet_names.py", "timm==", "open_clip_torch=="} {
		if !strings.Contains(string(raw[:512]), want) {
			t.Errorf("the header does not name its source %s", want)
		}
	}
	if _, err := parseWordNet([]byte("n01443537\tgoldfish\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a two-column line parsed: %v", err)
	}
}
