// Package peft is parameter-efficient fine-tuning as HF's peft library does it, for the lab's
// models: LoRA side paths on chosen Linear layers, and freezing everything but what a method trains
// (LoRA matrices, biases — BitFit —, LayerNorms, a classification head). Adapters are saved and
// read in PEFT's own file format, so Python's PeftModel.from_pretrained loads what the lab trains
// and the other way round.
package peft

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/weights"
)

// LoRAConfig is PEFT's LoraConfig, for the options the lab supports.
type LoRAConfig struct {
	Rank    int     // r
	Alpha   float64 // lora_alpha: the side path is scaled by Alpha/Rank
	Dropout float64 // lora_dropout, applied to the side path's input while training
	// Targets are PEFT's target_modules as a list: a layer is adapted when its name equals one of
	// them or ends with "." and one of them ("q_proj" adapts every "….self_attn.q_proj").
	Targets []string
	// Pattern is target_modules as a string: a regular expression the whole layer name must match
	// ("vision_model.*(q_proj|v_proj)"). Set Targets or Pattern, not both.
	Pattern string
	// ModulesToSave are layers trained whole beside the adapter and saved with it (PEFT's
	// modules_to_save: a new classification head). A layer is one when its name ends with one of
	// them, as PEFT matches them: "classifier" also takes "pre_classifier".
	ModulesToSave []string
}

// Scaling is the factor of the side path, lora_alpha / r.
func (c LoRAConfig) Scaling() float64 { return c.Alpha / float64(c.Rank) }

func (c LoRAConfig) validate() error {
	switch {
	case c.Rank <= 0 || c.Rank > 1<<14:
		return fmt.Errorf("r = %d: want a rank between 1 and 16384", c.Rank)
	case !(c.Alpha > 0) || math.IsInf(c.Alpha, 0):
		return fmt.Errorf("lora_alpha = %v: want a positive number", c.Alpha)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("lora_dropout = %v: want 0 ≤ p < 1", c.Dropout)
	case (len(c.Targets) == 0) == (c.Pattern == ""):
		return errors.New("target_modules: give either a list of layer names or one pattern")
	}
	if c.Pattern != "" {
		if _, err := regexp.Compile(c.Pattern); err != nil {
			return fmt.Errorf("target_modules %q: %w", c.Pattern, err)
		}
	}
	return nil
}

// matches is PEFT's check_target_module_exists; pattern is Pattern compiled whole-name (nil
// without one).
func (c LoRAConfig) matches(layer string, pattern *regexp.Regexp) bool {
	if pattern != nil {
		return pattern.MatchString(layer)
	}
	for _, t := range c.Targets {
		if layer == t || strings.HasSuffix(layer, "."+t) {
			return true
		}
	}
	return false
}

// LoRA is a set of low-rank side paths, one per adapted layer: y = W·x + b + s·B·A·dropout(x), with
// A [r, in] and B [out, r] trainable and W, b as loaded. It is a weights.Adapter: set it as a
// model's Adapter and every graph built after that includes it.
type LoRA struct {
	Config LoRAConfig
	Layers []string // the adapted layers, in the model's order
	Saved  []string // the layers of ModulesToSave found in the model, trained and saved whole
	store  *model.Store
	set    map[string]bool
}

var _ weights.Adapter = (*LoRA)(nil)

// MatrixNames are the HF names of a layer's two LoRA matrices, as PEFT names them inside the model
// (without the adapter name "default").
func MatrixNames(layer string) (a, b string) {
	return layer + ".lora_A.weight", layer + ".lora_B.weight"
}

// selectLayers picks the model's Linear layers that cfg targets, and those it saves whole.
func selectLayers(cfg LoRAConfig, linear []string) (chosen, saved []string, err error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, fmt.Errorf("peft: %w", err)
	}
	var pattern *regexp.Regexp
	if cfg.Pattern != "" {
		pattern = regexp.MustCompile("^(?:" + cfg.Pattern + ")$") // validate compiled it already
	}
	for _, l := range linear {
		switch {
		case cfg.saves(l):
			saved = append(saved, l)
		case cfg.matches(l, pattern):
			chosen = append(chosen, l)
		}
	}
	if len(chosen) == 0 {
		want := cfg.Pattern
		if want == "" {
			want = strings.Join(cfg.Targets, ", ")
		}
		example := ""
		if len(linear) > 0 {
			example = " (e.g. " + linear[0] + ")"
		}
		return nil, nil, fmt.Errorf("peft: target_modules %s match none of the model's %d Linear layers%s", want, len(linear), example)
	}
	if len(cfg.ModulesToSave) > 0 && len(saved) == 0 {
		return nil, nil, fmt.Errorf("peft: modules_to_save %v match none of the model's layers (is its head loaded?)", cfg.ModulesToSave)
	}
	return chosen, saved, nil
}

