// Package zeroshot is the lab's third exercise, part 1: CLIP classifies images it was never trained
// on by comparing them with text prompts ("a photo of a {class}."). Its steps — prompts to class
// embeddings, images to image embeddings, their scaled cosine similarity to a prediction — are
// each callable from a cell; Evaluate composes them over a dataset split.
package zeroshot

import "strings"

// Prompt templates; "{}" stands for the class name.
var (
	// PhotoTemplate is the single prompt of the seed lab.
	PhotoTemplate = []string{"a photo of a {}."}
	// EnsembleTemplates are the seven ImageNet prompts OpenAI's CLIP notebook found to work best
	// together; averaging their embeddings is the "template ensemble".
	EnsembleTemplates = []string{
		"itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
		"a {} in a video game.", "art of the {}.", "a photo of the small {}.",
	}
	// SatelliteTemplates are the prompts OpenAI used for EuroSAT.
	SatelliteTemplates = []string{
		"a centered satellite photo of {}.", "a centered satellite photo of a {}.", "a centered satellite photo of the {}.",
	}
)

// DatasetNames are the datasets of Exercise 3, in the lab's order (names in data/catalog.json).
var DatasetNames = []string{"imagenette", "tinyimagenet", "eurosat"}

// Prompts fills each template with a class name.
func Prompts(templates []string, class string) []string {
	out := make([]string, len(templates))
	for i, t := range templates {
		out[i] = strings.ReplaceAll(t, "{}", class)
	}
	return out
}
