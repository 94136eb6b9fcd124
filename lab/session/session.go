// Package session is where an exercise starts: it decides once — which backend runs, whether the
// real model and dataset are reachable or the embedded demo runs instead — and hands that
// decision down as a value. Models, tokenizers, image processors and datasets are then loaded
// from the session, so no step below works any of it out again.
//
//	s, err := session.Setup(ctx, session.Sentiment(os.Getenv("LAB_DEMO") == "1"))
//	tok, err := s.Tokenizer()
//	m, err := s.Encoder()      // DistilBERT or BERT, as the checkpoint is
//	ds, err := s.Dataset(ctx, "rotten_tomatoes")
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/go-translab/translab/lab/results"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"

	"github.com/go-translab/translab/data"
	"github.com/go-translab/translab/lab/backend"
	"github.com/go-translab/translab/lab/bert"
	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/features"
	"github.com/go-translab/translab/lab/hub"
	"github.com/go-translab/translab/lab/imageproc"
	"github.com/go-translab/translab/lab/show"
	"github.com/go-translab/translab/lab/tokenize"
	"github.com/go-translab/translab/lab/weights"
)

// Options say what a session loads. Sentiment and CLIP give the lab's own; the zero value of Demo
// runs the real model and dataset, falling back to the demo only for the lab's own model (and
// catalog datasets) when the hub cannot be reached and the cache lacks them.
type Options struct {
	Demo bool
	// Model is a hub id ("org/name@revision") or an HF-format directory.
	Model string
	// Dataset, when set, is opened at Setup, so that a bad one fails before any work: a catalog
	// name (data/catalog.json), a hub dataset id ("org/name", "datasets/org/name@revision") or a
	// local folder holding a dataset repo's files (a git clone of the repo, a snapshot folder),
	// whose splits are found by the hub's rules. For Sentiment it is where the exercise's
	// dataset comes from: s.Dataset(ctx, "rotten_tomatoes") then returns it.
	Dataset string
	// TextColumn, LabelColumn and ImageColumn name the columns of a dataset outside the catalog
	// when they are not the lab's usual "text" (or "image") and "label": an SST-2 style
	// "sentence", a CSV's "y". "" keeps the usual name.
	TextColumn, LabelColumn, ImageColumn string
	// Progress receives downloads' progress and the lab's notices; nil: stderr in a terminal, the
	// cell's own output in a notebook.
	Progress io.Writer
	Hub      *hub.Client
	// CauseHint follows the reason in the banner when the demo stands in unasked: where the full
	// cause is shown (the CLI: "--verbose shows the full cause").
	CauseHint string

	kind kind
}

// kind is what the model is: it says which files a directory needs and which demo stands in.
type kind struct {
	name         string // "DistilBERT" or "CLIP"
	files        []string
	demoDir      func() (string, error)
	demoModel    string
	defaultModel string // the lab's own model: the only one the demo may stand in for unasked
	dataset      string // the exercise's catalog dataset, "" when it opens several
	columns      data.Columns
}

var (
	textKind = kind{name: "DistilBERT", demoDir: data.DemoDir, demoModel: "demo (tiny pretrained DistilBERT)",
		defaultModel: "distilbert-base-uncased", dataset: "rotten_tomatoes", columns: data.Columns{Text: "text", Label: "label"}, files: []string{
			"config.json", hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
			hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"), hub.Optional("vocab.txt"),
			hub.Optional("special_tokens_map.json"),
		}}
	clipKind = kind{name: "CLIP", demoDir: data.CLIPDemoDir, demoModel: "demo (tiny pretrained CLIP)",
		defaultModel: "openai/clip-vit-base-patch16", columns: data.Columns{Image: "image", Label: "label"}, files: []string{
			"config.json", hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
			hub.Optional("pytorch_model.bin"), hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"),
			hub.Optional("preprocessor_config.json"), hub.Optional("special_tokens_map.json"),
		}}
)

// Sentiment is Exercises 1 and 2: distilbert-base-uncased on Rotten Tomatoes. Change Model for
// another DistilBERT or a BERT checkpoint (bert-base-uncased, MiniLM, …).
func Sentiment(demo bool) Options {
	return Options{Demo: demo, Model: textKind.defaultModel, Dataset: textKind.dataset, kind: textKind}
}

// CLIP is Exercise 3: openai/clip-vit-base-patch16; its datasets are opened one by one later.
func CLIP(demo bool) Options {
	return Options{Demo: demo, Model: clipKind.defaultModel, kind: clipKind}
}

