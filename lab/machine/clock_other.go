//go:build !amd64

package machine

// MeasureGHz has no cycle-exact loop outside amd64: the clock then comes from /proc/cpuinfo.
func MeasureGHz() (float64, string) { return 0, "" }
