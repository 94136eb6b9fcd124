package main

import (
	"context"
	"fmt"
	"io"

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
	if err := parse(fs, args, "train-x", "train-y", "test-x", "out-pred"); err != nil {
		return err
	}
	o := svm.Options{C: *c, Warn: func(msg string) { fmt.Fprintln(stderr, "lab svm: "+msg) }}
	switch *solver {
	case "primal":
		o.Solver = svm.Primal
	case "dual":
		o.Solver = svm.Dual
	default:
		return fmt.Errorf("--solver %q: want primal or dual", *solver)
	}
	xTrain, n, d, err := readMatrix(*trainX)
	if err != nil {
		return err
	}
	yTrain, err := readLabels(*trainY, n)
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
	model, err := svm.FitFlat(xTrain, n, d, yTrain, o)
	if err != nil {
		return err
	}
	pred := model.PredictFlat(xTest, m)
	p64 := make([]int64, len(pred))
	for i, v := range pred {
		p64[i] = int64(v)
	}
	if err := npy.WriteInt64(*outPred, []int{m}, p64); err != nil {
		return err
	}
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
		if err := npy.WriteFloat32(*outDec, shape, d32); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "lab svm: %s solver, %d iterations, classes %v; wrote %s\n", model.Solver, model.NIter, model.Classes, *outPred)
	if *testY != "" {
		yTest, err := readLabels(*testY, m)
		if err != nil {
			return err
		}
		acc, err := metrics.Accuracy(yTest, pred)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "accuracy %.4f\n\n%s", acc, metrics.ClassificationReport(yTest, pred, nil, 2))
	}
	return nil
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

func readLabels(path string, n int) ([]int, error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 1 || a.I64 == nil {
		return nil, fmt.Errorf("%s: want a 1-D integer array of labels, got shape %v", path, a.Shape)
	}
	if a.Shape[0] != n {
		return nil, fmt.Errorf("%s: %d labels for %d rows of features", path, a.Shape[0], n)
	}
	y := make([]int, n)
	for i, v := range a.I64 {
		y[i] = int(v)
	}
	return y, nil
}
