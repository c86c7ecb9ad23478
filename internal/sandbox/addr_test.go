package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

// freePorts is a loopback port nothing listens on, with the next one free too.
func freePorts(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port == 65535 {
			continue
		}
		next, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
		if err != nil {
			continue
		}
		next.Close()
		return port
	}
	t.Fatal("no two free ports in a row")
	return 0
}

// TestSandboxAddresses: loopback by default; another address only with
// Public; the emulated Google on the next port unless told; an address on
// every interface is shown to the browser as 127.0.0.1 (what a forwarded
// port reaches); a taken port names the flag that picks another.
func TestSandboxAddresses(t *testing.T) {
	if _, err := Start(context.Background(), "0.0.0.0:0", logging.Discard(), Options{}); !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), "-public") {
		t.Fatalf("every interface without -public: %v", err)
	}

	port := freePorts(t)
	s, err := Start(context.Background(), "0.0.0.0:"+strconv.Itoa(port), logging.Discard(), Options{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:" + strconv.Itoa(port); s.URL != want {
		t.Errorf("URL %s, want %s", s.URL, want)
	}
	if want := "http://127.0.0.1:" + strconv.Itoa(port+1); s.Emulator.URL() != want {
		t.Errorf("the emulated Google at %s, want %s (the next port)", s.Emulator.URL(), want)
	}
	if got := s.ln.Addr().(*net.TCPAddr).IP; !got.IsUnspecified() {
		t.Errorf("listens on %s, not every interface", got)
	}
	if s.Bot == nil || s.chat.cfg.BaseURL.String() != s.URL {
		t.Errorf("the bot's base URL is not the page's")
	}

	// The same port again: taken.
	_, err = Start(context.Background(), "127.0.0.1:"+strconv.Itoa(port), logging.Discard(), Options{})
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "-addr") {
		t.Errorf("a taken port: %v", err)
	}
	// The page's port free, the emulator's taken.
	s.Close()
	hold, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1))
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	_, err = Start(context.Background(), "127.0.0.1:"+strconv.Itoa(port), logging.Discard(), Options{})
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "-google-addr") {
		t.Errorf("the emulator's port taken: %v", err)
	}
	// -google-addr puts it elsewhere.
	s, err = Start(context.Background(), "127.0.0.1:"+strconv.Itoa(port), logging.Discard(), Options{GoogleAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("with GoogleAddr: %v", err)
	}
	defer s.Close()
	if strings.HasSuffix(s.Emulator.URL(), ":"+strconv.Itoa(port+1)) {
		t.Errorf("the emulated Google at %s, not where GoogleAddr said", s.Emulator.URL())
	}
}

// TestPublicSandboxMain: "sandbox -addr 0.0.0.0:PORT -public" serves the
// page, prints the address a browser reaches it by, and warns that it is
// reachable beyond loopback.
func TestPublicSandboxMain(t *testing.T) {
	port := freePorts(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"-addr", "0.0.0.0:" + strconv.Itoa(port), "-public"}, &stdout, &stderr)
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "open "+url) {
		select {
		case err := <-done:
			t.Fatalf("sandbox ended: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if w := stderr.String(); !strings.Contains(w, "warning") || !strings.Contains(w, "no sign-in") {
		t.Errorf("no warning for -public: %q", w)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Main: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestQuietWithoutV: without -v the terminal stays quiet through a whole
// copy in the background; with -v its audit lines go to the sandbox's log
// (not to a logger of their own).
func TestQuietWithoutV(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var log lockedBuffer
		ctx, cancel := context.WithCancel(context.Background())
		s, err := Start(ctx, "127.0.0.1:0", newLogger(&log, verbose), Options{QuotaWindow: time.Second, MembershipWrites: 200})
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx) }()
		s.chat.send("1001", "partners", "/invite members of spaces/alumni", nil)
		consentAndRun(t, s, "partners", "1001", "ana@example.com")
		clickOnCard(t, s, "partners", "1001", "Start")
		deadline := time.Now().Add(60 * time.Second)
		for memberState(s, "partners", "3149") != emulator.StateJoined {
			if time.Now().After(deadline) {
				t.Fatal("the copy did not finish")
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.chat.send("1001", "partners", "/help", nil)
		cancel()
		<-served
		s.Close()
		out := log.String()
		switch {
		case !verbose && out != "":
			t.Errorf("without -v the sandbox printed:\n%s", out)
		case verbose && !strings.Contains(out, `"message":"invite attempt"`):
			t.Errorf("with -v the background work's audit lines are not in the log:\n%.2000s", out)
		}
	}
}
