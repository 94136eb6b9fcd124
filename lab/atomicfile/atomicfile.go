// Package atomicfile replaces files so that nothing the user has is lost to a crash or an error
// halfway: the new content goes to a temporary file beside the target, is synced, and only then
// renamed over it. A reader sees the old file or the new one, never a mix.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what write produces. On any error the previous file, if
// any, is untouched and no temporary file is left. A replaced file keeps its permissions; a new
// one is 0644. Errors of the file system name path, never the temporary file, which the user
// has never heard of.
func Write(path string, write func(w io.Writer) error) error {
	p, err := Prepare(path, write)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Pending is a file written in full beside its target but not yet in place: a command that writes
// several files prepares them all and commits them only when every one is complete, so that an
// error leaves none of them — and none of the user's files replaced.
type Pending struct {
	path, tmp string
}

// Prepare writes what write produces to a synced temporary file beside path. Commit puts it in
// place; Discard removes it.
func Prepare(path string, write func(w io.Writer) error) (_ *Pending, err error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory; want a file name", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		if cerr := Check(path); cerr != nil {
			return nil, cerr // it says which: no directory, not a directory, not writable
		}
		return nil, pathError(path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return nil, tmpError(path, tmp.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return nil, tmpError(path, tmp.Name(), err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	if err := tmp.Chmod(mode); err != nil {
		return nil, pathError(path, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, pathError(path, fmt.Errorf("syncing: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return nil, pathError(path, err)
	}
	return &Pending{path: path, tmp: tmp.Name()}, nil
}

// Commit renames the prepared file over its target.
func (p *Pending) Commit() error {
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return pathError(p.path, err)
	}
	// Persist the rename itself; best effort, as some filesystems refuse to sync a directory.
	if d, err := os.Open(filepath.Dir(p.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Discard removes the prepared file; after a Commit it does nothing.
func (p *Pending) Discard() { os.Remove(p.tmp) }

// WriteFile is Write for content already in memory.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// ReplaceDir creates or replaces the directory dir with what fill writes into a fresh directory
// beside it, renamed into place once fill succeeds: an existing dir (an earlier export) is replaced
// only by a complete one, and on any error it is left as it was and nothing else remains.
func ReplaceDir(dir string, fill func(tmp string) error) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp's 0700 would hide a shared export
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir) // put the previous one back
		return err
	}
	return os.RemoveAll(old)
}

// Check says whether Write(path) can succeed as far as the file system goes: path is not a
// directory, and its directory exists and takes new files. A command checks its outputs with it
// before any work, so that a typo in an output path costs nothing. It leaves nothing behind.
func Check(path string) error {
	if path == "" {
		return errors.New("an empty output path")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory; want a file name", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: the directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	case !st.IsDir():
		return fmt.Errorf("%s: %s is not a directory", path, dir)
	}
	// Creating the very kind of file Write creates is the only test that holds for root, ACLs and
	// read-only mounts alike; permission bits alone would not.
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: cannot create files in %s: %w", path, dir, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// pathError puts path in front of err, dropping the temporary name an *fs.PathError carries.
func pathError(path string, err error) error {
	return fmt.Errorf("%s: %w", path, unwrapPath(err))
}

// tmpError is what write's own error becomes: a failure writing the temporary file (a full disk)
// is named as path; any other error is write's to phrase and passes unchanged.
func tmpError(path, tmp string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == tmp {
		return pathError(path, err)
	}
	return err
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
