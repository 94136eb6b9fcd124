//go:build goexperiment.simd

package backend

// SIMD reports whether this binary was built with GOEXPERIMENT=simd, which the pure-Go backend
// needs for its vectorised matmuls (about 7× faster on the lab's machines).
const SIMD = true
