package oauthflow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatinvite/invitebot/internal/logging"
)

// flowBinding is the associated data of a flow's sealed PKCE verifier: the
// flow's own state hash, so a verifier cannot be moved to another flow.
func flowBinding(stateHash []byte) string { return "oauth-flow/" + hex.EncodeToString(stateHash) }

const cookiePrefix = "invite_flow_"

// cookieName is per flow, so two consents in one browser do not collide.
func cookieName(stateHash []byte) string { return cookiePrefix + hex.EncodeToString(stateHash[:6]) }

// HandleStart serves GET /oauth2/start: check the link, bind this browser to
// a new flow with a cookie, and send the browser to Google's consent screen.
func (s *Service) HandleStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := logging.From(r.Context())
		l, err := s.openLink(r.URL.Query().Get("l"))
		switch {
		case errors.Is(err, errLinkExpired):
			pageLinkExpired.render(w)
			return
		case err != nil:
			log.Warn("consent link rejected", "reason", err.Error())
			pageLinkInvalid.render(w)
			return
		}
		if r.URL.Query().Get("go") == "" {
			if p, ok := s.morePermissions(r, l); ok {
				p.render(w)
				return
			}
		}
		switch err := s.cfg.Store.UseLink(r.Context(), hash([]byte(l.Nonce)), time.Unix(l.Expires, 0)); {
		case errors.Is(err, ErrUsed):
			pageLinkUsed.render(w)
			return
		case err != nil:
			log.Error("record consent link use", "error", err.Error())
			pageStoreFailed.render(w)
			return
		}
		if s.alreadyGranted(r, l) && s.allowedRedirect(l.ConfigURL) {
			// An older prompt, answered by another one since: Chat runs
			// its message once the browser reaches its config-complete URL.
			http.Redirect(w, r, l.ConfigURL, http.StatusSeeOther)
			return
		}
		state, binding := randomSecret(), randomSecret()
		verifier := oauth2.GenerateVerifier()
		stateHash := hash([]byte(state))
		sealed, err := s.cfg.Cipher.Encrypt([]byte(verifier), flowBinding(stateHash))
		if err != nil {
			log.Error("seal verifier", "error", err.Error())
			pageStoreFailed.render(w)
			return
		}
		flow := &Flow{
			StateHash: stateHash, User: l.User, ConfigURL: l.ConfigURL, Scopes: l.Scopes,
			Verifier: sealed, BindingHash: hash([]byte(binding)),
			ExpiresAt: time.Unix(l.Expires, 0),
		}
		if err := s.cfg.Store.PutFlow(r.Context(), flow); err != nil {
			log.Error("store flow", "error", err.Error())
			pageStoreFailed.render(w)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(stateHash), Value: binding, Path: "/oauth2/",
			Expires: flow.ExpiresAt, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		})
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, s.oauth.AuthCodeURL(state,
			oauth2.AccessTypeOffline,
			oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("scope", strings.Join(l.Scopes, " ")),
			oauth2.SetAuthURLParam("include_granted_scopes", "true"),
			oauth2.SetAuthURLParam("prompt", "consent"),
			// Google accepts the account id (the Chat user id) as a hint and
			// pre-selects that account on its chooser.
			oauth2.SetAuthURLParam("login_hint", strings.TrimPrefix(l.User, "users/")),
		), http.StatusFound)
	})
}

// morePermissions is the page that says, before Google's screen, what a
// user who already authorized Invite asked for (the link's purpose, in
// their words) and which permission that needs in addition, and why
// (Config.ScopeReasons): never a scope's API name. The link is not used
// until they go on.
func (s *Service) morePermissions(r *http.Request, l *link) (page, bool) {
	g, err := s.cfg.Store.GetGrant(r.Context(), l.User)
	if err != nil {
		return page{}, false // a first consent: Google's screen lists everything
	}
	var reasons []string
	for _, sc := range l.Scopes {
		if why, ok := s.cfg.ScopeReasons[sc]; ok && !slices.Contains(g.Scopes, sc) {
			reasons = append(reasons, why)
		}
	}
	if len(reasons) == 0 {
		return page{}, false
	}
	q := r.URL.Query()
	q.Set("go", "1")
	title := "Invite needs one more permission"
	if len(reasons) > 1 {
		title = "Invite needs " + strconv.Itoa(len(reasons)) + " more permissions"
	}
	var lines []string
	if l.Purpose != "" {
		lines = append(lines, "You asked Invite to "+l.Purpose+".")
	}
	lines = append(lines, reasons...)
	lines = append(lines, "Everything you allowed before stays as it is. Google asks you to confirm on the next screen.")
	return page{Status: http.StatusOK, Icon: "+", Tone: "ok", Title: title,
		Lines: lines, Action: "/oauth2/start?" + q.Encode(), ActionLabel: "Continue to Google"}, true
}

