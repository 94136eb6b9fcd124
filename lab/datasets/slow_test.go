package datasets

import (
	"path/filepath"
	"testing"
	"time"
)

func TestSlowOne(t *testing.T) {
	files, _ := filepath.Glob("/tmp/slow_*.parquet")
	for _, p := range files {
		for _, spec := range []Spec{RottenTomatoes, {ImageColumn: "image", LabelColumn: "label"}, {Extra: []string{"id", "score", "text"}}} {
			start := time.Now()
			s, err := OpenFiles(spec, "train", p)
			t1 := time.Since(start)
			if err == nil {
				_, err = s.ReadAll()
			}
			t.Logf("%s %v open %v total %v: %v", p, spec.Extra, t1, time.Since(start), err)
		}
	}
}
