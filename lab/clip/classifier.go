package clip

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/go-translab/translab/lab/weights"
)

// ClassifierHead names the linear head an adapted CLIP classifies with: "classifier.weight"
// [classes, projection_dim] and "classifier.bias" [classes].
const ClassifierHead = "classifier"

// ClassifierParams is the table of the head AddClassifier makes: an nn.Linear of dim inputs
// (projection_dim) and classes outputs, with a bias.
func ClassifierParams(classes, dim int) weights.Table {
	return weights.LinearParams(ClassifierHead, classes, dim, true)
}

// Params is the model's parameter table: CLIPModel's, and the classifier's once AddClassifier has
// made one.
func (m *Model) Params() weights.Table {
	t := m.Config.Params()
	if v := m.Store.GetVariable(weights.VarPath(ClassifierHead + ".weight")); v != nil {
		t = t.With(ClassifierParams(v.Shape().Dimensions[0], m.Config.ProjectionDim)...)
	}
	return t
}

// AddClassifier gives the model a linear head on its normalised image embeddings, initialised
// from a zero-shot classifier's class embeddings (normalised, [classes, projection_dim]): the
// weight is exp(logit_scale) times the class embeddings and the bias is zero, so before any training the head's logits are the zero-shot logits. Fine-tuning
// from there (the "zero-shot initialised head" of WiSE-FT and FLYP) starts from CLIP's own
// knowledge of the classes rather than from chance. A head already there is replaced.
func (m *Model) AddClassifier(classEmbeds []float32, classes int) error {
	d := m.Config.ProjectionDim
	k := classes
	if k < 1 || len(classEmbeds) != k*d {
		return fmt.Errorf("clip: %d class embedding values for %d classes of width %d", len(classEmbeds), k, d)
	}
	scale64, err := m.LogitScale()
	if err != nil {
		return err
	}
	scale := float32(scale64)
	w := make([]float32, k*d)
	for i, v := range classEmbeds {
		w[i] = v * scale
	}
	for name, t := range map[string]*tensors.Tensor{
		ClassifierHead + ".weight": tensors.FromFlatDataAndDimensions(w, k, d),
		ClassifierHead + ".bias":   tensors.FromFlatDataAndDimensions(make([]float32, k), k),
	} {
		path := weights.VarPath(name)
		if v := m.Store.GetVariable(path); v != nil {
			if err := v.SetValue(t); err != nil {
				return fmt.Errorf("clip: %s: %w", name, err)
			}
			continue
		}
		if _, err := m.Store.CreateVariable(path, t); err != nil {
			return fmt.Errorf("clip: %s: %w", name, err)
		}
	}
	return nil
}

// ClassifierLogits classifies pixel values [batch, channels, size, size] with the head AddClassifier
// made: [batch, classes].
func (m *Model) ClassifierLogits(pixels *Node) *Node {
	return m.HeadLogits(m.Vision(pixels).Embeds)
}

// HeadLogits applies the head to image embeddings [batch, projection_dim] (normalised or not):
// what ClassifierLogits computes after the vision tower, for training the head on frozen features.
func (m *Model) HeadLogits(imageEmbeds *Node) *Node {
	return m.p().Linear(Normalize(imageEmbeds), ClassifierHead)
}
