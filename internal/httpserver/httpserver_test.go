package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/logging"
)

func TestPanicBecomesBare500(t *testing.T) {
	var logs bytes.Buffer
	h := Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail")
	}), logging.New(&logs, 0), "proj")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	var sawTrace bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line not JSON: %s", line)
		}
		if entry["severity"] == nil || entry["message"] == nil {
			t.Fatalf("log line lacks severity/message: %s", line)
		}
		if entry["logging.googleapis.com/trace"] == "projects/proj/traces/105445aa7843bc8bf206b12000100000" {
			sawTrace = true
		}
	}
	if !sawTrace {
		t.Fatalf("no trace field in logs:\n%s", logs.String())
	}
}

// TestRequestLogLevels: the platform logs every request; the middleware
// logs server errors, and everything at debug level (a refused request is
// logged once, by the handler that refused it).
func TestRequestLogLevels(t *testing.T) {
	for _, c := range []struct {
		status   int
		level    slog.Level
		severity string // "" when no request line is expected
	}{
		{http.StatusOK, slog.LevelInfo, ""},
		{http.StatusOK, slog.LevelDebug, "DEBUG"},
		{http.StatusUnauthorized, slog.LevelInfo, ""},
		{http.StatusUnauthorized, slog.LevelDebug, "DEBUG"},
		{http.StatusBadGateway, slog.LevelInfo, "ERROR"},
		{http.StatusBadGateway, slog.LevelError, "ERROR"},
	} {
		var logs bytes.Buffer
		h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(c.status)
		}), logging.New(&logs, c.level), "")
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/chat/events", nil))
		var entry struct {
			Severity    string
			Message     string
			HTTPRequest struct {
				Status     int
				RequestURL string
			}
		}
		if c.severity == "" {
			if logs.Len() != 0 {
				t.Errorf("status %d at %v: want no line, got %s", c.status, c.level, logs.String())
			}
			continue
		}
		if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
			t.Fatalf("status %d: %v: %s", c.status, err, logs.String())
		}
		if entry.Severity != c.severity || entry.Message != "request" || entry.HTTPRequest.Status != c.status || entry.HTTPRequest.RequestURL != "/chat/events" {
			t.Errorf("status %d at %v: got %+v", c.status, c.level, entry)
		}
	}
}

func TestBodyCap(t *testing.T) {
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	}), logging.Discard(), "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, MaxBodyBytes+1))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", rec.Code)
	}
}

// TestGracefulStop: a request in flight when the stop comes still completes.
func TestGracefulStop(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte("done"))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-entered
	cancel()
	// Wait (bounded) until the listener is closed, so the stop is under way
	// while the request is still in flight.
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener never closed")
		}
		runtime.Gosched()
	}
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String()); err == nil {
		t.Fatal("server still accepts after stop")
	}
}