// alreadyGranted reports whether the user's stored grant covers every
// scope the link asks for. Chat keeps every unanswered configure prompt,
// and completing one affects only its own message ("Connect a Google Chat
// app with other tools": "clicking a specific prompt and completing the
// authentication and configuration process affects only that specific
// message. Other messages remain unchanged."): the prompts of a person who
// tried twice stay, and once one is answered, the others need no second
// visit to Google.
func (s *Service) alreadyGranted(r *http.Request, l *link) bool {
	g, err := s.cfg.Store.GetGrant(r.Context(), l.User)
	if err != nil {
		return false
	}
	for _, sc := range l.Scopes {
		if sc != ScopeOpenID && !slices.Contains(g.Scopes, sc) {
			return false
		}
	}
	return true
}

// HandleCallback serves GET /oauth2/callback. The state is checked first
// (known, unexpired, unused, this browser's); only then is the code redeemed.
func (s *Service) HandleCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		log := logging.From(ctx)
		q := r.URL.Query()
		stateHash := hash([]byte(q.Get("state")))
		flow, err := s.cfg.Store.GetFlow(ctx, stateHash)
		if err != nil || q.Get("state") == "" {
			if !errors.Is(err, ErrNotFound) && err != nil {
				log.Error("load flow", "error", err.Error())
				pageStoreFailed.render(w)
				return
			}
			log.Warn("consent callback with an unknown state")
			pageFlowUnknown.render(w)
			return
		}
		if !flow.UsedAt.IsZero() || !s.cfg.Now().Before(flow.ExpiresAt) {
			log.Warn("consent callback with a used or expired state", "user", flow.User)
			pageFlowUnknown.render(w)
			return
		}
		cookie, err := r.Cookie(cookieName(stateHash))
		if err != nil || !hmac.Equal(hash([]byte(cookie.Value)), flow.BindingHash) {
			log.Warn("consent callback from another browser", "user", flow.User)
			pageOtherBrowser.render(w)
			return
		}
		if err := s.cfg.Store.UseFlow(ctx, stateHash, s.cfg.Now()); err != nil {
			if errors.Is(err, ErrUsed) {
				pageFlowUnknown.render(w)
				return
			}
			log.Error("use flow", "error", err.Error())
			pageStoreFailed.render(w)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName(stateHash), Value: "", Path: "/oauth2/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		retry := func() string {
			link, err := s.ConsentLink(ctx, flow.User, flow.ConfigURL, flow.Scopes)
			if err != nil {
				return ""
			}
			return link
		}
		if e := q.Get("error"); e != "" {
			log.Info("consent not given", "user", flow.User, "error", truncate(e, 64))
			if e == "access_denied" {
				pageDenied(retry()).render(w)
				return
			}
			withRetry(pageGoogleFailed, retry()).render(w)
			return
		}
		s.finish(w, r, flow, retry)
	})
}

