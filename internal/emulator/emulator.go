// Package emulator is a faithful stand-in for the Google services the bot
// uses, served over real HTTP on loopback: the key sets that sign Chat's
// requests, OAuth 2.0 consent and tokens, and the Chat API's membership
// methods. Tests and the local sandbox point GOOGLE_EMULATOR_URL at it.
package emulator

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
)

// Emulator is a running Google emulator.
type Emulator struct {
	srv *http.Server
	ln  net.Listener
	url string

	now func() time.Time

	// GoogleKeys sign Google ID tokens; ChatKeys sign Chat's self-signed
	// project-number tokens.
	GoogleKeys *KeyRing
	ChatKeys   *KeyRing

	mu    sync.Mutex
	state *state
	kms   kms
	calls callLog

	autoDomain string
	admin      bool
}

// Option configures an Emulator.
type Option func(*Emulator)

// WithClock makes the emulator read time from now.
func WithClock(now func() time.Time) Option { return func(e *Emulator) { e.now = now } }

// WithURL is the base URL browsers and the bot reach the emulator by, when
// it is not the address it listens on (every interface, for a sandbox
// reached from another machine).
func WithURL(u string) Option { return func(e *Emulator) { e.url = u } }

// WithListener serves on ln instead of listening on Start's addr.
func WithListener(ln net.Listener) Option { return func(e *Emulator) { e.ln = ln } }

// Start listens on addr ("127.0.0.1:0" when empty) and serves until Close.
func Start(addr string, opts ...Option) (*Emulator, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	e := &Emulator{now: time.Now, state: newState()}
	for _, o := range opts {
		o(e)
	}
	var err error
	if e.GoogleKeys, err = NewKeyRing("google"); err != nil {
		return nil, err
	}
	if e.ChatKeys, err = NewKeyRing("chat"); err != nil {
		return nil, err
	}
	if e.ln == nil {
		if e.ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("emulator listen: %w", err)
		}
	}
	if e.url == "" {
		e.url = "http://" + e.ln.Addr().String()
	}
	// Plain HTTP/1.1, as most emulators and recording proxies speak: the
	// bot must work behind any of them.
	e.srv = &http.Server{Handler: e.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.srv.Serve(e.ln) }()
	return e, nil
}

// URL is the emulator's base URL, the value of GOOGLE_EMULATOR_URL.
func (e *Emulator) URL() string { return e.url }

// Endpoints are the Google endpoints this emulator serves.
func (e *Emulator) Endpoints() endpoints.Google { return endpoints.Emulator(e.url) }

// Close stops the emulator at once, dropping open connections.
func (e *Emulator) Close() error {
	return e.srv.Close()
}

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /oauth2/v3/certs", e.GoogleKeys.Handler())
	// The documented address of Chat's keys ("Verify requests from Google
	// Chat"), and the one Google also answers at.
	mux.Handle("GET /service_accounts/v1/metadata/jwk/"+endpoints.ChatSigner, e.ChatKeys.Handler())
	mux.Handle("GET /service_accounts/v1/jwk/"+endpoints.ChatSigner, e.ChatKeys.Handler())
	mux.HandleFunc("POST /v1/projects/{p}/locations/{l}/keyRings/{k}/cryptoKeys/{rest}", e.handleKMS)
	mux.HandleFunc("GET /chat/config-complete", e.handleConfigComplete)
	mux.HandleFunc("GET /v1/projects/{project}/secrets/{secret}/versions/{version}", e.handleAccessSecret)
	e.oauthRoutes(mux)
	e.chatRoutes(mux)
	e.groupRoutes(mux)
	if e.admin {
		e.adminRoutes(mux)
	}
	return mux
}

// ConfigCompleteURL is the emulator's stand-in for Chat's
// configCompleteRedirectUrl: the bot sends the browser there after consent.
func (e *Emulator) ConfigCompleteURL(token string) string {
	return e.url + "/chat/config-complete?token=" + token
}

// OnConfigComplete registers fn to run (in its own goroutine) when a
// browser reaches the config-complete URL, as Chat then re-sends the message.
func (e *Emulator) OnConfigComplete(fn func(token string)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.onConfigured = fn
}

func (e *Emulator) handleConfigComplete(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	e.mu.Lock()
	e.state.configured = append(e.state.configured, token)
	hook := e.state.onConfigured
	e.mu.Unlock()
	if hook != nil {
		go hook(token)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><meta name="viewport" content="width=device-width,initial-scale=1"><title>Configuration complete</title>` +
		`<body style="font-family:system-ui,sans-serif;margin:3rem"><h1 id="done">Configuration complete</h1><p>Return to Chat: your command runs again now. You can close this tab.</p>` +
		`<script>setTimeout(function(){ if (window.opener) window.close(); }, 1500)</script>`))
}

// ConfigCompleted lists the config-complete tokens browsers arrived with.
func (e *Emulator) ConfigCompleted() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.state.configured...)
}
