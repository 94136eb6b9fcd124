package machine

import (
	"math"
	"runtime"
	"time"
)

//go:noescape
func addChain(n int)

// MeasureGHz times a chain of dependent integer adds on one core — one add a cycle on every x86
// core, so cycles = adds — and takes the best of 30 runs of ~1 ms, each short enough to finish
// within one time slice on a shared machine. It is the clock a busy core actually runs at, boost
// included, which a VM's cpuinfo does not show; with every core running wide FMAs some CPUs clock
// lower.
func MeasureGHz() (float64, string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 20000 // 2 M cycles
	addChain(n)
	best := math.Inf(1)
	for range 30 {
		start := time.Now()
		addChain(n)
		best = min(best, time.Since(start).Seconds())
	}
	return float64(n*100) / best / 1e9, "measured on one core: dependent adds, one a cycle, best of 30"
}