// saves is PEFT's modules_to_save match: the layer's name ends with one of them.
func (c LoRAConfig) saves(layer string) bool {
	for _, m := range c.ModulesToSave {
		if strings.HasSuffix(layer, m) {
			return true
		}
	}
	return false
}

// NewLoRA adds freshly initialised LoRA matrices to the store for the layers of linear (the model's
// Linear layers: its parameter table's Linears(), e.g. clip.Config.Params().Linears()) that cfg
// targets. As PEFT does, A is drawn from kaiming_uniform(a=√5), i.e. U(±1/√in), and B starts at
// zero, so the adapted model starts equal to the base model.
func NewLoRA(store *model.Store, linear []string, cfg LoRAConfig, seed uint64) (*LoRA, error) {
	chosen, saved, err := selectLayers(cfg, linear)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c6f7261))
	for _, l := range chosen {
		w := store.GetVariable(weights.VarPath(l + ".weight"))
		if w == nil || w.Shape().Rank() != 2 {
			return nil, fmt.Errorf("peft: layer %q has no [out, in] weight in the model", l)
		}
		out, in := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
		an, bn := MatrixNames(l)
		if store.GetVariable(weights.VarPath(an)) != nil {
			return nil, fmt.Errorf("peft: layer %q already has a LoRA adapter", l)
		}
		a := make([]float32, cfg.Rank*in)
		bound := 1 / math.Sqrt(float64(in))
		for i := range a {
			a[i] = float32((2*rng.Float64() - 1) * bound)
		}
		if _, err := store.CreateVariable(weights.VarPath(an), tensors.FromFlatDataAndDimensions(a, cfg.Rank, in)); err != nil {
			return nil, fmt.Errorf("peft: %w", err)
		}
		if _, err := store.CreateVariable(weights.VarPath(bn), tensors.FromFlatDataAndDimensions(make([]float32, out*cfg.Rank), out, cfg.Rank)); err != nil {
			return nil, fmt.Errorf("peft: %w", err)
		}
	}
	return newLoRA(store, cfg, chosen, saved), nil
}

func newLoRA(store *model.Store, cfg LoRAConfig, layers, saved []string) *LoRA {
	l := &LoRA{Config: cfg, Layers: layers, Saved: saved, store: store, set: map[string]bool{}}
	for _, name := range layers {
		l.set[name] = true
	}
	return l
}

// Adapt adds the side path to an adapted layer's output, in PEFT's order: lora_B(lora_A(dropout(x)))
// times the scaling.
func (l *LoRA) Adapt(p weights.Params, name string, x, y *Node) *Node {
	if !l.set[name] {
		return y
	}
	h := x
	if l.Config.Dropout > 0 {
		h = layers.DropoutStatic(l.store.RootScope(), h, l.Config.Dropout)
	}
	p.Adapter = nil // the matrices themselves are plain Linear layers
	h = p.Linear(p.Linear(h, name+".lora_A"), name+".lora_B")
	return Add(y, MulScalar(h, l.Config.Scaling()))
}

// Params is the table of the LoRA matrices, layer by layer: lora_A [r, in] and lora_B [out, r] are
// PEFT's nn.Linear layers without bias, so the Trainer decays them as HF's does. The layers saved
// whole are the model's own and in its table already.
func (l *LoRA) Params() weights.Table {
	var t weights.Table
	for _, layer := range l.Layers {
		dims := l.store.GetVariable(weights.VarPath(layer + ".weight")).Shape().Dimensions
		an, bn := MatrixNames(layer)
		t = append(t,
			weights.Param{Name: an, Shape: []int{l.Config.Rank, dims[1]}, Module: weights.Linear},
			weights.Param{Name: bn, Shape: []int{dims[0], l.Config.Rank}, Module: weights.Linear})
	}
	return t
}

// Trainable says whether an HF parameter name is one of the LoRA matrices or belongs to a layer
// saved whole (for Freeze).
func (l *LoRA) Trainable(name string) bool {
	for _, suffix := range []string{".lora_A.weight", ".lora_B.weight"} {
		if layer, ok := strings.CutSuffix(name, suffix); ok && l.set[layer] {
			return true
		}
	}
	for _, m := range l.Saved {
		if name == m+".weight" || name == m+".bias" {
			return true
		}
	}
	return false
}

