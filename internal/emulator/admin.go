package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WithAutoPeople makes every unknown email at domain an existing person who
// auto-accepts, so load runs can invite endless new people.
func WithAutoPeople(domain string) Option {
	return func(e *Emulator) { e.autoDomain = strings.ToLower(domain) }
}

// WithAdmin serves /_emulator/… control endpoints, for a harness that runs
// the emulator in another process.
func WithAdmin() Option { return func(e *Emulator) { e.admin = true } }

// autoPerson returns (creating it) the person for an email at the auto
// domain; runs with e.mu held.
func (e *Emulator) autoPerson(email string) *Person {
	email = strings.ToLower(email)
	if e.autoDomain == "" || !strings.HasSuffix(email, "@"+e.autoDomain) {
		return nil
	}
	e.state.autoSeq++
	p := &Person{ID: "9" + strconv.Itoa(100000000+e.state.autoSeq), Email: email, DisplayName: email, AutoAccept: true}
	e.state.people[p.ID] = p
	e.state.byEmail[email] = p
	return p
}

func (e *Emulator) adminRoutes(mux *http.ServeMux) {
	// A Chat bearer token for an audience.
	mux.HandleFunc("GET /_emulator/chat-token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(e.ChatToken(r.URL.Query().Get("aud"))))
	})
	// An access token of a person with scopes, as if they had consented.
	mux.HandleFunc("GET /_emulator/access-token", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		p := e.state.byEmail[strings.ToLower(r.URL.Query().Get("email"))]
		if p == nil {
			http.Error(w, "no such person", http.StatusNotFound)
			return
		}
		token := randomToken("ya29.emu-")
		e.state.access[token] = &accessGrant{userID: p.ID, scopes: strings.Fields(r.URL.Query().Get("scope")), expires: e.now().Add(24 * time.Hour)}
		_, _ = w.Write([]byte(token))
	})
	// Every Chat API answer waits this long.
	mux.HandleFunc("POST /_emulator/latency", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			http.Error(w, "ms", http.StatusBadRequest)
			return
		}
		e.SetLatency(time.Duration(ms) * time.Millisecond)
	})
	// Consent decides at once as this account.
	mux.HandleFunc("POST /_emulator/consent", func(w http.ResponseWriter, r *http.Request) {
		e.SetConsent(&Consent{Account: r.URL.Query().Get("account")})
	})
	mux.HandleFunc("POST /_emulator/client", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		e.RegisterClient(q.Get("id"), q.Get("secret"), q["redirect_uri"]...)
	})
}
