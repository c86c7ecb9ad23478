package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

// TestStopAnswersEveryRequestInFlight: on SIGTERM, with Google slow, an
// /invite in flight still gets its card: what was done, what was given up
// and what was not tried, and why; its audit lines and remembered reply are
// written; Serve returns without error (exit 0).
func TestStopAnswersEveryRequestInFlight(t *testing.T) {
	logs := &syncBuffer{}
	h := startBotWith(t, nil, Deps{Logger: logging.New(logs, slog.LevelInfo), BackoffBase: time.Millisecond, HaltAfter: 200 * time.Millisecond})
	h.grant(alice)
	var targets []string
	for i := range 10 {
		email := fmt.Sprintf("slow%d@example.com", i)
		h.emu.InjectFault("users/"+email, emulator.Fault{Latency: time.Minute, Times: 1})
		targets = append(targets, email)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, sigterm := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.bot.Serve(ctx, ln) }()

	msg := "spaces/AAA/messages/stop"
	body := chatEvent{User: alice, Space: "AAA", Args: " " + strings.Join(targets, " "), Message: msg}.JSON()
	type answer struct {
		code int
		body []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/chat/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.emu.ChatToken(h.cfg.ChatAudience))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, b, err}
	}()
	// Wait until 8 calls (the per-command concurrency) hang at Google.
	deadline := time.Now().Add(10 * time.Second)
	for h.emu.CallsWaiting() < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls in flight", h.emu.CallsWaiting())
		}
		time.Sleep(time.Millisecond)
	}
	sigterm()
	a := <-answered
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("no answer after SIGTERM: %d %v %s", a.code, a.err, a.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	var m chat.Message
	if err := json.Unmarshal(a.body, &m); err != nil || len(m.CardsV2) != 1 {
		t.Fatalf("answer: %s", a.body)
	}
	if got := m.CardsV2[0].Card.Header.Subtitle; got != "8 failed · 2 not tried" {
		t.Fatalf("subtitle %q\n%s", got, a.body)
	}
	out := string(a.body)
	if !strings.Contains(out, "the app restarted before Chat answered") || !strings.Contains(out, "the app is restarting: run /invite again") {
		t.Fatalf("the card does not say why: %s", a.body)
	}
	if n := strings.Count(logs.String(), `"message":"invite attempt"`); n != 10 {
		t.Fatalf("%d audit lines, want 10", n)
	}
	if _, found, err := h.bot.DB.GetReply(context.Background(), msg, h.clock.Now()); !found || err != nil {
		t.Fatalf("reply not remembered: %v %v", found, err)
	}
}
