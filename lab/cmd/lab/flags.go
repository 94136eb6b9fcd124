package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-translab/translab/lab/atomicfile"
)

// A rule is one check of a verb's command line. parse applies them right after reading the flags,
// before any model is loaded or any file written, so that a typo costs nothing and leaves nothing.
type rule struct {
	kind  ruleKind
	flags []string // the flags it covers
	check func(fs *flag.FlagSet) error
}

type ruleKind int

// The kinds run in this order: a missing flag is reported first (with the usage), then a value out
// of range, then a path that cannot be read or written.
const (
	requiredRule ruleKind = iota
	numberRule
	pathRule
)

// badFlag is a value the command line should not have had: reported in one line naming the flag,
// exit status 2 like every other usage error.
type badFlag struct{ msg string }

func (e *badFlag) Error() string { return e.msg }

// required: flags without a default that the verb cannot run without.
func required(names ...string) rule {
	return rule{kind: requiredRule, flags: names, check: func(fs *flag.FlagSet) error {
		var missing []string
		for _, name := range names {
			if f := fs.Lookup(name); f != nil && f.Value.String() == "" {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(fs.Output(), "missing %s\n", strings.Join(missing, ", "))
			fs.Usage()
			return errUsage
		}
		return nil
	}}
}

// number checks a numeric flag against a range; want says the range in words, and what a special
// value such as 0 means when it has one.
func number(name, want string, ok func(float64) bool) rule {
	return rule{kind: numberRule, flags: []string{name}, check: func(fs *flag.FlagSet) error {
		f := fs.Lookup(name)
		v, isNum := numericValue(f)
		if !isNum {
			return fmt.Errorf("lab: internal: --%s is not a numeric flag", name)
		}
		// NaN and ±Inf parse as floats but are never a sane setting.
		if math.IsNaN(v) || math.IsInf(v, 0) || !ok(v) {
			return &badFlag{fmt.Sprintf("--%s %s: want %s", name, f.Value.String(), want)}
		}
		return nil
	}}
}

func atLeast(name string, min float64, note string) rule {
	return number(name, withNote(fmt.Sprintf("≥ %s", fmtNum(min)), note), func(v float64) bool { return v >= min })
}

func positive(name string) rule {
	return number(name, "> 0", func(v float64) bool { return v > 0 })
}

func between(name string, lo, hi float64) rule {
	return number(name, fmt.Sprintf("between %s and %s", fmtNum(lo), fmtNum(hi)), func(v float64) bool { return v >= lo && v <= hi })
}

// anyNumber covers a flag every value of which is fine (a seed), so that the coverage check knows
// it was considered.
func anyNumber(name string) rule {
	return number(name, "", func(float64) bool { return true })
}

func withNote(want, note string) string {
	if note == "" {
		return want
	}
	return want + " (" + note + ")"
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// numericValue reads a flag of the flag package's numeric types.
func numericValue(f *flag.Flag) (float64, bool) {
	if f == nil {
		return 0, false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return 0, false
	}
	switch v := g.Get().(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// outFile: a file the verb will write must be writable where it is named — its directory exists and
// takes files — checked before the work that produces it.
func outFile(name string) rule {
	return rule{kind: pathRule, flags: []string{name}, check: func(fs *flag.FlagSet) error {
		p := fs.Lookup(name).Value.String()
		if p == "" {
			return nil
		}
		if err := atomicfile.Check(p); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		return nil
	}}
}

// outDir: a folder the verb will write into, created (with its parents) when missing. It must not
// be a file, and the nearest folder that exists must take new entries.
func outDir(name string) rule {
	return rule{kind: pathRule, flags: []string{name}, check: func(fs *flag.FlagSet) error {
		p := fs.Lookup(name).Value.String()
		if p == "" {
			return nil
		}
		if err := checkOutDir(p); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		return nil
	}}
}

func checkOutDir(dir string) error {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		// ENOTDIR: a file stands where a folder of the path would be; the walk up finds it.
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			if parent := filepath.Dir(p); parent != p {
				continue
			}
		}
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", dir, err)
		case !st.IsDir():
			return fmt.Errorf("%s: %s is a file, not a folder", dir, p)
		}
		probe, err := os.MkdirTemp(p, ".lab-probe-*")
		if err != nil {
			return fmt.Errorf("%s: cannot create folders in %s", dir, p)
		}
		os.Remove(probe)
		return nil
	}
}

// inFile: an input that must exist and be a readable file, checked before any model loads.
func inFile(name string) rule {
	return rule{kind: pathRule, flags: []string{name}, check: func(fs *flag.FlagSet) error {
		p := fs.Lookup(name).Value.String()
		if p == "" {
			return nil
		}
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("--%s: %s: no such file", name, p)
		case err != nil:
			return fmt.Errorf("--%s: %w", name, err)
		case st.IsDir():
			return fmt.Errorf("--%s: %s is a folder; want a file", name, p)
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("--%s: %s: cannot be read", name, p)
		}
		f.Close()
		return nil
	}}
}

// oneOf: a flag that takes one of a few words.
func oneOf(name string, words ...string) rule {
	return rule{kind: numberRule, flags: []string{name}, check: func(fs *flag.FlagSet) error {
		v := fs.Lookup(name).Value.String()
		for _, w := range words {
			if v == w {
				return nil
			}
		}
		return &badFlag{fmt.Sprintf("--%s %q: want %s", name, v, orList(words))}
	}}
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// parse reads a verb's flags and applies its rules. It refuses stray arguments, and — a check on
// the lab itself, which the tests' --help of every verb runs — a numeric flag that no rule covers.
func parse(fs *flag.FlagSet, args []string, rules ...rule) error {
	covered := map[string]bool{}
	for _, r := range rules {
		if r.kind == numberRule {
			for _, f := range r.flags {
				covered[f] = true
			}
		}
	}
	var uncovered []string
	fs.VisitAll(func(f *flag.Flag) {
		if _, isNum := numericValue(f); isNum && !covered[f.Name] {
			uncovered = append(uncovered, "--"+f.Name)
		}
	})
	if len(uncovered) > 0 {
		return fmt.Errorf("lab: internal: no range check for %s", strings.Join(uncovered, ", "))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	for _, kind := range []ruleKind{requiredRule, numberRule, pathRule} {
		for _, r := range rules {
			if r.kind != kind {
				continue
			}
			if err := r.check(fs); err != nil {
				return err
			}
		}
	}
	return nil
}
