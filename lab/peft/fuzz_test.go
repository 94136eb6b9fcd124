package peft

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAdapterConfig: any adapter_config.json is read into a valid LoRA configuration or refused
// with an error — never a panic, never a configuration that fails its own validation.
func FuzzAdapterConfig(f *testing.F) {
	// PEFT's own files: the CLIP and DistilBERT adapters of each reference set.
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "lora*", ConfigFile))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no adapter_config.json under testdata: %v", err)
	}
	for _, path := range seeds {
		good, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(good)
	}
	for _, s := range []string{`{}`, `{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"]}`,
		`{"peft_type":"LORA","r":-1,"lora_alpha":8,"target_modules":"("}`, `{"peft_type":"LORA","r":4,"lora_alpha":1e400,"target_modules":[1]}`,
		`{"peft_type":"LORA","r":4,"lora_alpha":8,"lora_dropout":1,"target_modules":"x"}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ac adapterConfig
		if json.Unmarshal(raw, &ac) != nil {
			return
		}
		cfg, err := ac.loraConfig()
		if err != nil {
			return
		}
		if err := cfg.validate(); err != nil {
			t.Fatalf("accepted a configuration that fails validation: %v", err)
		}
		selectLayers(cfg, []string{"vision_model.encoder.layers.0.self_attn.q_proj"}) // must not panic
	})
}