// savedWants are the tensors of the layers saved whole, under PEFT's names: each layer's weight
// and, when the model has one, its bias.
func (l *LoRA) savedWants() ([]weights.Want, error) {
	var want []weights.Want
	for _, m := range l.Saved {
		for _, n := range []string{m + ".weight", m + ".bias"} {
			v := l.store.GetVariable(weights.VarPath(n))
			if v == nil {
				if strings.HasSuffix(n, ".weight") {
					return nil, fmt.Errorf("peft: modules_to_save layer %q has no weight in the model", m)
				}
				continue
			}
			want = append(want, weights.Want{Name: keyPrefix + n, Path: weights.VarPath(n), Shape: v.Shape().Dimensions})
		}
	}
	return want, nil
}

// Merge folds the side paths into the base weights, W += s·B·A, and zeroes B: the model then
// computes the same with or without the adapter set, at a plain model's cost. It changes the base
// weights, so save the adapter first if it is still needed.
func (l *LoRA) Merge() error {
	for _, layer := range l.Layers {
		an, bn := MatrixNames(layer)
		a, err := floatsOf(l.store, an)
		if err != nil {
			return err
		}
		b, err := floatsOf(l.store, bn)
		if err != nil {
			return err
		}
		wv := l.store.GetVariable(weights.VarPath(layer + ".weight"))
		w, err := floatsOf(l.store, layer+".weight")
		if err != nil {
			return err
		}
		out, in, r := wv.Shape().Dimensions[0], wv.Shape().Dimensions[1], l.Config.Rank
		s := l.Config.Scaling()
		for o := range out {
			for k := range r {
				bk := float64(b[o*r+k]) * s
				for i := range in {
					w[o*in+i] += float32(bk * float64(a[k*in+i]))
				}
			}
		}
		if err := wv.SetValue(tensors.FromFlatDataAndDimensions(w, out, in)); err != nil {
			return fmt.Errorf("peft: merging %s: %w", layer, err)
		}
		zero := make([]float32, out*r) // B = 0: the side path adds nothing if the adapter stays set
		if err := l.store.GetVariable(weights.VarPath(bn)).SetValue(tensors.FromFlatDataAndDimensions(zero, out, r)); err != nil {
			return fmt.Errorf("peft: merging %s: %w", layer, err)
		}
	}
	return nil
}

