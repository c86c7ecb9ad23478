package config

import (
	"os"
	"path/filepath"
	"syscall"
)

// isMountPoint reports whether dir is the root of a mounted file system
// (its device differs from its parent's): a volume, not the instance's own
// throw-away disk.
func isMountPoint(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	here, err1 := os.Stat(abs)
	parent, err2 := os.Stat(filepath.Dir(abs))
	if err1 != nil || err2 != nil || !here.IsDir() {
		return false
	}
	a, ok1 := here.Sys().(*syscall.Stat_t)
	b, ok2 := parent.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && (a.Dev != b.Dev || a.Ino == b.Ino)
}
