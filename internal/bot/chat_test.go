package bot

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

// recordingProxy is a plain HTTP/1.1 reverse proxy that records what went
// through it, as WireMock or mitmproxy would stand between the bot and Google.
type recordingProxy struct {
	srv *httptest.Server
	mu  sync.Mutex
	log []string // "HTTP/1.1 GET /path"
}

func newRecordingProxy(t testing.TB, target string) *recordingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.log = append(p.log, r.Proto+" "+r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *recordingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// TestBehindAPlainHTTP1Proxy: with GOOGLE_EMULATOR_URL=http://… the bot
// speaks plain HTTP/1.1, so an emulator or recording proxy that knows
// nothing of HTTP/2 serves it: keys, consent and the Chat API all pass.
func TestBehindAPlainHTTP1Proxy(t *testing.T) {
	h := startBot(t, map[string]string{"GOOGLE_EMULATOR_URL": "proxy"})
	h.grant(alice)
	if got := h.invite(alice, "AAA", " dave@example.com").subtitle(t); got != "1 added" {
		t.Fatalf("through the proxy: %q", got)
	}
	seen := strings.Join(h.proxy.requests(), "\n")
	for _, want := range []string{"HTTP/1.1 GET /oauth2/v3/certs", "HTTP/1.1 POST /token", "HTTP/1.1 POST /v1/spaces/AAA/members"} {
		if !strings.Contains(seen, want) {
			t.Errorf("the proxy did not see %q:\n%s", want, seen)
		}
	}
}

// TestProjectNumberKeysFromTheDocumentedAddress: "Verify requests from
// Google Chat" names .../service_accounts/v1/metadata/jwk/chat@system….
func TestProjectNumberKeysFromTheDocumentedAddress(t *testing.T) {
	h := startBot(t, map[string]string{"GOOGLE_EMULATOR_URL": "proxy", "CHAT_AUDIENCE": "123456789012"})
	if code, body := h.send([]byte(helpEvent)); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	want := "GET /service_accounts/v1/metadata/jwk/chat@system.gserviceaccount.com"
	if seen := strings.Join(h.proxy.requests(), "\n"); !strings.Contains(seen, want) {
		t.Fatalf("keys not fetched from the documented address:\n%s", seen)
	}
}

// TestUnreachableKeysAreAnErrorNotARejection: when Google's keys cannot be
// fetched, the log says so as an error, and the answer is 503, not 401.
func TestUnreachableKeysAreAnErrorNotARejection(t *testing.T) {
	logs := &syncBuffer{}
	h := startBotWith(t, map[string]string{"GOOGLE_EMULATOR_URL": "http://127.0.0.1:1"}, Deps{Logger: jsonLogger(logs)})
	code, _ := h.send([]byte(helpEvent))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
	out := logs.String()
	if !strings.Contains(out, `"severity":"ERROR"`) || !strings.Contains(out, "signing keys") || strings.Contains(out, "rejected chat request") {
		t.Fatalf("log does not say the keys could not be fetched:\n%s", out)
	}
}

// TestAddedToSpaceWithACommand: a slash command that adds the app arrives
// as one ADDED_TO_SPACE event carrying the command; it runs, led by a
// welcome line.
func TestAddedToSpaceWithACommand(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.sendEvent(chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", AddsApp: true}.JSON())
	if got := r.subtitle(t); got != "1 added" {
		t.Fatalf("the command was not run: %s", r.raw)
	}
	if !strings.HasPrefix(r.msg.Text, "Thanks for adding") {
		t.Fatalf("no welcome line: %q", r.msg.Text)
	}
	if _, ok := member(h, "AAA", dave.ID); !ok {
		t.Fatal("dave was not added")
	}
	// Added without a command: the welcome card.
	plain := h.sendEvent([]byte(`{"type":"ADDED_TO_SPACE","user":{"name":"users/1001"},"space":{"name":"spaces/AAA","spaceType":"SPACE"}}`))
	if len(plain.msg.CardsV2) != 1 || plain.msg.CardsV2[0].CardId != "welcome" {
		t.Fatalf("welcome: %s", plain.raw)
	}
}

// TestPendingInvitationIsNotAMember: spaces.members.create answers 409 for
// a member and for someone invited who has not accepted; the card tells
// them apart.
func TestPendingInvitationIsNotAMember(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	if got := h.invite(alice, "AAA", " carol@example.com").subtitle(t); got != "1 invited" {
		t.Fatalf("first: %q", got)
	}
	r := h.invite(alice, "AAA", " carol@example.com bob@example.com")
	lines := r.lines()
	// Named as Chat names them, like every other line; the heading alone
	// says they are yet to accept.
	if got := lines["Already invited: waiting for them to accept (1)"]; len(got) != 1 || got[0] != "carol@example.com | Carol Careful" {
		t.Fatalf("carol: %v", lines)
	}
	if got := lines["Already a member (1)"]; len(got) != 1 || got[0] != "bob@example.com | Bob Member" {
		t.Fatalf("bob: %v", lines)
	}
	h.emu.Accept("AAA", carol.ID)
	if got := h.invite(alice, "AAA", " carol@example.com").subtitle(t); got != "1 already a member" {
		t.Fatalf("after accepting: %q", got)
	}
}

// TestCommandConfiguredToOpenADialog: should the "Opens a dialog" box be
// ticked, every /invite arrives as REQUEST_DIALOG; the form opens, filled in
// with what was typed.
func TestCommandConfiguredToOpenADialog(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice, "https://www.googleapis.com/auth/chat.memberships", "https://www.googleapis.com/auth/chat.memberships.app")
	app := h.app(false)
	app.Commands[0].OpensDialog = true
	ev := app.MessageEvents(emulator.Message{User: alice, Space: spaceOf("AAA"), Name: "spaces/AAA/messages/dlg", Text: "/invite dave@example.com to spaces/EXT"})[0]
	r := h.sendEventMap(app, ev)
	d := dialogCard(r)
	if d == nil || !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(mustJSON(d), `\n`, " ")), " "), "dave@example.com") {
		t.Fatalf("want the form filled in: %v", r)
	}
	if !strings.Contains(mustJSON(d), "spaces/EXT") {
		t.Fatalf("spaces not filled in: %v", d)
	}
}

