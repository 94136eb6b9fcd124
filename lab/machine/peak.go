// Package machine says what the CPU the lab runs on can do at most: its float32 peak, derived from
// the cores the process may use, the vector width, the FMA units per core and the clock, so that a
// benchmark can say how far a workload is from the hardware's limit.
package machine

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// CPU is what /proc/cpuinfo says about the first processor.
type CPU struct {
	Vendor, ModelName string
	Family, Model     int
	// MHz is the largest "cpu MHz" listed; under a hypervisor it is often the nominal (TSC) rate,
	// not the clock the core runs at.
	MHz float64
	// Siblings and Cores are a package's logical processors and its cores: more siblings than
	// cores means SMT, two threads sharing one core's FMA units.
	Siblings, Cores int
	Flags           map[string]bool
}

// ParseCPUInfo reads the text of /proc/cpuinfo (x86 layout; other layouts give a CPU with what
// they share, usually only the flags' absence).
func ParseCPUInfo(text string) (CPU, error) {
	c := CPU{Flags: map[string]bool{}}
	seen := false
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		atoi := func() int { n, _ := strconv.Atoi(v); return n }
		switch k {
		case "processor":
			seen = true
		case "vendor_id":
			c.Vendor = v
		case "model name": // the first processor's fields describe the package; the clock is read from all
			if c.ModelName == "" {
				c.ModelName = v
			}
		case "cpu family":
			c.Family = atoi()
		case "model":
			c.Model = atoi()
		case "cpu MHz":
			if mhz, err := strconv.ParseFloat(v, 64); err == nil && mhz > c.MHz {
				c.MHz = mhz
			}
		case "siblings":
			c.Siblings = atoi()
		case "cpu cores":
			c.Cores = atoi()
		case "flags":
			if len(c.Flags) == 0 {
				for _, f := range strings.Fields(v) {
					c.Flags[f] = true
				}
			}
		}
	}
	if !seen {
		return c, fmt.Errorf("cpuinfo: no \"processor\" line")
	}
	return c, nil
}

// Lanes is the widest float32 vector the flags offer with FMA: 16 with AVX-512F, 8 with AVX2 and
// FMA, else 4 (SSE or NEON, FMA or not).
func (c CPU) Lanes() (int, string) {
	switch {
	case c.Flags["avx512f"]:
		return 16, "avx512f"
	case c.Flags["avx2"] && c.Flags["fma"]:
		return 8, "avx2+fma"
	}
	return 4, "128-bit vectors"
}

// Core is one microarchitecture's float32 FMA resources per core.
type Core struct {
	Name string
	// Units is the FMA units (pipes) per core and UnitLanes the float32 lanes each one computes a
	// cycle: Zen 4 runs an AVX-512 FMA over two cycles on its 256-bit units, so it has 2 units of 8
	// lanes, not 2 of 16.
	Units, UnitLanes int
	// Assumed marks the documented default for a processor the table does not know.
	Assumed bool
}

// amdFamilies maps AMD's (family, model range) to the FMA datapath. Sources: AMD's software
// optimisation guides for Zen 2–5 (two FMA pipes per core in each); Zen 4 executes 512-bit
// operations on 256-bit units; Zen 5's desktop and server parts have 512-bit units, its mobile
// parts (Strix Point, Krackan Point) 256-bit ones.
var amdFamilies = []struct {
	family, lo, hi int
	core           Core
}{
	{0x17, 0x00, 0x2f, Core{Name: "Zen/Zen+", Units: 2, UnitLanes: 4}},
	{0x17, 0x30, 0xff, Core{Name: "Zen 2", Units: 2, UnitLanes: 8}},
	{0x19, 0x00, 0x0f, Core{Name: "Zen 3", Units: 2, UnitLanes: 8}},
	{0x19, 0x20, 0x5f, Core{Name: "Zen 3", Units: 2, UnitLanes: 8}},
	{0x19, 0x10, 0x1f, Core{Name: "Zen 4 (AVX-512 on 256-bit units)", Units: 2, UnitLanes: 8}},
	{0x19, 0x60, 0x7f, Core{Name: "Zen 4 (AVX-512 on 256-bit units)", Units: 2, UnitLanes: 8}},
	{0x19, 0xa0, 0xaf, Core{Name: "Zen 4 (AVX-512 on 256-bit units)", Units: 2, UnitLanes: 8}},
	{0x1a, 0x00, 0x1f, Core{Name: "Zen 5 (512-bit units)", Units: 2, UnitLanes: 16}},
	{0x1a, 0x40, 0x4f, Core{Name: "Zen 5 (512-bit units)", Units: 2, UnitLanes: 16}},
	{0x1a, 0x70, 0x7f, Core{Name: "Zen 5 (512-bit units)", Units: 2, UnitLanes: 16}},
	{0x1a, 0x20, 0x2f, Core{Name: "Zen 5 mobile (256-bit units)", Units: 2, UnitLanes: 8}},
	{0x1a, 0x60, 0x6f, Core{Name: "Zen 5 mobile (256-bit units)", Units: 2, UnitLanes: 8}},
}

