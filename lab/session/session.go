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
)

// Options say what a session loads. Sentiment and CLIP give the lab's own; the zero value of Demo
// runs the real model and dataset, falling back to the demo only when the hub cannot be reached
// and the cache lacks them.
type Options struct {
	Demo bool
	// Model is a hub id ("org/name@revision") or an HF-format directory.
	Model string
	// Dataset, when set, is a catalog name (data/catalog.json) resolved at Setup, so that an
	// unreachable dataset also sends the session to the demo.
	Dataset string
	// Progress receives downloads' progress and the lab's notices; nil: stderr in a terminal, the
	// cell's own output in a notebook.
	Progress io.Writer
	Hub      *hub.Client

	kind kind
}

// kind is what the model is: it says which files a directory needs and which demo stands in.
type kind struct {
	name      string // "DistilBERT" or "CLIP"
	files     []string
	demoDir   func() (string, error)
	demoModel string
}

var (
	textKind = kind{name: "DistilBERT", demoDir: data.DemoDir, demoModel: "demo (tiny random DistilBERT)", files: []string{
		"config.json", hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
		hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"), hub.Optional("vocab.txt"),
		hub.Optional("special_tokens_map.json"),
	}}
	clipKind = kind{name: "CLIP", demoDir: data.CLIPDemoDir, demoModel: "demo (tiny random CLIP)", files: []string{
		"config.json", hub.Optional("model.safetensors"), hub.Optional("model.safetensors.index.json"),
		hub.Optional("pytorch_model.bin"), hub.Optional("tokenizer.json"), hub.Optional("tokenizer_config.json"),
		hub.Optional("preprocessor_config.json"), hub.Optional("special_tokens_map.json"),
	}}
)

// Sentiment is Exercises 1 and 2: distilbert-base-uncased on Rotten Tomatoes. Change Model for
// another DistilBERT or a BERT checkpoint (bert-base-uncased, MiniLM, …).
func Sentiment(demo bool) Options {
	return Options{Demo: demo, Model: "distilbert-base-uncased", Dataset: "rotten_tomatoes", kind: textKind}
}

// CLIP is Exercise 3: openai/clip-vit-base-patch16; its datasets are opened one by one later.
func CLIP(demo bool) Options {
	return Options{Demo: demo, Model: "openai/clip-vit-base-patch16", kind: clipKind}
}

// Session is what an exercise runs with.
type Session struct {
	Demo     bool
	Why      string // why the demo runs, when it does
	Backend  compute.Backend
	Choice   backend.Choice // the backend running, and why — after any fallback
	ModelID  string         // as asked, or the demo's name
	ModelDir string         // the model's files (and its tokenizer and image processor)
	Hub      *hub.Client
	// Out receives progress and notices: stderr in a terminal, the cell's output in a notebook.
	Out io.Writer

	kind     kind
	datasets map[string]*Dataset // resolved at Setup
}

// Setup makes the session's decisions: the backend, and the real model (and dataset) or the demo.
// A model or dataset that does not exist, a refused token or a corrupt file is an error, not a
// silent demo: only an unreachable hub with nothing cached falls back, and the session says why.
func Setup(ctx context.Context, o Options) (*Session, error) {
	if o.kind.name == "" {
		o.kind = textKind
	}
	s := &Session{Demo: o.Demo, ModelID: o.Model, Hub: o.Hub, Out: o.Progress, kind: o.kind, datasets: map[string]*Dataset{}}
	if s.Out == nil {
		s.Out = show.Notes(os.Stderr)
	}
	if s.Hub == nil {
		s.Hub = hub.NewClient()
		s.Hub.Progress = s.Out
	}
	if s.Demo {
		s.Why = "asked for"
	} else if err := s.resolve(ctx, o.Dataset); err != nil {
		if !errors.Is(err, hub.ErrNetwork) && !errors.Is(err, hub.ErrNotCached) {
			return nil, err
		}
		// The banner says so and why; every notebook cell sets up again, so no notice here.
		s.Demo, s.Why = true, "the hub is unreachable and the cache lacks "+missing(err)
	}
	if s.Demo {
		dir, err := s.kind.demoDir()
		if err != nil {
			return nil, err
		}
		s.ModelDir, s.ModelID, s.datasets = dir, s.kind.demoModel, map[string]*Dataset{}
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
	s.ModelDir = dir
	if dataset != "" {
		_, err = s.Dataset(ctx, dataset)
	}
	return err
}

// missing names what an unreachable hub kept from the session, for the one-line demo notice.
func missing(err error) string {
	var he *hub.Error
	if errors.As(err, &he) {
		return he.Repo.String()
	}
	return "the dataset or the model"
}

// Banner is a setup cell's report: the exercise, the model, the backend and why, and the demo
// when it runs.
func (s *Session) Banner(exercise string) show.Text {
	line := fmt.Sprintf("%s — model %s\nbackend %s", exercise, s.ModelID, s.Choice)
	if s.Demo {
		line += fmt.Sprintf("\nDEMO (%s): embedded fixtures with a random tiny %s — the numbers below mean nothing.", s.Why, s.kind.name)
	}
	return show.Text(line)
}

// Tokenizer loads the model's tokenizer (tokenizer.json, or a BERT vocab.txt).
func (s *Session) Tokenizer() (*tokenize.Tokenizer, error) { return tokenize.Load(s.ModelDir) }

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