func floatsOf(store *model.Store, name string) ([]float32, error) {
	v := store.GetVariable(weights.VarPath(name))
	if v == nil {
		return nil, fmt.Errorf("peft: no parameter %q in the store", name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, fmt.Errorf("peft: %s: %w", name, err)
	}
	return tensors.MustCopyFlatData[float32](t), nil
}

// PEFT's file names and the prefix its saved keys carry (PeftModel wraps the model as
// base_model.model).
const (
	ConfigFile  = "adapter_config.json"
	WeightsFile = "adapter_model.safetensors"
	keyPrefix   = "base_model.model."
)

// adapterConfig is adapter_config.json: the fields PEFT writes for LoRA. Options whose effect the
// lab does not implement are read so that a file using them is refused rather than misread.
type adapterConfig struct {
	PeftType        string          `json:"peft_type"`
	BaseModel       string          `json:"base_model_name_or_path"`
	R               int             `json:"r"`
	LoraAlpha       float64         `json:"lora_alpha"`
	LoraDropout     float64         `json:"lora_dropout"`
	TargetModules   json.RawMessage `json:"target_modules"`
	Bias            string          `json:"bias"`
	FanInFanOut     bool            `json:"fan_in_fan_out"`
	UseRSLoRA       bool            `json:"use_rslora"`
	UseDoRA         bool            `json:"use_dora"`
	ModulesToSave   []string        `json:"modules_to_save"`
	RankPattern     map[string]any  `json:"rank_pattern"`
	AlphaPattern    map[string]any  `json:"alpha_pattern"`
	LayersTransform any             `json:"layers_to_transform"`
	TaskType        *string         `json:"task_type"`
	InferenceMode   bool            `json:"inference_mode"`
	InitLoraWeights bool            `json:"init_lora_weights"`
}

// Save writes the adapter as PEFT does (adapter_config.json and adapter_model.safetensors in dir),
// each file written whole and then renamed. base is recorded as base_model_name_or_path.
func (l *LoRA) Save(dir, base string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("peft: %w", err)
	}
	var want []weights.Want
	for _, layer := range l.Layers {
		for _, n := range []string{layer + ".lora_A.weight", layer + ".lora_B.weight"} {
			v := l.store.GetVariable(weights.VarPath(n))
			if v == nil {
				return fmt.Errorf("peft: no parameter %q in the store", n)
			}
			want = append(want, weights.Want{Name: keyPrefix + n, Path: weights.VarPath(n), Shape: v.Shape().Dimensions})
		}
	}
	whole, err := l.savedWants()
	if err != nil {
		return err
	}
	ts, err := weights.FromStore(l.store, append(want, whole...))
	if err != nil {
		return err
	}
	if err := weights.Write(filepath.Join(dir, WeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	var targets json.RawMessage
	if l.Config.Pattern != "" {
		targets, _ = json.Marshal(l.Config.Pattern)
	} else {
		targets, _ = json.Marshal(l.Config.Targets)
	}
	cfg := adapterConfig{
		PeftType: "LORA", BaseModel: base, R: l.Config.Rank, LoraAlpha: l.Config.Alpha, LoraDropout: l.Config.Dropout,
		TargetModules: targets, Bias: "none", RankPattern: map[string]any{}, AlphaPattern: map[string]any{},
		InferenceMode: true, InitLoraWeights: true, ModulesToSave: l.Config.ModulesToSave,
	}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("peft: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(js, '\n'))
}

// LoadLoRA reads a PEFT LoRA adapter (adapter_config.json and adapter_model.safetensors in dir) into
// the store, for the layers of linear (the parameter table's Linears()) it targets; layers it saved
// whole (modules_to_save, e.g. a classification head) replace the model's. Every problem — an
// option the lab does not implement, a missing, unexpected or wrong-shape tensor — is reported
// naming the file.
func LoadLoRA(dir string, store *model.Store, linear []string) (*LoRA, error) {
	path := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("peft: %w", err)
	}
	var ac adapterConfig
	if err := json.Unmarshal(raw, &ac); err != nil {
		return nil, fmt.Errorf("peft: %s: %w", path, err)
	}
	cfg, err := ac.loraConfig()
	if err != nil {
		return nil, fmt.Errorf("peft: %s: %w", path, err)
	}
	chosen, saved, err := selectLayers(cfg, linear)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	f, err := weights.Open(filepath.Join(dir, WeightsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var want []weights.Want
	for _, layer := range chosen {
		w := store.GetVariable(weights.VarPath(layer + ".weight"))
		if w == nil || w.Shape().Rank() != 2 {
			return nil, fmt.Errorf("peft: %s: layer %q has no [out, in] weight in the model", path, layer)
		}
		out, in := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
		an, bn := MatrixNames(layer)
		want = append(want,
			weights.Want{Name: keyPrefix + an, Path: weights.VarPath(an), Shape: []int{cfg.Rank, in}},
			weights.Want{Name: keyPrefix + bn, Path: weights.VarPath(bn), Shape: []int{out, cfg.Rank}})
	}
	l := newLoRA(store, cfg, chosen, saved)
	whole, err := l.savedWants()
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	if _, err := weights.Bind(store, f, append(want, whole...), false); err != nil {
		return nil, err
	}
	return l, nil
}

func (ac adapterConfig) loraConfig() (LoRAConfig, error) {
	switch {
	case ac.PeftType != "LORA":
		return LoRAConfig{}, fmt.Errorf("field \"peft_type\" = %q: only LORA adapters are supported", ac.PeftType)
	case ac.Bias != "" && ac.Bias != "none":
		return LoRAConfig{}, fmt.Errorf("field \"bias\" = %q: only \"none\" is supported", ac.Bias)
	case ac.FanInFanOut:
		return LoRAConfig{}, errors.New("field \"fan_in_fan_out\" = true: not supported (GPT-2 style Conv1D layers)")
	case ac.UseDoRA:
		return LoRAConfig{}, errors.New("field \"use_dora\" = true: DoRA is not supported")
	case ac.UseRSLoRA:
		return LoRAConfig{}, errors.New("field \"use_rslora\" = true: rank-stabilised scaling is not supported")
	case len(ac.RankPattern) > 0 || len(ac.AlphaPattern) > 0:
		return LoRAConfig{}, errors.New("fields \"rank_pattern\"/\"alpha_pattern\": per-layer ranks are not supported")
	case ac.LayersTransform != nil:
		return LoRAConfig{}, errors.New("field \"layers_to_transform\": not supported")
	}
	cfg := LoRAConfig{Rank: ac.R, Alpha: ac.LoraAlpha, Dropout: ac.LoraDropout, ModulesToSave: ac.ModulesToSave}
	if len(ac.TargetModules) == 0 || string(ac.TargetModules) == "null" {
		return cfg, errors.New("field \"target_modules\" is missing")
	}
	if err := json.Unmarshal(ac.TargetModules, &cfg.Pattern); err != nil {
		if err := json.Unmarshal(ac.TargetModules, &cfg.Targets); err != nil {
			return cfg, fmt.Errorf("field \"target_modules\": want a string or a list of strings, got %s", ac.TargetModules)
		}
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	cfg.Targets = slices.Clip(cfg.Targets)
	return cfg, nil
}
