// Command linecount counts the lines of Go in the bot's production binary
// at any commit, the way BENCHMARKS.md quotes them: the non-test .go files
// of cmd/bot and of every package of this module it links (go list -deps),
// lines counted as wc -l counts them; then the event path and the
// emulator, sandbox and load harness. Run it from the repository:
//
//	go run ./cmd/linecount              # the working tree
//	go run ./cmd/linecount -rev a17c177 # any commit (extracted with git archive)
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// eventPath are the packages an event goes through, by their last element
// (membership and quota left commands after 5e2efe3; counted here so that
// counts of every commit compare).
var eventPath = []string{"events", "commands", "membership", "quota", "storage", "logging", "httpserver", "chatjson"}

// harness are the emulator, the sandbox and the load harness.
var harness = []string{"internal/emulator", "internal/sandbox", "internal/loadtest", "cmd/sandbox", "cmd/loadtest"}

func main() {
	rev := flag.String("rev", "", "commit to count (default: the working tree)")
	flag.Parse()
	if err := run(*rev, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "linecount:", err)
		os.Exit(1)
	}
}

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Module     *struct{ Main bool }
}

func run(rev string, w io.Writer) error {
	gomod, err := output(".", "go", "env", "GOMOD")
	if err != nil {
		return err
	}
	dir, label := filepath.Dir(strings.TrimSpace(gomod)), "the working tree"
	if rev != "" {
		short, err := output(".", "git", "rev-parse", "--short", rev+"^{commit}")
		if err != nil {
			return err
		}
		tmp, err := os.MkdirTemp("", "linecount-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := extract(rev, tmp); err != nil {
			return err
		}
		dir, label = tmp, "commit "+strings.TrimSpace(short)
	}
	bin, err := list(dir, "-deps", "./cmd/bot")
	if err != nil {
		return err
	}
	all, err := list(dir, "./...")
	if err != nil {
		return err
	}
	total, event := 0, 0
	var lines []string
	for _, p := range bin {
		n, err := count(p)
		if err != nil {
			return err
		}
		total += n
		if slices.Contains(eventPath, filepath.Base(p.ImportPath)) && strings.Contains(p.ImportPath, "/internal/") {
			event += n
		}
		lines = append(lines, fmt.Sprintf("  %6d  %s", n, p.ImportPath))
	}
	other := 0
	for _, p := range all {
		for _, h := range harness {
			if strings.HasSuffix(p.ImportPath, "/"+h) {
				n, err := count(p)
				if err != nil {
					return err
				}
				other += n
			}
		}
	}
	fmt.Fprintf(w, "Lines of Go at %s (non-test .go files, as wc -l counts them)\n", label)
	fmt.Fprintf(w, "production binary (cmd/bot and the packages of this module it links): %d\n", total)
	fmt.Fprintf(w, "  of which the event path (internal/%s): %d\n", strings.Join(eventPath, ", "), event)
	fmt.Fprintf(w, "emulator, sandbox and load harness (%s): %d\n", strings.Join(harness, ", "), other)
	fmt.Fprintln(w, "production binary, by package:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}

// list runs go list -json in dir and keeps this module's packages.
func list(dir string, args ...string) ([]pkg, error) {
	out, err := output(dir, "go", append([]string{"list", "-e", "-json=ImportPath,Dir,GoFiles,Module"}, args...)...)
	if err != nil {
		return nil, err
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		if p.Module != nil && p.Module.Main {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

func count(p pkg) (int, error) {
	n := 0
	for _, f := range p.GoFiles {
		b, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", f, err)
		}
		n += bytes.Count(b, []byte("\n"))
	}
	return n, nil
}

// extract writes the tree of rev into dir.
func extract(rev, dir string) error {
	cmd := exec.Command("git", "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	tr := tar.NewReader(out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read git archive: %w", err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("git archive: unexpected path %q", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extract %s: %w", h.Name, err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", rev, err, stderr.String())
	}
	return nil
}

func output(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
