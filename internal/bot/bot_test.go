package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
)

const (
	testClientID     = "test-client.apps.googleusercontent.com"
	testClientSecret = "test-secret"
)

// People every harness's emulator knows.
var (
	alice = emulator.Person{ID: "1001", Email: "alice@example.com", DisplayName: "Alice Owner", AutoAccept: true}
	bob   = emulator.Person{ID: "1002", Email: "bob@example.com", DisplayName: "Bob Member", AutoAccept: true}
	carol = emulator.Person{ID: "1003", Email: "carol@example.com", DisplayName: "Carol Careful", AutoAccept: false}
	erin  = emulator.Person{ID: "2001", Email: "erin@partner.example", DisplayName: "Erin External", AutoAccept: true}
)

var dave = emulator.Person{ID: "1004", Email: "dave@example.com", DisplayName: "Dave Doer", AutoAccept: true}

func seedPeople(emu *emulator.Emulator) {
	for _, p := range []emulator.Person{alice, bob, carol, dave, erin} {
		emu.AddPerson(p)
	}
}

// seedChat: spaces/AAA (alice owner, bob member), spaces/EXT (alice member,
// external people allowed), spaces/GC (a group chat), spaces/DM (alice and
// bob), and the group groups/eng.
func seedChat(emu *emulator.Emulator) {
	emu.AddSpace(emulator.Space{ID: "AAA", DisplayName: "Team", Domain: "example.com"})
	emu.AddMember("AAA", alice.ID, emulator.RoleOwner)
	emu.AddMember("AAA", bob.ID, emulator.RoleMember)
	emu.AddMember("AAA", "app", emulator.RoleMember) // Chat sends events from spaces the app is in
	emu.AddSpace(emulator.Space{ID: "EXT", DisplayName: "Partners", Domain: "example.com", ExternalAllowed: true})
	emu.AddMember("EXT", alice.ID, emulator.RoleMember)
	emu.AddSpace(emulator.Space{ID: "GC", Type: emulator.SpaceTypeGroup, Domain: "example.com"})
	emu.AddMember("GC", alice.ID, emulator.RoleMember)
	emu.AddSpace(emulator.Space{ID: "DM", Type: emulator.SpaceTypeDM, Domain: "example.com"})
	emu.AddMember("DM", alice.ID, emulator.RoleMember)
	emu.AddMember("DM", bob.ID, emulator.RoleMember)
	emu.AddGroup("eng", "Engineering")
}

// fakeClock is a settable clock shared by the bot and the emulator.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
	// realTime makes it the wall clock (for background work that waits).
	realTime bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.realTime {
		return time.Now()
	}
	return c.t
}

// Real switches the clock to the wall clock.
func (c *fakeClock) Real() { c.mu.Lock(); defer c.mu.Unlock(); c.realTime = true }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t     testing.TB
	emu   *emulator.Emulator
	bot   *Bot
	srv   *httptest.Server
	clock *fakeClock
	cfg   *config.Config
	deps  Deps
	// proxy, when GOOGLE_EMULATOR_URL is "proxy", stands between the bot
	// and the emulator: a plain HTTP/1.1 recording proxy.
	proxy *recordingProxy
}

// startBot starts an emulator and a bot wired to it; env adds settings.
func startBot(t testing.TB, env map[string]string) *harness {
	t.Helper()
	return startBotWith(t, env, Deps{BackoffBase: time.Millisecond})
}

// startBotWith is startBot with chosen Deps (the logger and clock are set here).
func startBotWith(t testing.TB, env map[string]string, deps Deps) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Now().Truncate(time.Second)}
	emu, err := emulator.Start("", emulator.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	srv := httptest.NewUnstartedServer(nil)
	vars := map[string]string{
		"BOT_BASE_URL":               "http://" + srv.Listener.Addr().String(),
		"GOOGLE_EMULATOR_URL":        emu.URL(),
		"GOOGLE_OAUTH_CLIENT_ID":     testClientID,
		"GOOGLE_OAUTH_CLIENT_SECRET": testClientSecret,
		"BOT_DATA_DIR":               t.TempDir(),
	}
	var proxy *recordingProxy
	for k, v := range env {
		vars[k] = v
	}
	if env["GOOGLE_APPLICATION_CREDENTIALS"] == "emulator" {
		key, err := emu.AddServiceAccount("invite-bot@invite-test.iam.gserviceaccount.com")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "app-key.json")
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		vars["GOOGLE_APPLICATION_CREDENTIALS"] = path
	}
	if env["GOOGLE_EMULATOR_URL"] == "proxy" {
		proxy = newRecordingProxy(t, emu.URL())
		vars["GOOGLE_EMULATOR_URL"] = proxy.srv.URL
	}
	emu.RegisterClient(testClientID, testClientSecret, vars["BOT_BASE_URL"]+"/oauth2/callback")
	seedPeople(emu)
	seedChat(emu)
	cfg, err := config.Load(func(k string) string { return vars[k] }, CommandNames())
	if err != nil {
		t.Fatal(err)
	}
	if deps.Logger == nil {
		deps.Logger = logging.Discard()
	}
	deps.Now = clock.Now
	b, err := New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv.Config.Handler = b.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &harness{t: t, emu: emu, bot: b, srv: srv, clock: clock, cfg: cfg, deps: deps, proxy: proxy}
}

// app is the bot as the emulated Chat knows it.
func (h *harness) app(addOn bool) emulator.ChatApp {
	return emulator.AppFor(EndpointURL(h.cfg), h.cfg.CommandIDs, addOn)
}

// post sends body to /chat/events with an Authorization header (none if auth is "").
func (h *harness) post(auth string, body []byte) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/chat/events", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// send posts an event signed as Chat signs it.
func (h *harness) send(body []byte) (int, []byte) {
	return h.post("Bearer "+h.emu.ChatToken(h.cfg.ChatAudience), body)
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply is not JSON: %v: %s", err, b)
	}
	return m
}

func TestHealthAndReady(t *testing.T) {
	h := startBot(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(h.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	h := startBot(t, nil)
	big := `{"type":"MESSAGE","message":{"text":"` + strings.Repeat("a", 1<<20) + `"}}`
	if code, _ := h.send([]byte(big)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", code)
	}
}

func TestMalformedEventIs400(t *testing.T) {
	h := startBot(t, nil)
	for _, body := range []string{`{`, `[]`, `{"foo":1}`, `{"type":"MESSAGE","message":{"slashCommand":{"commandId":"x"}}}`} {
		if code, _ := h.send([]byte(body)); code != http.StatusBadRequest {
			t.Errorf("%s: status = %d, want 400", body, code)
		}
	}
}