// Session is what an exercise runs with.
type Session struct {
	Demo bool
	// Why says in a few words why the demo runs, when it does: "asked for", or what the hub and
	// the cache lacked. Cause is the full error behind a fallback, for a --verbose.
	Why      string
	Cause    error
	Backend  compute.Backend
	Choice   backend.Choice // the backend running, and why — after any fallback
	ModelID  string         // as asked, or the demo's name
	ModelDir string         // the model's files (and its tokenizer and image processor)
	Hub      *hub.Client
	// Out receives progress and notices: stderr in a terminal, the cell's output in a notebook.
	Out io.Writer

	kind      kind
	datasets  map[string]*Dataset // resolved at Setup
	causeHint string
	columns   data.Columns // the Options' column names, "" where the usual one holds
	// userData is the local folder the demo model runs on, "" when it runs on its own fixtures.
	userData string
	run      *results.Run // the manifest Results made, whose phases Phase marks
}

// Setup makes the session's decisions: the backend, and the real model (and dataset) or the demo.
// A model or dataset that does not exist, a refused token or a corrupt file (a truncated
// model.safetensors) is an error, not a silent demo. The demo runs when asked for, or in place of
// the lab's own model and catalog datasets when the hub cannot be reached and the cache lacks
// them; then Why says which, and Cause keeps the full error. A model or dataset the user named
// (another hub id, a local folder) never falls back: running something else would be a lie.
func Setup(ctx context.Context, o Options) (*Session, error) {
	if o.kind.name == "" {
		o.kind = textKind
	}
	s := &Session{Demo: o.Demo, ModelID: o.Model, Hub: o.Hub, Out: o.Progress, kind: o.kind, datasets: map[string]*Dataset{}, causeHint: o.CauseHint,
		columns: data.Columns{Text: o.TextColumn, Label: o.LabelColumn, Image: o.ImageColumn}}
	if s.Out == nil {
		s.Out = show.Notes(os.Stderr)
	}
	if s.Hub == nil {
		s.Hub = hub.NewClient()
		s.Hub.Progress = s.Out
	}
	// A local dataset is read first: it needs no hub, so its faults show offline too, and before
	// any model is fetched.
	local := o.Dataset != "" && isFolder(o.Dataset)
	if local {
		if err := s.openAs(ctx, o.Dataset); err != nil {
			return nil, err
		}
	}
	if s.Demo {
		s.Why = "asked for"
		if o.Dataset != "" && !local && !inCatalog(o.Dataset) {
			return nil, fmt.Errorf("session: the demo runs on its embedded fixtures, which stand in for the catalog's datasets only, or on a local folder, not on %s", o.Dataset)
		}
	} else if err := s.resolve(ctx, o.Dataset); err != nil {
		if !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) ||
			o.Model != s.kind.defaultModel || (o.Dataset != "" && !local && !inCatalog(o.Dataset)) {
			return nil, err
		}
		// The banner says so and why; every notebook cell sets up again, so no notice here.
		s.Demo, s.Why, s.Cause = true, fallbackReason(err, s.Hub), err
	}
	if s.Demo {
		dir, err := s.kind.demoDir()
		if err != nil {
			return nil, err
		}
		kept := map[string]*Dataset{}
		if local { // the user's own data stays; the demo model runs on it
			kept = s.datasets
			s.userData = o.Dataset
		}
		s.ModelDir, s.ModelID, s.datasets = dir, s.kind.demoModel, kept
	}
	b, choice, err := backend.Default()
	if err != nil {
		return nil, err
	}
	s.Backend, s.Choice = b, choice
	return s, nil
}

func (s *Session) resolve(ctx context.Context, dataset string) error {
	dir, err := hub.Resolve(ctx, s.Hub, s.ModelID, s.kind.files...)
	if err != nil {
		return err
	}
	// The weights are checked now — their header and that the file holds every tensor it
	// declares — so a truncated download fails here, before any dataset is fetched.
	w, err := weights.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("session: model %s: %w", s.ModelID, err)
	}
	w.Close()
	s.ModelDir = dir
	if dataset == "" {
		return nil
	}
	return s.openAs(ctx, dataset)
}

// openAs opens the session's dataset; for an exercise of one dataset (Sentiment) it is also what
// the exercise's catalog name returns.
func (s *Session) openAs(ctx context.Context, dataset string) error {
	d, err := s.Dataset(ctx, dataset)
	if err != nil {
		return err
	}
	if s.kind.dataset != "" && dataset != s.kind.dataset {
		s.datasets[s.kind.dataset] = d // the exercise asks for its dataset by its catalog name
	}
	return nil
}

// fallbackReason is the demo's reason in one short sentence: what was missing, and why the hub
// could not supply it.
func fallbackReason(err error, c *hub.Client) string {
	what := "the model or the dataset"
	var he *hub.Error
	if errors.As(err, &he) {
		what = he.Repo.String()
	}
	switch {
	case c.Offline:
		return "offline by request (HF_HUB_OFFLINE) and " + what + " is not cached"
	case errors.Is(err, hub.ErrNetwork):
		return "the hub is unreachable and " + what + " is not cached"
	}
	return what + " is not cached"
}

