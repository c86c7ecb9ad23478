package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Scopes the emulator knows, as Google names them.
const (
	ScopeOpenID         = "openid"
	ScopeMemberships    = "https://www.googleapis.com/auth/chat.memberships"
	ScopeMembershipsApp = "https://www.googleapis.com/auth/chat.memberships.app"
)

type client struct {
	id, secret   string
	redirectURIs map[string]bool
	// name is the app name the OAuth consent screen shows (the consent
	// screen's "App name"); the client id when unset.
	name string
}

type authCode struct {
	client, redirectURI, userID string
	scopes                      []string
	challenge                   string
	expires                     time.Time
	used                        bool
}

type refreshGrant struct {
	token, client, userID string
	scopes                []string
	revoked               bool
}

type accessGrant struct {
	userID  string
	app     string // a service account's email, for app tokens
	scopes  []string
	expires time.Time
	refresh string
	revoked bool
}

// Consent decides the consent screen without a person: tests set it so
// /o/oauth2/v2/auth answers at once. With none set, the screen is a page.
type Consent struct {
	// Account is the email of the account that signs in.
	Account string
	// Deny refuses consent (error=access_denied).
	Deny bool
	// Withhold lists scopes the user unticks.
	Withhold []string
}

// AccessTokenLifetime is how long the emulator's access tokens live.
const AccessTokenLifetime = time.Hour

// RegisterClient registers an OAuth client with its allowed redirect URIs.
func (e *Emulator) RegisterClient(id, secret string, redirectURIs ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := &client{id: id, secret: secret, redirectURIs: map[string]bool{}}
	for _, u := range redirectURIs {
		c.redirectURIs[u] = true
	}
	e.state.clients[id] = c
}

// SetAppName sets the app name the consent screen shows for client id, as
// the OAuth consent screen configuration does.
func (e *Emulator) SetAppName(id, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.state.clients[id]; c != nil {
		c.name = name
	}
}

// SetConsent makes the consent screen decide at once (nil: show the page).
func (e *Emulator) SetConsent(c *Consent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.consent = c
}

// FailRevoke makes the revoke endpoint answer 503.
func (e *Emulator) FailRevoke(fail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.failRevoke = fail
}

// RevokeUser revokes every grant of the person with email, as when they
// remove the app's access in their Google account.
func (e *Emulator) RevokeUser(email string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.state.byEmail[strings.ToLower(email)]
	if !ok {
		return
	}
	for _, r := range e.state.refresh {
		if r.userID == p.ID {
			e.forget(r.client, p.ID)
		}
	}
	for _, a := range e.state.access {
		if a.userID == p.ID {
			a.revoked = true
		}
	}
}

// RefreshCalls counts refresh_token grants served.
func (e *Emulator) RefreshCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.refreshCalls
}

// ActiveGrants counts unrevoked refresh tokens of the person with email.
func (e *Emulator) ActiveGrants(email string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.state.byEmail[strings.ToLower(email)]
	if !ok {
		return 0
	}
	n := 0
	for _, r := range e.state.refresh {
		if r.userID == p.ID && !r.revoked {
			n++
		}
	}
	return n
}

// tokenInfo resolves a bearer access token: the person and the scopes.
func (e *Emulator) tokenInfo(token string) (*Person, []string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.state.access[token]
	if !ok || a.revoked || e.expired(a.expires) {
		return nil, nil, false
	}
	p, ok := e.state.people[a.userID]
	return p, a.scopes, ok
}

func (e *Emulator) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /o/oauth2/v2/auth", e.handleAuthorize)
	mux.HandleFunc("POST /o/oauth2/v2/auth", e.handleConsentDecision)
	mux.HandleFunc("POST /token", e.handleToken)
	mux.HandleFunc("POST /revoke", e.handleRevoke)
}

// authRequest is a checked authorization request.
type authRequest struct {
	client      *client
	redirectURI string
	state       string
	scopes      []string
	challenge   string
	include     bool
}

func (e *Emulator) parseAuthRequest(q url.Values) (*authRequest, string) {
	e.mu.Lock()
	c, ok := e.state.clients[q.Get("client_id")]
	e.mu.Unlock()
	switch {
	case !ok:
		return nil, "invalid_client: unknown client_id"
	case !c.redirectURIs[q.Get("redirect_uri")]:
		return nil, "redirect_uri_mismatch"
	case q.Get("response_type") != "code":
		return nil, "unsupported_response_type"
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return nil, "invalid_request: PKCE S256 required"
	case q.Get("scope") == "":
		return nil, "invalid_request: missing scope"
	}
	return &authRequest{
		client: c, redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		scopes: strings.Fields(q.Get("scope")), challenge: q.Get("code_challenge"),
		include: q.Get("include_granted_scopes") == "true",
	}, ""
}

