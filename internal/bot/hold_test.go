package bot

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

// TestRejectedAtOnceWhateverTheBodyDeclares: a request with a bad token that
// declares a body it never sends is answered 401 at once, and the
// connection closed, not held until the read timeout.
func TestRejectedAtOnceWhateverTheBodyDeclares(t *testing.T) {
	h := startBot(t, nil)
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("POST /chat/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n"))
	// Bounded wait for the answer; the server's read timeout is 15 s.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body is pending: %v", err)
	}
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("status %d, connection close %v", resp.StatusCode, resp.Close)
	}
	// And the connection is closed, not held for the body.
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection still open after the answer: read %d, %v", n, err)
	}
}

// TestRejectionFloodIsSampled: each rejected request makes at most one log
// line, and a flood of them a bounded number, the next line telling how
// many were dropped.
func TestRejectionFloodIsSampled(t *testing.T) {
	logs := &syncBuffer{}
	h := startBotWith(t, nil, Deps{Logger: logging.New(logs, slog.LevelInfo)})
	for range 2000 {
		if code, _ := h.post("Bearer not-a-token", []byte(helpEvent)); code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	}
	lines := strings.Count(logs.String(), "\n")
	if lines > 25 {
		t.Fatalf("%d log lines for 2000 rejected requests: %s", lines, logs.String()[:1500])
	}
	h.clock.Advance(time.Minute)
	h.post("Bearer not-a-token", []byte(helpEvent))
	out := logs.String()
	if !strings.Contains(out, `"similar_lines_dropped_before":`) {
		t.Fatalf("the line after the flood does not count what was dropped:\n%s", out[len(out)-400:])
	}
}

// TestLostKeysetAsksForConsentAgain: grants no key of the keyset can open
// (the keyset was replaced) ask the user for consent again, with one error
// logged, instead of failing every /invite until /logout.
func TestLostKeysetAsksForConsentAgain(t *testing.T) {
	logs := &syncBuffer{}
	h := startBotWith(t, nil, Deps{Logger: logging.New(logs, slog.LevelInfo), BackoffBase: time.Millisecond})
	h.grant(alice)
	if err := os.Remove(filepath.Join(h.cfg.DataDir, GeneratedKeysetName)); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = h.restart().Handler() // a new keyset is generated
	r := h.invite(alice, "AAA", " dave@example.com")
	if r.configURL() == "" {
		t.Fatalf("want the consent prompt: %s", r.raw)
	}
	if n := strings.Count(logs.String(), "cannot be decrypted"); n != 1 {
		t.Fatalf("%d error lines about the grant, want 1:\n%s", n, logs.String())
	}
	if r := h.invite(alice, "AAA", " dave@example.com"); r.configURL() == "" {
		t.Fatalf("second try: %s", r.raw)
	}
	if n := strings.Count(logs.String(), "cannot be decrypted"); n != 1 {
		t.Fatalf("the unreadable grant was logged again: %d", n)
	}
}

// TestNullMembershipIsAFailureNotACrash: a 200 whose body is null makes the
// client return no membership; that target fails, the others go on.
func TestNullMembershipIsAFailureNotACrash(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.InjectFault("users/dave@example.com", emulator.Fault{NullBody: true, Times: 1})
	r := h.invite(alice, "AAA", " dave@example.com carol@example.com")
	if got := r.subtitle(t); got != "1 invited · 1 failed" {
		t.Fatalf("%q\n%s", got, r.raw)
	}
}