// finish redeems the code and stores the grant if it is the right user's.
func (s *Service) finish(w http.ResponseWriter, r *http.Request, flow *Flow, retry func() string) {
	ctx := r.Context()
	log := logging.From(ctx)
	verifier, err := s.cfg.Cipher.Decrypt(flow.Verifier, flowBinding(flow.StateHash))
	if err != nil {
		log.Error("open verifier", "error", err.Error())
		pageStoreFailed.render(w)
		return
	}
	tok, err := s.oauth.Exchange(s.withClient(ctx), r.URL.Query().Get("code"), oauth2.VerifierOption(string(verifier)))
	if err != nil {
		log.Warn("exchange code", "user", flow.User, "error", describeOAuthError(err))
		withRetry(pageGoogleFailed, retry()).render(w)
		return
	}
	sub, err := s.verifyIDToken(r, tok)
	if err != nil {
		log.Warn("id_token rejected", "user", flow.User, "error", err.Error())
		withRetry(pageGoogleFailed, retry()).render(w)
		return
	}
	if "users/"+sub != flow.User {
		log.Warn("consent given by another account; revoking it", "user", flow.User)
		s.revokeUnused(ctx, tok)
		pageWrongAccount(retry()).render(w)
		return
	}
	granted := strings.Fields(stringExtra(tok, "scope"))
	if !hasScopes(granted, s.required(flow.Scopes)) {
		log.Info("consent without every scope", "user", flow.User, "granted", strings.Join(granted, " "))
		// Revoking at Google takes back the whole grant, what the user gave
		// before included: only a first consent is revoked.
		if _, err := s.cfg.Store.GetGrant(ctx, flow.User); errors.Is(err, ErrNotFound) {
			s.revokeUnused(ctx, tok)
		}
		pageMissingScopes(retry()).render(w)
		return
	}
	if err := s.storeGrant(ctx, flow.User, tok, granted); err != nil {
		log.Error("store grant", "user", flow.User, "error", err.Error())
		pageStoreFailed.render(w)
		return
	}
	log.Info("consent stored", "user", flow.User, "scopes", strings.Join(granted, " "))
	if s.allowedRedirect(flow.ConfigURL) {
		http.Redirect(w, r, flow.ConfigURL, http.StatusSeeOther)
		return
	}
	pageDone.render(w)
}

// revokeUnused revokes at Google a grant the bot will not keep, so it does
// not stay granted to the app.
func (s *Service) revokeUnused(ctx context.Context, tok *oauth2.Token) {
	token := tok.RefreshToken
	if token == "" {
		token = tok.AccessToken
	}
	if err := s.revokeAtGoogle(ctx, token); err != nil {
		logging.From(ctx).Warn("could not revoke an unused grant at Google", "error", err.Error())
	}
}

func withRetry(p page, retry string) page {
	if retry != "" {
		p.Action, p.ActionLabel = retry, "Try again"
	}
	return p
}

func (s *Service) verifyIDToken(r *http.Request, tok *oauth2.Token) (string, error) {
	raw := stringExtra(tok, "id_token")
	if raw == "" {
		return "", errors.New("no id_token in the token response")
	}
	p, err := s.cfg.GoogleKeys.Verify(r.Context(), raw)
	if err != nil {
		return "", err
	}
	now := s.cfg.Now()
	switch {
	case p.Audience != s.cfg.ClientID:
		return "", errors.New("id_token audience is not this client")
	case p.Issuer != "https://accounts.google.com" && p.Issuer != "accounts.google.com":
		return "", errors.New("id_token issuer is not Google")
	case !now.Before(time.Unix(p.Expires, 0).Add(time.Minute)):
		return "", errors.New("id_token expired")
	case p.Subject == "":
		return "", errors.New("id_token without sub")
	}
	return p.Subject, nil
}

// allowedRedirect accepts only Chat's own config-complete URLs (or the
// emulator's, when the bot runs against one): never an open redirect.
func (s *Service) allowedRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || u.User != nil {
		return false
	}
	if u.Scheme == "https" && u.Host == "chat.google.com" {
		return true
	}
	if s.cfg.Google.Emulated {
		emu, err := url.Parse(s.cfg.Google.Authorize)
		return err == nil && u.Scheme == emu.Scheme && u.Host == emu.Host
	}
	return false
}

func stringExtra(tok *oauth2.Token, key string) string {
	v, _ := tok.Extra(key).(string)
	return v
}

// describeOAuthError keeps Google's error code and drops anything else.
func describeOAuthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		if code == "" && re.Response != nil {
			code = re.Response.Status
		}
		return "token endpoint: " + code
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func randomSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
