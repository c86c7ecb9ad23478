package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCommandLine: -h explains every flag and exits 0; unknown arguments
// are refused.
func TestCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "sandbox")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("-h: %v\n%s", err, out)
	}
	for _, flag := range []string{"-addr", "-public", "-google-addr", "-addon", "-v"} {
		if !bytes.Contains(out, []byte(flag)) {
			t.Errorf("-h lacks %s:\n%s", flag, out)
		}
	}
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err == nil {
			t.Errorf("%q accepted: %s", args, out)
		}
	}
}
