//go:build linux

package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// reclaimTables asks the kernel to take back this process's pages of the
// store's table files (see Import for why). MADV_PAGEOUT is a hint that
// never changes what a page holds: a clean file page is dropped and read
// again from disk when next touched, a dirty one is written first. So a
// range that Badger unmapped (and that something else mapped) between the
// read of /proc/self/maps and the call is harmless too. Kernels before 5.4
// refuse the advice; then nothing is reclaimed and nothing fails.
func reclaimTables(dir string) {
	dir, err := absDir(dir)
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	prefix := []byte(dir + string(filepath.Separator))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// address perms offset dev inode path
		line := sc.Bytes()
		if !bytes.Contains(line, prefix) || !bytes.HasSuffix(line, []byte(".sst")) {
			continue
		}
		addr, _, _ := strings.Cut(string(line), " ")
		from, to, ok := strings.Cut(addr, "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
		if errno == syscall.EINVAL {
			return // an older kernel
		}
	}
}

// absDir is dir as /proc/self/maps names files in it.
func absDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(dir)
}