func (e *Emulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	req, problem := e.parseAuthRequest(r.URL.Query())
	if req == nil {
		http.Error(w, "Error 400: "+problem, http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	consent := e.state.consent
	e.mu.Unlock()
	if consent == nil {
		e.renderConsentPage(w, r.URL.Query(), req)
		return
	}
	e.decide(w, r, req, consent.Account, consent.Deny, consent.Withhold)
}

func (e *Emulator) handleConsentDecision(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	req, problem := e.parseAuthRequest(r.PostForm)
	if req == nil {
		http.Error(w, "Error 400: "+problem, http.StatusBadRequest)
		return
	}
	granted := map[string]bool{}
	for _, s := range r.PostForm["grant"] {
		granted[s] = true
	}
	var withhold []string
	for _, s := range req.scopes {
		if s != ScopeOpenID && !granted[s] {
			withhold = append(withhold, s)
		}
	}
	e.decide(w, r, req, r.PostForm.Get("account"), r.PostForm.Get("decision") != "allow", withhold)
}

// decide finishes the authorization request: redirect with a code, or with
// error=access_denied.
func (e *Emulator) decide(w http.ResponseWriter, r *http.Request, req *authRequest, account string, deny bool, withhold []string) {
	back, _ := url.Parse(req.redirectURI)
	q := back.Query()
	q.Set("state", req.state)
	if deny {
		q.Set("error", "access_denied")
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
		return
	}
	e.mu.Lock()
	p, ok := e.state.byEmail[strings.ToLower(account)]
	if !ok {
		e.mu.Unlock()
		http.Error(w, "no such account: "+account, http.StatusBadRequest)
		return
	}
	drop := map[string]bool{}
	for _, s := range withhold {
		drop[s] = true
	}
	key := req.client.id + "|" + p.ID
	if e.state.granted[key] == nil || !req.include {
		e.state.granted[key] = map[string]bool{}
	}
	for _, s := range req.scopes {
		if !drop[s] {
			e.state.granted[key][s] = true
		}
	}
	scopes := sortedKeys(e.state.granted[key])
	code := randomToken("4/emu-")
	e.state.codes[code] = &authCode{
		client: req.client.id, redirectURI: req.redirectURI, userID: p.ID, scopes: scopes,
		challenge: req.challenge, expires: e.now().Add(5 * time.Minute),
	}
	e.mu.Unlock()
	q.Set("code", code)
	q.Set("scope", strings.Join(scopes, " "))
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.tokenCalls++
	if r.PostForm.Get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		e.jwtBearer(w, r.PostForm.Get("assertion"))
		return
	}
	c, known := e.state.clients[id]
	if !known || c.secret != secret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		e.exchangeCode(w, r, c)
	case "refresh_token":
		e.state.refreshCalls++
		g, ok := e.state.refresh[r.PostForm.Get("refresh_token")]
		if !ok || g.revoked || g.client != c.id {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		e.writeTokens(w, c, g, false)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type.")
	}
}

// exchangeCode runs with e.mu held.
func (e *Emulator) exchangeCode(w http.ResponseWriter, r *http.Request, c *client) {
	code, ok := e.state.codes[r.PostForm.Get("code")]
	switch {
	case !ok || code.used || e.expired(code.expires) || code.client != c.id:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
		return
	case code.redirectURI != r.PostForm.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != code.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
		return
	}
	code.used = true
	g := &refreshGrant{token: randomToken("1//emu-"), client: c.id, userID: code.userID, scopes: code.scopes}
	e.state.refresh[g.token] = g
	e.writeTokens(w, c, g, true)
}

// writeTokens issues an access token (and, on a code exchange, the refresh
// token and an id_token); runs with e.mu held.
func (e *Emulator) writeTokens(w http.ResponseWriter, c *client, g *refreshGrant, withRefresh bool) {
	now := e.now()
	access := randomToken("ya29.emu-")
	e.state.access[access] = &accessGrant{userID: g.userID, scopes: g.scopes, expires: now.Add(AccessTokenLifetime), refresh: g.token}
	resp := map[string]any{
		"access_token": access,
		"expires_in":   int(AccessTokenLifetime.Seconds()) - 1,
		"scope":        strings.Join(g.scopes, " "),
		"token_type":   "Bearer",
	}
	if withRefresh {
		resp["refresh_token"] = g.token
	}
	p := e.state.people[g.userID]
	if p != nil && slices.Contains(g.scopes, ScopeOpenID) {
		resp["id_token"] = e.GoogleKeys.Sign(map[string]any{
			"iss": "https://accounts.google.com", "azp": c.id, "aud": c.id, "sub": p.ID,
			"email": p.Email, "email_verified": true, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

func (e *Emulator) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	token := r.Form.Get("token")
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.failRevoke {
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Try again later.")
		return
	}
	refresh := token
	if a, ok := e.state.access[token]; ok {
		refresh = a.refresh
	}
	g, ok := e.state.refresh[refresh]
	if !ok || g.revoked {
		oauthError(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	e.forget(g.client, g.userID)
	w.WriteHeader(http.StatusOK)
}

// forget ends a person's grant to a client as Google's revoke does: every
// token of it stops working and the scopes granted so far are forgotten,
// so the next consent starts from nothing (include_granted_scopes adds
// nothing back). Runs with e.mu held.
func (e *Emulator) forget(clientID, userID string) {
	delete(e.state.granted, clientID+"|"+userID)
	for _, r := range e.state.refresh {
		if r.client == clientID && r.userID == userID {
			r.revoked = true
		}
	}
	for _, a := range e.state.access {
		if r := e.state.refresh[a.refresh]; r != nil && r.client == clientID && r.userID == userID {
			a.revoked = true
		}
	}
}

// IssuedSecrets lists every refresh and access token issued so far, so tests
// can check none is stored in the clear.
func (e *Emulator) IssuedSecrets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for t := range e.state.refresh {
		out = append(out, t)
	}
	for t := range e.state.access {
		out = append(out, t)
	}
	return out
}
