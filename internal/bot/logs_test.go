package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/logging"
)

// defaultRecorder stands in for slog's default handler (and so for the
// standard log package's output too): whatever reaches it escaped the
// bot's logger.
type defaultRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (d *defaultRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (d *defaultRecorder) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d *defaultRecorder) WithGroup(string) slog.Handler            { return d }
func (d *defaultRecorder) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lines = append(d.lines, line)
	return nil
}

func (d *defaultRecorder) recorded() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lines...)
}

// TestLogsAreTheBotsLogs: a small and a large invitation, end to end, log
// only through the bot's own JSON logger, at its level: nothing reaches
// slog's default logger (River's job context carries none), and every
// target of both has its audit line with the same fields.
func TestLogsAreTheBotsLogs(t *testing.T) {
	rec := &defaultRecorder{}
	old := slog.Default()
	slog.SetDefault(slog.New(rec))
	t.Cleanup(func() { slog.SetDefault(old) })

	var logs syncBuffer
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "10", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "25"},
		Deps{Logger: logging.New(&logs, slog.LevelInfo), BackoffBase: time.Millisecond, QuotaWindow: testQuota.Window,
			ProgressEvery: 300 * time.Millisecond, JobPoll: 100 * time.Millisecond})
	h.clock.Real()
	h.emu.SetQuota(testQuota)
	h.grant(alice)
	if got := h.invite(alice, "AAA", " dave@example.com").subtitle(t); got != "1 added" {
		t.Fatalf("small invitation: %q", got)
	}
	emails := addPeople(h, "logged", 25)
	h.invite(alice, "AAA", " "+strings.Join(emails, ", "))
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "25 added" {
		t.Fatalf("large invitation: %q", got)
	}

	audited := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		if entry["message"] != "invite attempt" {
			continue
		}
		for _, field := range []string{"severity", "inviter", "space", "target", "outcome", "api_status", "attempts"} {
			if _, ok := entry[field]; !ok {
				t.Fatalf("audit line without %s: %s", field, line)
			}
		}
		if entry["inviter"] != "users/"+alice.ID || entry["outcome"] != "added" || entry["severity"] != "INFO" {
			t.Fatalf("audit line %s", line)
		}
		audited[fmt.Sprint(entry["target"])] = true
	}
	want := append([]string{dave.Email}, emails...)
	for _, e := range want {
		if !audited["users/"+e] {
			t.Errorf("no audit line for %s in the bot's log", e)
		}
	}
	if got := rec.recorded(); len(got) > 0 {
		t.Fatalf("%d lines went to slog's default logger, around the bot's:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestBackgroundLogsCarryTheTrace: a large invitation's background work
// logs under the trace of the request that started it, as a small one's
// lines do, so Cloud Logging shows them together.
func TestBackgroundLogsCarryTheTrace(t *testing.T) {
	var logs syncBuffer
	h := startBotWith(t, map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "emulator", "GOOGLE_CLOUD_PROJECT": "invite-test",
		"QUOTA_SPACE_WRITES_PER_MINUTE": "10", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "25"},
		Deps{Logger: logging.New(&logs, slog.LevelInfo), BackoffBase: time.Millisecond, QuotaWindow: testQuota.Window,
			ProgressEvery: 300 * time.Millisecond, JobPoll: 100 * time.Millisecond})
	h.clock.Real()
	h.emu.SetQuota(testQuota)
	h.grant(alice)
	emails := addPeople(h, "traced", 21)
	body := chatEvent{User: alice, Space: "AAA", Args: " " + strings.Join(emails, ", ")}.JSON()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/chat/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.emu.ChatToken(h.cfg.ChatAudience))
	req.Header.Set("X-Cloud-Trace-Context", "0123456789abcdef0123456789abcdef/1;o=1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	traced := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["message"] != "invite attempt" {
			continue
		}
		if entry[logging.TraceKey] != "projects/invite-test/traces/0123456789abcdef0123456789abcdef" {
			t.Fatalf("a background audit line without the request's trace: %s", line)
		}
		traced++
	}
	if traced != 21 {
		t.Fatalf("%d traced audit lines for 21 people", traced)
	}
}