// Banner is a setup cell's report: the exercise, the model, the backend and why, and the demo
// when it runs.
func (s *Session) Banner(exercise string) show.Text {
	line := fmt.Sprintf("%s — model %s\nbackend %s", exercise, s.ModelID, s.Choice)
	if s.Demo {
		why := s.Why
		if s.Cause != nil && s.causeHint != "" {
			why += "; " + s.causeHint
		}
		what := "a tiny " + s.kind.name
		if s.userData != "" {
			what = "your dataset " + s.userData + " with a tiny " + s.kind.name
		}
		line += fmt.Sprintf("\nDEMO (%s): %s pretrained on the embedded synthetic data.\nIt learns as the real one does; the seed's numbers need the real model and data.", why, what)
	}
	return show.Text(line)
}

// Tokenizer loads the model's tokenizer (tokenizer.json, or a BERT vocab.txt).
func (s *Session) Tokenizer() (*tokenize.Tokenizer, error) {
	tok, err := tokenize.Load(s.ModelDir)
	if err != nil {
		return nil, err
	}
	// A tokenizer with more tokens than the model has embeddings (one copied from another model)
	// would index past the embedding table at the first rare word: say so now, naming both files.
	var cfg struct {
		VocabSize int `json:"vocab_size"`
	}
	if raw, err := os.ReadFile(filepath.Join(s.ModelDir, "config.json")); err == nil && json.Unmarshal(raw, &cfg) == nil &&
		cfg.VocabSize > 0 && tok.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("%s has %d tokens but %s has vocab_size %d: the tokenizer is not this model's",
			filepath.Join(s.ModelDir, "tokenizer.json"), tok.VocabSize(), filepath.Join(s.ModelDir, "config.json"), cfg.VocabSize)
	}
	return tok, nil
}

// Encoder loads the session's model as the text encoder its checkpoint is — DistilBertModel or
// BertModel — without a classification head.
func (s *Session) Encoder() (features.Encoder, error) { return LoadEncoder(s.ModelDir) }

// DistilBERT loads the encoder when the session's model is a DistilBERT (Encoder takes either).
func (s *Session) DistilBERT() (*distilbert.Model, error) {
	return distilbert.LoadDir(s.ModelDir, distilbert.NoHead)
}

// LoadEncoder loads the text encoder in an HF directory, as its config's model_type says, without
// a classification head.
func LoadEncoder(dir string) (features.Encoder, error) {
	kind, err := ModelType(dir)
	if err != nil {
		return nil, err
	}
	if kind == "bert" {
		return bert.LoadDir(dir, bert.NoHead)
	}
	return distilbert.LoadDir(dir, distilbert.NoHead)
}

// ModelType is the model_type of the text model in an HF directory: "distilbert" or "bert", the two
// the lab runs (a config without one is taken for DistilBERT, whose loader accepts that).
func ModelType(dir string) (string, error) {
	path := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	var c struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("session: %s: not valid JSON: %w", path, err)
	}
	switch c.ModelType {
	case "", "distilbert":
		return "distilbert", nil
	case "bert":
		return "bert", nil
	}
	return "", fmt.Errorf("session: %s: model_type %q: the lab runs DistilBERT (\"distilbert\") and BERT (\"bert\") checkpoints", path, c.ModelType)
}

// CLIP loads CLIPModel.
func (s *Session) CLIP() (*clip.Model, error) { return clip.LoadDir(s.ModelDir) }

// ImageProcessor is the model's CLIPImageProcessor settings (preprocessor_config.json), or
// CLIP's defaults when the directory has none.
func (s *Session) ImageProcessor() (*imageproc.Config, error) {
	p := filepath.Join(s.ModelDir, "preprocessor_config.json")
	if _, err := os.Stat(p); err != nil {
		return imageproc.DefaultCLIP(), nil
	}
	return imageproc.LoadConfig(p)
}

// Notef writes a notice where the session's notices go.
func (s *Session) Notef(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	io.WriteString(s.Out, msg)
}

// ModelDir resolves a DistilBERT or BERT model — a hub id or an HF directory — to its local
// directory, fetching into the shared hub cache when needed (the CLI's embed and classify).
func ModelDir(ctx context.Context, c *hub.Client, idOrDir string) (string, error) {
	return hub.Resolve(ctx, c, idOrDir, textKind.files...)
}

// CLIPDir resolves a CLIP model like ModelDir.
func CLIPDir(ctx context.Context, c *hub.Client, idOrDir string) (string, error) {
	return hub.Resolve(ctx, c, idOrDir, clipKind.files...)
}
