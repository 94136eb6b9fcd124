// Command lab runs the Transformers lab headless: every exercise, plus the tools behind them
// (tokenize, embed, fetch, bench). Each verb has --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
)

type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// verbs and summaries are apart because each verb's --help reads its summary.
var verbs = map[string]runFunc{
	"tokenize":     runTokenize,
	"embed":        runEmbed,
	"fetch":        runFetch,
	"fetch-plugin": runFetchPlugin,
	"bench":        runBench,
	"ex1":          runEx1,
	"svm":          runSVM,
	"ex2":          runEx2,
	"ex3":          runEx3,
	"clip-embed":   runCLIPEmbed,
	"classify":     runClassify,
}

var summaries = map[string]string{
	"tokenize":     "text file → token ids, one JSON line per input line",
	"embed":        "text file → DistilBERT or BERT features in a .npy file",
	"fetch":        "download models or datasets into the hub cache, for working offline",
	"fetch-plugin": "install XLA's CPU PJRT plugin (PyPI's xla-cpu-pjrt, pinned), the fast CPU backend",
	"bench":        "measure the lab's workloads on this machine",
	"ex1":          "Exercise 1: Rotten Tomatoes, [CLS] features of DistilBERT (or --model) + Linear SVM",
	"svm":          "fit a Linear SVM (scikit-learn's LinearSVC) on .npy features and predict",
	"ex2":          "Exercise 2: fine-tune DistilBERT (or --model) on Rotten Tomatoes with a Trainer (all weights, or LoRA), export the best model",
	"ex3":          "Exercise 3: CLIP zero-shot classification (ImageNette, Tiny ImageNet, EuroSAT), then few-shot adaptation (ex3 adapt)",
	"clip-embed":   "texts or images → CLIP embeddings (L2-normalised) in a .npy file",
	"classify":     "label sentences with a fine-tuned classifier (ex2's export, or a base model and a LoRA adapter)",
	// Exercise 3's parts, which have flags of their own.
	"ex3 zero-shot": "Exercise 3, part 1: CLIP zero-shot classification of ImageNette, Tiny ImageNet and EuroSAT (or a dataset of your own)",
	"ex3 adapt":     "Exercise 3, part 2: few-shot adaptation of CLIP — linear probe, head, LayerNorm, BitFit, LoRA, full on the vision/text/both towers, prompt learning, WiSE-FT — against zero-shot",
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lab VERB [flags]   (lab VERB --help for its flags)")
	fmt.Fprintln(w, "\nverbs:")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, summaries[n])
	}
	fmt.Fprintln(w, "\nenvironment: HF_HOME / HF_HUB_CACHE (cache), HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE=1,")
	fmt.Fprintln(w, "GOMLX_BACKEND (e.g. go:parallelism=-1, xla:cuda, xla:/abs/path/plugin.so)")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lab: unknown verb %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runVerb(ctx, v, args, stdout, stderr)
}

// runVerb runs a verb and turns its error into a message and an exit status: 2 for a bad command
// line, 130 (a shell's 128 + SIGINT) for a run Ctrl-C stopped, 1 for any other failure.
func runVerb(ctx context.Context, v runFunc, args []string, stdout, stderr io.Writer) int {
	err := v(ctx, args[1:], stdout, stderr)
	name := args[0]
	if _, ok := ex3Parts[argAt(args, 1)]; ok && name == "ex3" {
		name += " " + args[1] // its messages name the part, whose flags they are
	}
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		// Whatever layer noticed the cancellation, "context canceled" is not what the student did.
		msg := "interrupted"
		if in := new(interrupted); errors.As(err, &in) && in.resume != "" {
			msg += "; " + in.resume
		}
		fmt.Fprintf(stderr, "lab %s: %s\n", name, msg)
		return 130
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, new(*badFlag)):
		fmt.Fprintf(stderr, "lab %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "lab %s: %v\n", name, err)
		return 1
	}
}

func argAt(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// interrupted is a run Ctrl-C stopped; resume, when set, says how to continue it.
type interrupted struct {
	err    error
	resume string
}

func (e *interrupted) Error() string { return e.err.Error() }
func (e *interrupted) Unwrap() error { return e.err }

// errUsage marks a command line the flag package already complained about.
var errUsage = errors.New("usage")

// newFlags makes a verb's flag set, whose --help prints the synopsis and the flags.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lab "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: lab %s %s\n\n%s\n\nflags:\n", name, synopsis, summaries[name])
		fs.PrintDefaults()
	}
	return fs
}
