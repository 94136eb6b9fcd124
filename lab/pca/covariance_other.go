//go:build !(goexperiment.simd && amd64)

package pca

var syrkUpper = syrkUpperGo
