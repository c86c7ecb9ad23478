package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func buildBot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bot")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBot(t)

	t.Run("help lists every setting", func(t *testing.T) {
		out, err := exec.Command(bin, "-h").CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, name := range []string{"PORT", "BOT_BASE_URL", "CHAT_AUDIENCE", "CHAT_ADDON_SIGNER", "GOOGLE_EMULATOR_URL", "COMMAND_IDS", "LOG_LEVEL",
			"GOOGLE_OAUTH_CLIENT_ID", "GOOGLE_OAUTH_CLIENT_SECRET", "DATABASE_URL", "BOT_DATA_DIR", "TOKEN_KEYSET_FILE", "TOKEN_KEYSET_KMS_KEY"} {
			if !bytes.Contains(out, []byte(name)) {
				t.Errorf("-h lacks %s", name)
			}
		}
	})

	t.Run("unknown arguments are refused", func(t *testing.T) {
		for _, args := range [][]string{{"dance"}, {"serve", "now"}, {"keyset"}, {"keyset", "rotate", "-file"}, {"keyset", "spin"}} {
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err == nil || !bytes.Contains(out, []byte("Usage")) {
				t.Errorf("%q: err %v, output %s", args, err, out)
			}
		}
		if out, err := exec.Command(bin, "keyset", "-h").CombinedOutput(); err != nil || !bytes.Contains(out, []byte("-file PATH")) {
			t.Errorf("keyset -h: %v %s", err, out)
		}
	})

	t.Run("misconfigured refuses to start", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = []string{"PORT=x", "BOT_BASE_URL=http://example.com"}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("started misconfigured: %s", out)
		}
		if !strings.Contains(string(out), "PORT") || !strings.Contains(string(out), "BOT_BASE_URL") {
			t.Fatalf("does not report both problems: %s", out)
		}
	})

	t.Run("SIGTERM stops it", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "PORT="+itoa(port), "BOT_BASE_URL=http://127.0.0.1:"+itoa(port), "BOT_DATA_DIR="+t.TempDir(),
			"GOOGLE_OAUTH_CLIENT_ID=x", "GOOGLE_OAUTH_CLIENT_SECRET=y", "DATABASE_URL=", "TOKEN_KEYSET_FILE=")
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, "http://127.0.0.1:"+itoa(port)+"/healthz")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit: %v\n%s", err, logs.String())
			}
		case <-time.After(8 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("still running 8 s after SIGTERM\n%s", logs.String())
		}
	})
}

// TestNoFakeGoogleInTheBinary: the emulator and the sandbox are for tests
// and local trials; the production binary does not carry them.
func TestNoFakeGoogleInTheBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range []string{"internal/emulator", "internal/sandbox", "internal/loadtest"} {
		if strings.Contains(string(out), "/"+pkg+"\n") {
			t.Errorf("cmd/bot links %s", pkg)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// waitHealthy polls url until it answers 200, for at most 10 s.
func waitHealthy(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}
