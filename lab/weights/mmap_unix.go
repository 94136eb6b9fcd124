//go:build unix

package weights

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of fh read-only. MAP_SHARED on a read-only
// descriptor costs no memory of our own: pages come from the page cache.
func mapFile(fh *os.File, size int) ([]byte, func([]byte) error, error) {
	data, err := unix.Mmap(int(fh.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, unix.Munmap, nil
}
