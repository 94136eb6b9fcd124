package zeroshot

import (
	"github.com/go-translab/translab/data"
)

// DatasetNames are the datasets of Exercise 3, in the lab's order (names in data/catalog.json).
var DatasetNames = []string{"imagenette", "tinyimagenet", "eurosat"}

// LookupDataset returns one of the lab's image datasets from the catalog.
func LookupDataset(name string) (Dataset, error) {
	e, err := data.Lookup(name)
	if err != nil {
		return Dataset{}, err
	}
	d := Dataset{Name: e.Name, Spec: e.Spec(), Templates: e.Templates, Names: e.ClassNames}
	if e.SeedZeroShotAccuracy != nil {
		d.Seed = *e.SeedZeroShotAccuracy
	}
	if fb, ok := e.FallbackSpec(); ok {
		d.Fallback = &fb
	}
	return d, nil
}
