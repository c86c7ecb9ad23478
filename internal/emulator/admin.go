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
	// Google's quotas on a window: ?window=5s&space=N&project=N.
	mux.HandleFunc("POST /_emulator/quota", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		window, err1 := time.ParseDuration(q.Get("window"))
		space, err2 := strconv.Atoi(q.Get("space"))
		project, err3 := strconv.Atoi(q.Get("project"))
		if err1 != nil || err2 != nil || err3 != nil {
			http.Error(w, "window, space, project", http.StatusBadRequest)
			return
		}
		e.SetQuota(Quota{Window: window, SpaceWrites: space, ProjectMembershipWrites: project})
	})
	// A service account's key file (JSON).
	mux.HandleFunc("GET /_emulator/service-account", func(w http.ResponseWriter, r *http.Request) {
		key, err := e.AddServiceAccount(r.URL.Query().Get("email"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(key)
	})
	// A space with the load inviter as owner and the app as member: ?id=…&owner=ID.
	mux.HandleFunc("POST /_emulator/space", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		e.AddSpace(Space{ID: q.Get("id"), DisplayName: q.Get("id"), Domain: e.autoDomain})
		e.AddMember(q.Get("id"), q.Get("owner"), RoleOwner)
		e.AddMember(q.Get("id"), appMemberID, RoleMember)
	})
	// Counts: membership calls decided, quota writes accepted and refused,
	// joined members of the spaces named (?spaces=A,B), finished cards;
	// with ?user=ID, when a membership was last created in that person's
	// name (wall clock, Unix milliseconds).
	mux.HandleFunc("GET /_emulator/stats", func(w http.ResponseWriter, r *http.Request) {
		accepted, refused := e.QuotaCounts()
		joined, finished := 0, 0
		for _, id := range strings.Split(r.URL.Query().Get("spaces"), ",") {
			for _, m := range e.Members(id) {
				if m.State == StateJoined && m.Role == RoleMember && m.Key != appMemberID {
					joined++
				}
			}
			for _, m := range e.AppMessages(id) {
				if len(m.CardsV2) > 0 && m.CardsV2[0].CardId == "invite-result" {
					finished++
				}
			}
		}
		st := map[string]int{"creates": e.MemberCreates(), "accepted": accepted, "refused": refused, "joined": joined, "finished": finished}
		if id := r.URL.Query().Get("user"); id != "" {
			if t := e.LastCreate(id); !t.IsZero() {
				st["user_last_create_unix_ms"] = int(t.UnixMilli())
			}
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("POST /_emulator/client", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		e.RegisterClient(q.Get("id"), q.Get("secret"), q["redirect_uri"]...)
	})
}
