//go:build !unix

package weights

import (
	"io"
	"os"
)

// mapFile falls back to reading the file where mmap is not available, so the
// package still builds and works (with more memory) on such systems.
func mapFile(fh *os.File, size int) ([]byte, func([]byte) error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(fh, data); err != nil {
		return nil, nil, err
	}
	return data, func([]byte) error { return nil }, nil
}
