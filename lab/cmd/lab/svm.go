package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-translab/translab/lab/atomicfile"
	"github.com/go-translab/translab/lab/metrics"
	"github.com/go-translab/translab/lab/npy"
	"github.com/go-translab/translab/lab/svm"
)

func runSVM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("svm", "--train-x X.npy --train-y y.npy --test-x X.npy [--test-y y.npy] --out-pred P.npy [--out-decision D.npy] [--c 1] [--solver primal|dual]", stderr)
	trainX := fs.String("train-x", "", "training features, [n, d] float32 .npy (e.g. from lab embed)")
	trainY := fs.String("train-y", "", "training labels, [n] integer .npy")
	testX := fs.String("test-x", "", "features to predict, [m, d] float32 .npy")
	testY := fs.String("test-y", "", "their labels, to print accuracy and the classification report")
	outPred := fs.String("out-pred", "", "predicted labels, [m] int64 .npy")
	outDec := fs.String("out-decision", "", "decision values, [m] (binary) or [m, classes] float32 .npy")
	c := fs.Float64("c", 1, "inverse regularisation strength (LinearSVC's C)")
	solver := fs.String("solver", "primal", "primal (trust-region Newton, LinearSVC's choice when n > d) or dual (coordinate descent)")
	if err := parse(fs, args, required("train-x", "train-y", "test-x", "out-pred"), positive("c"), oneOf("solver", "primal", "dual"),
		inFile("train-x"), inFile("train-y"), inFile("test-x"), inFile("test-y"), outFile("out-pred"), outFile("out-decision")); err != nil {
		return err
	}
	if *outDec != "" && samePath(*outPred, *outDec) {
		return &badFlag{fmt.Sprintf("--out-pred and --out-decision name the same file %s", *outPred)}
	}
	o := svm.Options{C: *c, Warn: func(msg string) { fmt.Fprintln(stderr, "lab svm: "+msg) }, Solver: svm.Primal}
	if *solver == "dual" {
		o.Solver = svm.Dual
	}
	// Every input is read and checked before the fit, and nothing is written before every output
	// is complete: a bad --test-y costs no fit and leaves no predictions behind.
	xTrain, n, d, err := readMatrix(*trainX)
	if err != nil {
		return err
	}
	yTrain, err := readLabels(*trainY, n, *trainX)
	if err != nil {
		return err
	}
	xTest, m, dTest, err := readMatrix(*testX)
	if err != nil {
		return err
	}
	if dTest != d {
		return fmt.Errorf("%s has %d features per row, %s has %d", *testX, dTest, *trainX, d)
	}
	var yTest []int
	if *testY != "" {
		if yTest, err = readLabels(*testY, m, *testX); err != nil {
			return err
		}
	}
	model, err := svm.FitFlat(xTrain, n, d, yTrain, o)
	if err != nil {
		return err
	}
	pred := model.PredictFlat(xTest, m)
	p64 := make([]int64, len(pred))
	for i, v := range pred {
		p64[i] = int64(v)
	}
	var outputs []*atomicfile.Pending
	defer func() {
		for _, p := range outputs {
			p.Discard()
		}
	}()
	pp, err := atomicfile.Prepare(*outPred, func(w io.Writer) error { return npy.EncodeInt64(w, []int{m}, p64) })
	if err != nil {
		return err
	}
	outputs = append(outputs, pp)
	if *outDec != "" {
		dec := model.DecisionFlat(xTest, m)
		shape := []int{m}
		if len(model.Coef) > 1 {
			shape = []int{m, len(model.Coef)}
		}
		d32 := make([]float32, len(dec))
		for i, v := range dec {
			d32[i] = float32(v)
		}
		pd, err := atomicfile.Prepare(*outDec, func(w io.Writer) error { return npy.EncodeFloat32(w, shape, d32) })
		if err != nil {
			return err
		}
		outputs = append(outputs, pd)
	}
	for _, p := range outputs {
		if err := p.Commit(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "lab svm: %s solver, %d iterations, classes %v; wrote %s\n", model.Solver, model.NIter, model.Classes, *outPred)
	if yTest != nil {
		acc, err := metrics.Accuracy(yTest, pred)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "accuracy %.4f\n\n%s", acc, metrics.ClassificationReport(yTest, pred, nil, 2))
	}
	return nil
}

// samePath says whether two paths name one file, also through different spellings.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func readMatrix(path string) ([]float32, int, int, error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(a.Shape) != 2 || a.F32 == nil {
		return nil, 0, 0, fmt.Errorf("%s: want a 2-D float array [samples, features], got shape %v", path, a.Shape)
	}
	return a.F32, a.Shape[0], a.Shape[1], nil
}

// readLabels reads n integer class labels, one per row of the features in rowsOf.
func readLabels(path string, n int, rowsOf string) ([]int, error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 1 {
		return nil, fmt.Errorf("%s: want a 1-D array of labels, got shape %v", path, a.Shape)
	}
	if a.I64 == nil {
		return nil, fmt.Errorf("%s: labels must be integers, and this array holds floats (in NumPy: y.astype(np.int64))", path)
	}
	if a.Shape[0] != n {
		return nil, fmt.Errorf("%s: %d labels for %d rows (in %s)", path, a.Shape[0], n, rowsOf)
	}
	y := make([]int, n)
	for i, v := range a.I64 {
		y[i] = int(v)
	}
	return y, nil
}
