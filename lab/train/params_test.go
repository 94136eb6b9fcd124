package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/go-translab/translab/lab/clip"
	"github.com/go-translab/translab/lab/distilbert"
	"github.com/go-translab/translab/lab/reference"
	"github.com/go-translab/translab/lab/weights"
)

// hfParam is one parameter of testdata/<set>/hf_params.json, written by goldens/params/hf_params.py
// from HF's models built on that reference set's configs.
type hfParam struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Module string `json:"module"` // the class of the module that owns it
	Decay  bool   `json:"decay"`  // in Trainer.get_decay_parameter_names
}

// hfModules maps torch module classes to the table's kinds; any other class owns a bare
// nn.Parameter (CLIPModel's logit_scale, CLIPVisionEmbeddings' class_embedding).
var hfModules = map[string]weights.Module{
	"Linear": weights.Linear, "LayerNorm": weights.LayerNorm, "Embedding": weights.Embedding, "Conv2d": weights.Conv,
}

// TestTablesMatchHF: the parameter tables of both reference models have HF's names and shapes, the
// module kinds HF's modules have, and Decays groups them as HF's Trainer does.
func TestTablesMatchHF(t *testing.T) { reference.Each(t, tablesMatchHF) }

func tablesMatchHF(t *testing.T, set reference.Set) {
	raw, err := os.ReadFile(filepath.Join("testdata", set.Name, "hf_params.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Models map[string][]hfParam `json:"models"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	tables := map[string]func(dir string) (weights.Table, error){
		"distilbert-tiny-random": func(dir string) (weights.Table, error) {
			cfg, err := distilbert.LoadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				return nil, err
			}
			return cfg.Params(true), nil
		},
		"clip-tiny-random": func(dir string) (weights.Table, error) {
			cfg, err := clip.LoadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				return nil, err
			}
			return cfg.Params(), nil
		},
	}
	for name, table := range tables {
		t.Run(name, func(t *testing.T) {
			hf := golden.Models[name]
			if len(hf) == 0 {
				t.Fatalf("hf_params.json has no %s", name)
			}
			tab, err := table(set.Path(name))
			if err != nil {
				t.Fatal(err)
			}
			if len(tab) != len(hf) {
				t.Errorf("the table has %d parameters, HF's model %d", len(tab), len(hf))
			}
			decayed := 0
			for _, want := range hf {
				p, ok := tab.Lookup(want.Name)
				if !ok {
					t.Errorf("HF's %s is not in the table", want.Name)
					continue
				}
				module, known := hfModules[want.Module]
				if !known {
					module = weights.Other
				}
				bias := strings.HasSuffix(want.Name, ".bias")
				switch {
				case !slices.Equal(p.Shape, want.Shape):
					t.Errorf("%s: shape %v, HF %v", p.Name, p.Shape, want.Shape)
				case p.Module != module || p.Bias != bias:
					t.Errorf("%s: %v (bias %v), HF's module is a %s (bias %v)", p.Name, p.Module, p.Bias, want.Module, bias)
				case Decays(p) != want.Decay:
					t.Errorf("Decays(%s) = %v, HF's Trainer: %v", p.Name, Decays(p), want.Decay)
				}
				if want.Decay {
					decayed++
				}
			}
			if name == "distilbert-tiny-random" { // its table claims HF's order (CLIP's does not)
				var hfNames []string
				for _, p := range hf {
					hfNames = append(hfNames, p.Name)
				}
				if !slices.Equal(tab.Names(), hfNames) {
					t.Error("the table's order is not HF's named_parameters order")
				}
			}
			t.Logf("%d parameters, %d decayed as HF's Trainer decays them", len(hf), decayed)
		})
	}
}

// TestDecaysOfAddedParams: what the lab adds to a model is grouped as HF groups the same modules
// (a Linear head's bias is not decayed, its weight and PEFT's lora_A/lora_B Linear weights are).
func TestDecaysOfAddedParams(t *testing.T) {
	for _, c := range []struct {
		p    weights.Param
		want bool
	}{
		{clip.ClassifierParams(3, 8)[0], true},
		{clip.ClassifierParams(3, 8)[1], false},
		{weights.Param{Name: "x.lora_A.weight", Shape: []int{4, 8}, Module: weights.Linear}, true},
		{weights.Param{Name: "prompt_learner.ctx", Shape: []int{4, 8}}, true},
	} {
		if got := Decays(c.p); got != c.want {
			t.Errorf("Decays(%s) = %v, want %v", c.p.Name, got, c.want)
		}
	}
}

// TestNewAdamWNeedsTheTable: weight decay without a table, or a trainable parameter missing from
// it, is refused rather than grouped by guess.
func TestNewAdamWNeedsTheTable(t *testing.T) {
	newStore := func() *model.Store {
		s := model.NewStore()
		for _, n := range []string{"lin.weight", "lin.bias", "extra"} {
			if _, err := s.CreateVariable(weights.VarPath(n), tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2)); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	table := weights.LinearParams("lin", 2, 1, true)
	cfg := DefaultAdamW()
	cfg.WeightDecay = 0.01
	if _, err := NewAdamW(newStore(), nil, cfg); err == nil {
		t.Error("weight decay without a parameter table was accepted")
	}
	if _, err := NewAdamW(newStore(), table, cfg); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("a trainable parameter outside the table: err = %v, want one naming it", err)
	}
	if _, err := NewAdamW(newStore(), table.With(weights.Param{Name: "extra", Shape: []int{2}}), cfg); err != nil {
		t.Error(err)
	}
	cfg.WeightDecay = 0
	if _, err := NewAdamW(newStore(), nil, cfg); err != nil {
		t.Errorf("without weight decay no table is needed: %v", err)
	}
}