// intelModels maps Intel family 6 models with AVX-512 to their FMA units: the Xeon Scalable
// server cores have two 512-bit units (some Bronze and Silver parts one: this overstates their
// peak); the client cores fuse ports 0 and 1 into one 512-bit unit.
var intelModels = map[int]Core{
	0x55: {Name: "Skylake-SP/Cascade Lake", Units: 2, UnitLanes: 16},
	0x6a: {Name: "Ice Lake-SP", Units: 2, UnitLanes: 16}, 0x6c: {Name: "Ice Lake-SP", Units: 2, UnitLanes: 16},
	0x8f: {Name: "Sapphire Rapids", Units: 2, UnitLanes: 16}, 0xcf: {Name: "Emerald Rapids", Units: 2, UnitLanes: 16},
	0xad: {Name: "Granite Rapids", Units: 2, UnitLanes: 16}, 0xae: {Name: "Granite Rapids", Units: 2, UnitLanes: 16},
	0x7d: {Name: "Ice Lake (client)", Units: 1, UnitLanes: 16}, 0x7e: {Name: "Ice Lake (client)", Units: 1, UnitLanes: 16},
	0x8c: {Name: "Tiger Lake", Units: 1, UnitLanes: 16}, 0x8d: {Name: "Tiger Lake", Units: 1, UnitLanes: 16},
	0xa7: {Name: "Rocket Lake", Units: 1, UnitLanes: 16},
}

// Microarch names the core and its FMA datapath. A processor the table does not know gets the
// documented default: two FMA units as wide as the widest vector its flags offer (every x86 core
// with AVX2 since Haswell and Zen 2 has two), marked Assumed.
func (c CPU) Microarch() Core {
	switch c.Vendor {
	case "AuthenticAMD":
		for _, f := range amdFamilies {
			if c.Family == f.family && c.Model >= f.lo && c.Model <= f.hi {
				return f.core
			}
		}
	case "GenuineIntel":
		if core, ok := intelModels[c.Model]; ok && c.Family == 6 {
			return core
		}
	}
	lanes, isa := c.Lanes()
	return Core{Name: "unknown core, assumed 2 FMA units of " + isa, Units: 2, UnitLanes: lanes, Assumed: true}
}

// Peak is a machine's float32 peak and how it was derived.
type Peak struct {
	CPU CPU
	// Cores are the physical cores the process may use: its CPUs divided by the threads per core.
	Cores, Threads int
	Core           Core
	// Lanes is min(the flags' widest vector, the core's unit width).
	Lanes, ISALanes int
	ISA             string
	GHz             float64
	ClockSource     string
}

// GFLOPS is cores × clock × FMA units × lanes × 2 (an FMA is a multiply and an add).
func (p Peak) GFLOPS() float64 {
	return float64(p.Cores) * p.GHz * float64(p.Core.Units) * float64(p.Lanes) * 2
}

func (p Peak) String() string {
	name := p.CPU.ModelName
	if name == "" {
		name = "unnamed CPU"
	}
	smt := ""
	if p.Threads > p.Cores {
		smt = fmt.Sprintf(" (%d CPUs, %d threads a core)", p.Threads, p.Threads/p.Cores)
	}
	return fmt.Sprintf("peak %d cores%s × %.2f GHz × %d FMA × %d lanes × 2 = %.0f GFLOP/s float32 (%s, family %d model %#x: %s, %s; clock %s)",
		p.Cores, smt, p.GHz, p.Core.Units, p.Lanes, p.GFLOPS(), name, p.CPU.Family, p.CPU.Model, p.Core.Name, p.ISA, p.ClockSource)
}

var atGHz = regexp.MustCompile(`@ *([0-9.]+) *GHz`)

// Derive computes the peak of cpu for a process allowed on cpus logical CPUs. ghz > 0 is a
// measured clock (clockSource says how); otherwise the clock is cpuinfo's "cpu MHz", else the
// base clock in the model name ("@ 2.60GHz").
func Derive(cpu CPU, cpus int, ghz float64, clockSource string) (Peak, error) {
	p := Peak{CPU: cpu, Threads: max(cpus, 1), Core: cpu.Microarch()}
	p.ISALanes, p.ISA = cpu.Lanes()
	p.Lanes = min(p.ISALanes, p.Core.UnitLanes)
	perCore := 1
	if cpu.Cores > 0 && cpu.Siblings > cpu.Cores {
		perCore = cpu.Siblings / cpu.Cores
	}
	p.Cores = max(p.Threads/perCore, 1)
	switch {
	case ghz > 0:
		p.GHz, p.ClockSource = ghz, clockSource
	case cpu.MHz > 0:
		p.GHz, p.ClockSource = cpu.MHz/1000, "from /proc/cpuinfo 'cpu MHz' (a VM's may be nominal, not the running clock)"
	default:
		m := atGHz.FindStringSubmatch(cpu.ModelName)
		if m == nil {
			return p, fmt.Errorf("no clock: /proc/cpuinfo has no 'cpu MHz' and the model name %q no '@ x.xxGHz'", cpu.ModelName)
		}
		p.GHz, _ = strconv.ParseFloat(m[1], 64)
		p.ClockSource = "the model name's base clock"
	}
	return p, nil
}

// Local is this machine's peak for this process: /proc/cpuinfo, the CPUs the process may use, and
// the clock measured on one core where that can be done (amd64), cpuinfo's otherwise.
func Local() (Peak, error) {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return Peak{}, fmt.Errorf("machine: %w", err)
	}
	cpu, err := ParseCPUInfo(string(raw))
	if err != nil {
		return Peak{}, fmt.Errorf("machine: /proc/cpuinfo: %w", err)
	}
	ghz, source := MeasureGHz()
	return Derive(cpu, runtime.NumCPU(), ghz, source)
}