// TestMentionAfterAnEmoji: Chat's mention offsets may count UTF-16 units;
// after an emoji the mention must still be found.
func TestMentionAfterAnEmoji(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	for _, utf16 := range []bool{false, true} {
		// A display name may hold an emoji: the next mention's offsets then
		// differ between the two readings.
		ev := chatEvent{User: alice, Space: "AAA", Args: " @Carol 🌸, @Dave Doer bob@example.com", UTF16Offsets: utf16,
			Mentions: []mention{{Text: "@Carol 🌸", User: carol}, {Text: "@Dave Doer", User: dave}}}
		r := h.sendEvent(ev.JSON())
		lines := r.lines()
		if len(lines["Added (1)"]) != 1 || !strings.HasPrefix(lines["Added (1)"][0], "@Dave Doer") ||
			len(lines["Invited: they must accept (1)"]) != 1 || len(lines["Already a member (1)"]) != 1 {
			t.Fatalf("utf16=%v: %v\n%s", utf16, lines, r.raw)
		}
		h.emu.RemoveMember("AAA", dave.ID)
		h.emu.RemoveMember("AAA", carol.ID)
	}
}

// sendEventMap posts an event built by app and checks the answer by Chat's rules.
func (h *harness) sendEventMap(app emulator.ChatApp, ev map[string]any) map[string]any {
	h.t.Helper()
	body := []byte(mustJSON(ev))
	code, out := h.send(body)
	if code != http.StatusOK {
		h.t.Fatalf("status %d: %s", code, out)
	}
	if err := app.CheckReply(ev, out); err != nil {
		h.t.Fatalf("real Chat would refuse: %v\n%s", err, out)
	}
	return decodeJSON(h.t.(*testing.T), out)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jsonLogger(w *syncBuffer) *slog.Logger { return logging.New(w, slog.LevelDebug) }

// TestTraceIDsNameTheProject: with GOOGLE_CLOUD_PROJECT, a failed request's
// log line carries projects/PROJECT/traces/TRACE, as Cloud Logging
// correlates it.
func TestTraceIDsNameTheProject(t *testing.T) {
	logs := &syncBuffer{}
	h := startBotWith(t, map[string]string{"GOOGLE_CLOUD_PROJECT": "invite-prod"}, Deps{Logger: jsonLogger(logs)})
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/chat/events", strings.NewReader("{}"))
	req.Header.Set("X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(logs.String(), `"logging.googleapis.com/trace":"projects/invite-prod/traces/105445aa7843bc8bf206b12000100000"`) {
		t.Fatalf("no project in the trace id:\n%s", logs.String())
	}
}

// clickEventMap sends the click c as app builds it and returns the answer,
// checked by Chat's rules (sendEventMap).
func (h *harness) clickEventMap(app emulator.ChatApp, c emulator.Click) map[string]any {
	h.t.Helper()
	ev, err := app.ClickEvent(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.sendEventMap(app, ev)
}
