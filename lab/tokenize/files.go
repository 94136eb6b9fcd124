package tokenize

import (
	"os"
	"path/filepath"

	"github.com/go-translab/translab/lab/atomicfile"
)

// Files are the files a tokenizer is saved as, in either form: tokenizer.json, or a vocab.txt with
// its configs.
var Files = []string{"tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"}

// CopyFiles copies the tokenizer files there are in from into to, so that an exported model
// directory loads with its tokenizer (AutoTokenizer.from_pretrained, or Load here).
func CopyFiles(from, to string) error {
	for _, f := range Files {
		raw, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			continue // the tokenizer may come in either form
		}
		if err := atomicfile.WriteFile(filepath.Join(to, f), raw); err != nil {
			return err
		}
	}
	return nil
}
