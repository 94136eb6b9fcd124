package weights

import (
	"slices"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	table := EmbeddingParams("emb", 10, 4).
		With(LayerNormParams("ln", 4)...).
		With(LinearParams("enc.q", 4, 4, true)...).
		With(LinearParams("proj", 2, 4, false)...).
		With(Param{Name: "scale"})
	if got, want := table.Linears(), []string{"enc.q", "proj"}; !slices.Equal(got, want) {
		t.Errorf("Linears = %q, want %q", got, want)
	}
	for name, module := range map[string]string{"enc.q.weight": "enc.q", "enc.q.bias": "enc.q", "scale": "scale", "ln.bias": "ln"} {
		p, ok := table.Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", name)
		}
		if p.ModuleName() != module {
			t.Errorf("%s: ModuleName %q, want %q", name, p.ModuleName(), module)
		}
	}
	biases := table.Rule(func(p Param) bool { return p.Bias })
	for name, want := range map[string]bool{"enc.q.bias": true, "ln.bias": true, "enc.q.weight": false, "other.bias": false} {
		if biases(name) != want {
			t.Errorf("biases(%q) = %v, want %v (only the table's biases)", name, !want, want)
		}
	}
	if got := table.Filter(func(p Param) bool { return p.Module == LayerNorm }).Names(); !slices.Equal(got, []string{"ln.weight", "ln.bias"}) {
		t.Errorf("LayerNorm parameters %q", got)
	}
	want := table.Wants(func(n string) string { return "m." + n })
	if len(want) != len(table) || want[0].Name != "m.emb.weight" || want[0].Path != "/emb/weight" ||
		!slices.IsSortedFunc(want, func(a, b Want) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Wants: %+v", want)
	}
	if s := table.Shapes(); !slices.Equal(s["proj.weight"], []int{2, 4}) || len(s["scale"]) != 0 {
		t.Errorf("Shapes: %v", s)
	}
	// With never writes into the table it extends, even where it has room.
	base := append(make(Table, 0, 4), LinearParams("a", 1, 1, false)...)
	b2 := base.With(Param{Name: "y"})
	if b3 := base.With(Param{Name: "z"}); len(base) != 1 || b2[1].Name != "y" || b3[1].Name != "z" {
		t.Errorf("With wrote into its receiver")
	}
	defer func() {
		if recover() == nil {
			t.Error("a name twice in a table did not panic")
		}
	}()
	table.With(Param{Name: "scale"})
}
