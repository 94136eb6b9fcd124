package machine

import (
	"math"
	"os"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) CPU {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCPUInfo(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func TestDerivePeak(t *testing.T) {
	for _, tc := range []struct {
		fixture       string
		cpus          int
		ghz           float64 // a measured clock, or 0 for cpuinfo's
		cores, lanes  int
		core          string
		want          float64 // by hand: cores × GHz × FMA units × lanes × 2
		clockContains string
	}{
		// GCP-style Zen 3: 2 vCPUs are one core's two SMT threads; AVX2, two 256-bit FMA units.
		{"cpuinfo-zen3-avx2", 2, 0, 1, 8, "Zen 3", 1 * 2.449998 * 2 * 8 * 2, "cpu MHz"},
		// Zen 5 EPYC (family 26 model 2): two 512-bit FMA units a core, 2 cores.
		{"cpuinfo-zen5-avx512", 2, 0, 2, 16, "Zen 5 (512-bit", 2 * 2.595124 * 2 * 16 * 2, "cpu MHz"},
		{"cpuinfo-zen5-avx512", 2, 3.5, 2, 16, "Zen 5 (512-bit", 2 * 3.5 * 2 * 16 * 2, "measured"},
		// Cascade Lake: no 'cpu MHz', so the model name's base clock; 4 CPUs, 2 threads a core.
		{"cpuinfo-cascadelake", 4, 0, 2, 16, "Cascade Lake", 2 * 2.5 * 2 * 16 * 2, "model name"},
	} {
		p, err := Derive(fixture(t, tc.fixture), tc.cpus, tc.ghz, "measured")
		if err != nil {
			t.Fatalf("%s: %v", tc.fixture, err)
		}
		if p.Cores != tc.cores || p.Lanes != tc.lanes || p.Core.Units != 2 || !strings.Contains(p.Core.Name, tc.core) || p.Core.Assumed {
			t.Errorf("%s: cores %d lanes %d core %+v, want %d, %d, 2 units of %q", tc.fixture, p.Cores, p.Lanes, p.Core, tc.cores, tc.lanes, tc.core)
		}
		if !near(p.GFLOPS(), tc.want) {
			t.Errorf("%s: peak %.3f GFLOP/s, want %.3f", tc.fixture, p.GFLOPS(), tc.want)
		}
		if !strings.Contains(p.ClockSource, tc.clockContains) || !strings.Contains(p.String(), "GFLOP/s") {
			t.Errorf("%s: %s", tc.fixture, p)
		}
	}
}

// Zen 4 runs AVX-512 on 256-bit units: its peak is that of 8 lanes, not 16, though the flags
// offer AVX-512.
func TestZen4AVX512IsDoublePumped(t *testing.T) {
	c := fixture(t, "cpuinfo-zen5-avx512")
	c.Family, c.Model = 25, 0x11
	p, err := Derive(c, 2, 3, "measured")
	if err != nil {
		t.Fatal(err)
	}
	if p.ISALanes != 16 || p.Lanes != 8 || !near(p.GFLOPS(), 2*3*2*8*2) {
		t.Errorf("Zen 4: ISA lanes %d, lanes %d, %.1f GFLOP/s; want 16, 8, 192", p.ISALanes, p.Lanes, p.GFLOPS())
	}
}

// A hypervisor that hides AVX-512 from a Zen 5 guest leaves it 8 lanes; an unknown processor gets
// the documented default, marked assumed.
func TestFlagsBoundTheWidth(t *testing.T) {
	c := fixture(t, "cpuinfo-zen5-avx512")
	delete(c.Flags, "avx512f")
	p, _ := Derive(c, 2, 3, "measured")
	if p.Lanes != 8 || p.ISA != "avx2+fma" {
		t.Errorf("AVX-512 hidden: lanes %d (%s), want 8 (avx2+fma)", p.Lanes, p.ISA)
	}
	c.Vendor = "HygonGenuine"
	p, _ = Derive(c, 2, 3, "measured")
	if !p.Core.Assumed || p.Core.Units != 2 || p.Lanes != 8 || !strings.Contains(p.String(), "assumed") {
		t.Errorf("unknown vendor: %+v", p.Core)
	}
}

func TestNoClockIsAnError(t *testing.T) {
	c := fixture(t, "cpuinfo-cascadelake")
	c.ModelName = "Intel(R) Xeon(R) Processor"
	if _, err := Derive(c, 2, 0, ""); err == nil || !strings.Contains(err.Error(), "no clock") {
		t.Errorf("err = %v, want no clock", err)
	}
	if _, err := ParseCPUInfo("not cpuinfo"); err == nil {
		t.Error("ParseCPUInfo accepted text without a processor line")
	}
}

func TestMeasuredClockIsPlausible(t *testing.T) {
	ghz, source := MeasureGHz()
	if source == "" {
		t.Skip("no cycle loop on this architecture: cpuinfo's clock is used, as the tests above check")
	}
	if ghz < 0.2 || ghz > 8 {
		t.Errorf("measured %.2f GHz (%s)", ghz, source)
	}
}
