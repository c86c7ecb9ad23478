package bot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/oauthflow"
)

var inviteScopes = []string{commands.ScopeMemberships}

// browser is an HTTP client with its own cookie jar that follows redirects on
// loopback only: Chat's config-complete URL is where it stops.
func browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

type visit struct {
	status   int
	location string
	body     string
}

func get(t testing.TB, c *http.Client, u string) visit {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return visit{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

// noRedirects is a browser that stops at every redirect.
func noRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

const configURL = "https://chat.google.com/api/bot_config_complete?token=abc"

func (h *harness) link(user string, scopes []string) string {
	h.t.Helper()
	l, err := h.bot.Auth.ConsentLink(context.Background(), user, configURL, scopes)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *harness) hasGrant(user string) bool {
	h.t.Helper()
	_, err := h.bot.DB.GetGrant(context.Background(), user)
	if err != nil && err != oauthflow.ErrNotFound {
		h.t.Fatal(err)
	}
	return err == nil
}

// consent runs a whole consent as account and returns the final answer,
// going on past the page that explains an additional permission.
func (h *harness) consent(c *http.Client, link string, decision emulator.Consent) visit {
	h.t.Helper()
	h.emu.SetConsent(&decision)
	v := get(h.t, c, link)
	if v.status == http.StatusOK && strings.Contains(v.body, "Continue to Google") {
		v = get(h.t, c, link+"&go=1")
	}
	return v
}

func TestConsentHappyPath(t *testing.T) {
	h := startBot(t, nil)
	c := browser(t)
	link := h.link("users/"+alice.ID, inviteScopes)
	if !strings.HasPrefix(link, h.srv.URL+"/oauth2/start?") {
		t.Fatalf("link %s", link)
	}

	// The start page redirects to Google's authorization endpoint with
	// everything RFC 9700 asks for.
	start := get(t, noRedirects(c), link)
	if start.status != http.StatusFound {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	auth, _ := url.Parse(start.location)
	q := auth.Query()
	for k, want := range map[string]string{
		"response_type": "code", "client_id": testClientID, "redirect_uri": h.srv.URL + "/oauth2/callback",
		"scope": "openid " + commands.ScopeMemberships, "access_type": "offline", "include_granted_scopes": "true",
		"prompt": "consent", "code_challenge_method": "S256", "login_hint": alice.ID,
	} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if auth.Host != strings.TrimPrefix(h.emu.URL(), "http://") || auth.Path != "/o/oauth2/v2/auth" {
		t.Errorf("authorization endpoint %s", start.location)
	}
	if len(q.Get("state")) < 22 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q or challenge %q too short", q.Get("state"), q.Get("code_challenge"))
	}
	u, _ := url.Parse(h.srv.URL)
	cookies := c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/oauth2/callback"})
	if len(cookies) != 1 {
		t.Fatalf("want one flow cookie, got %v", cookies)
	}

	// Google consents; the callback stores the grant and hands back to Chat.
	h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
	final := get(t, c, start.location)
	if final.status != http.StatusSeeOther || final.location != configURL {
		t.Fatalf("callback: %d %q %s", final.status, final.location, final.body)
	}
	tok, err := h.bot.Auth.AccessToken(context.Background(), "users/"+alice.ID, inviteScopes)
	if err != nil || tok == "" {
		t.Fatalf("token after consent: %q %v", tok, err)
	}
}

func TestConsentRejections(t *testing.T) {
	user := "users/" + alice.ID
	cases := []struct {
		name       string
		run        func(h *harness) visit
		wantStatus int
		wantText   string
	}{
		{"wrong account", func(h *harness) visit {
			return h.consent(browser(h.t), h.link(user, inviteScopes), emulator.Consent{Account: bob.Email})
		}, http.StatusForbidden, "Sign in with the account you use in Chat"},
		{"access denied", func(h *harness) visit {
			return h.consent(browser(h.t), h.link(user, inviteScopes), emulator.Consent{Account: alice.Email, Deny: true})
		}, http.StatusOK, "You did not authorize Invite"},
		{"missing scope", func(h *harness) visit {
			return h.consent(browser(h.t), h.link(user, inviteScopes), emulator.Consent{Account: alice.Email, Withhold: []string{commands.ScopeMemberships}})
		}, http.StatusOK, "needs every permission"},
		{"tampered link", func(h *harness) visit {
			l := h.link(user, inviteScopes)
			i := strings.Index(l, "l=") + 10
			flipped := map[byte]byte{'A': 'B', 'B': 'A'}[l[i]]
			if flipped == 0 {
				flipped = 'A'
			}
			return get(h.t, browser(h.t), l[:i]+string(flipped)+l[i+1:])
		}, http.StatusBadRequest, "This link does not work"},
		{"link used twice", func(h *harness) visit {
			l := h.link(user, inviteScopes)
			c := browser(h.t)
			get(h.t, noRedirects(c), l)
			return get(h.t, noRedirects(c), l)
		}, http.StatusBadRequest, "already used"},
		{"expired link", func(h *harness) visit {
			l := h.link(user, inviteScopes)
			h.clock.Advance(oauthflow.LinkLifetime + time.Second)
			return get(h.t, browser(h.t), l)
		}, http.StatusBadRequest, "expired"},
		{"expired state", func(h *harness) visit {
			c := browser(h.t)
			start := get(h.t, noRedirects(c), h.link(user, inviteScopes))
			h.clock.Advance(oauthflow.LinkLifetime + time.Second)
			h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
			return get(h.t, c, start.location)
		}, http.StatusBadRequest, "could not match this sign-in"},
		{"replayed state", func(h *harness) visit {
			c := browser(h.t)
			start := get(h.t, noRedirects(c), h.link(user, inviteScopes))
			h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
			cb := get(h.t, noRedirects(c), start.location) // emulator → callback URL
			first := get(h.t, noRedirects(c), cb.location)
			if first.status != http.StatusSeeOther {
				h.t.Fatalf("first callback: %d %s", first.status, first.body)
			}
			if err := h.bot.Auth.Forget(context.Background(), user); err != nil {
				h.t.Fatal(err)
			}
			return get(h.t, noRedirects(c), cb.location)
		}, http.StatusBadRequest, "could not match this sign-in"},
		{"callback from another browser", func(h *harness) visit {
			start := get(h.t, noRedirects(browser(h.t)), h.link(user, inviteScopes))
			h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
			return get(h.t, browser(h.t), start.location)
		}, http.StatusBadRequest, "Finish in the browser you started in"},
		{"unknown state", func(h *harness) visit {
			return get(h.t, browser(h.t), h.srv.URL+"/oauth2/callback?state=forged&code=x")
		}, http.StatusBadRequest, "could not match this sign-in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startBot(t, nil)
			got := tc.run(h)
			if got.status != tc.wantStatus || !strings.Contains(got.body, tc.wantText) {
				t.Fatalf("got %d %q\n%s", got.status, got.location, got.body)
			}
			if h.hasGrant(user) {
				t.Fatal("a grant was stored")
			}
			// Consent that failed the account or scope check is not left
			// granted at Google.
			if n := h.emu.ActiveGrants(alice.Email) + h.emu.ActiveGrants(bob.Email); n != 0 && (tc.name == "wrong account" || tc.name == "missing scope") {
				t.Fatalf("%d grants left active at Google", n)
			}
			for _, secret := range h.emu.IssuedSecrets() {
				if strings.Contains(got.body, secret) {
					t.Fatal("the page shows a token")
				}
			}
		})
	}
}

// TestRetryAfterRejection: the "Try again" link on the wrong-account page
// starts a working consent for the same Chat user.
func TestRetryAfterRejection(t *testing.T) {
	h := startBot(t, nil)
	c := browser(t)
	page := h.consent(c, h.link("users/"+alice.ID, inviteScopes), emulator.Consent{Account: bob.Email})
	i := strings.Index(page.body, `id="action" href="`)
	if i < 0 {
		t.Fatalf("no retry link:\n%s", page.body)
	}
	rest := page.body[i+len(`id="action" href="`):]
	retry := strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
	final := h.consent(c, retry, emulator.Consent{Account: alice.Email})
	if final.status != http.StatusSeeOther || !h.hasGrant("users/"+alice.ID) {
		t.Fatalf("retry: %d %s", final.status, final.body)
	}
}

// TestAnotherBrowserCannotBurnTheFlow: a callback from another browser is
// refused without using up the real user's flow.
func TestAnotherBrowserCannotBurnTheFlow(t *testing.T) {
	h := startBot(t, nil)
	mine := browser(t)
	start := get(t, noRedirects(mine), h.link("users/"+alice.ID, inviteScopes))
	h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
	cb := get(t, noRedirects(mine), start.location)
	if v := get(t, browser(t), cb.location); v.status != http.StatusBadRequest {
		t.Fatalf("other browser: %d", v.status)
	}
	if v := get(t, noRedirects(mine), cb.location); v.status != http.StatusSeeOther {
		t.Fatalf("own browser after the attempt: %d %s", v.status, v.body)
	}
}

func (h *harness) consentAs(user string, account emulator.Person, scopes []string) {
	h.t.Helper()
	v := h.consent(browser(h.t), h.link(user, scopes), emulator.Consent{Account: account.Email})
	if v.status != http.StatusSeeOther {
		h.t.Fatalf("consent: %d %s", v.status, v.body)
	}
}

func TestInvalidGrantAsksAgain(t *testing.T) {
	h := startBot(t, nil)
	user := "users/" + alice.ID
	h.consentAs(user, alice, inviteScopes)
	h.emu.RevokeUser(alice.Email)
	h.clock.Advance(emulator.AccessTokenLifetime) // the cached access token expires
	_, err := h.bot.Auth.AccessToken(context.Background(), user, inviteScopes)
	var cr *oauthflow.ConsentRequiredError
	if !errorsAs(err, &cr) {
		t.Fatalf("err = %v, want consent required", err)
	}
	if h.hasGrant(user) {
		t.Fatal("a dead grant was kept")
	}
}

func TestRefreshPersistsAndCollapses(t *testing.T) {
	h := startBot(t, nil)
	user := "users/" + alice.ID
	h.consentAs(user, alice, inviteScopes)
	before, _ := h.bot.DB.GetGrant(context.Background(), user)
	h.clock.Advance(emulator.AccessTokenLifetime)
	calls := h.emu.RefreshCalls()
	var wg sync.WaitGroup
	tokens := make([]string, 20)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := h.bot.Auth.AccessToken(context.Background(), user, inviteScopes)
			if err != nil {
				t.Error(err)
			}
			tokens[i] = tok
		}()
	}
	wg.Wait()
	if got := h.emu.RefreshCalls() - calls; got != 1 {
		t.Fatalf("%d refresh calls for 20 concurrent requests, want 1", got)
	}
	for _, tok := range tokens[1:] {
		if tok != tokens[0] {
			t.Fatal("concurrent callers got different tokens")
		}
	}
	after, _ := h.bot.DB.GetGrant(context.Background(), user)
	if !after.AccessExpiry.After(before.AccessExpiry) || bytes.Equal(after.AccessToken, before.AccessToken) {
		t.Fatal("the refreshed token was not persisted")
	}
}

// TestRefreshedTokenIsReused: a refreshed token is dated by the bot's own
// clock, so the next caller uses it instead of refreshing again.
func TestRefreshedTokenIsReused(t *testing.T) {
	h := startBot(t, nil)
	user := "users/" + alice.ID
	h.consentAs(user, alice, inviteScopes)
	h.clock.Advance(emulator.AccessTokenLifetime)
	calls := h.emu.RefreshCalls()
	first, err := h.bot.Auth.AccessToken(context.Background(), user, inviteScopes)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.bot.Auth.AccessToken(context.Background(), user, inviteScopes)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.emu.RefreshCalls() - calls; got != 1 || second != first {
		t.Fatalf("%d refresh calls for two requests in a row (same token: %v), want 1", got, second == first)
	}
}

func TestCiphertextSwappedBetweenUsers(t *testing.T) {
	h := startBot(t, nil)
	h.consentAs("users/"+alice.ID, alice, inviteScopes)
	h.consentAs("users/"+bob.ID, bob, inviteScopes)
	ctx := context.Background()
	a, _ := h.bot.DB.GetGrant(ctx, "users/"+alice.ID)
	b, _ := h.bot.DB.GetGrant(ctx, "users/"+bob.ID)
	b.RefreshToken, b.AccessToken = a.RefreshToken, a.AccessToken
	if err := h.bot.DB.PutGrant(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A fresh instance on the same store has no cache to hide behind.
	other := h.restart()
	if tok, err := other.Auth.AccessToken(ctx, "users/"+bob.ID, inviteScopes); err == nil {
		t.Fatalf("bob got a token from alice's ciphertext: %q", tok)
	}
}

func TestNoPlaintextAtRest(t *testing.T) {
	h := startBot(t, nil)
	h.consentAs("users/"+alice.ID, alice, inviteScopes)
	h.clock.Advance(emulator.AccessTokenLifetime)
	if _, err := h.bot.Auth.AccessToken(context.Background(), "users/"+alice.ID, inviteScopes); err != nil {
		t.Fatal(err)
	}
	if err := h.bot.Close(); err != nil { // checkpoint the WAL into the file
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(h.cfg.DataDir, "bot.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	secrets := h.emu.IssuedSecrets()
	if len(secrets) < 3 {
		t.Fatalf("only %d secrets issued", len(secrets))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				t.Fatalf("%s holds a token in the clear", filepath.Base(f))
			}
		}
	}
}

// restart builds a second bot on the same configuration and store.
func (h *harness) restart() *Bot {
	h.t.Helper()
	b, err := New(context.Background(), h.cfg, h.deps)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { b.Close() })
	return b
}

// TestSpacesScopeMayBeUnticked: the read-only spaces scope rides along
// with every first consent (for the form's space picker), but a person may
// untick it on Google's screen: the consent is kept, and the picker offers
// the permission again when used. Any other scope unticked is refused
// (TestConsentRejections).
func TestSpacesScopeMayBeUnticked(t *testing.T) {
	h := startBot(t, nil)
	user := "users/" + alice.ID
	asked := append(slices.Clone(inviteScopes), commands.ScopeSpacesRead)
	got := h.consent(browser(t), h.link(user, asked), emulator.Consent{Account: alice.Email, Withhold: []string{commands.ScopeSpacesRead}})
	if strings.Contains(got.body, "needs every permission") || !h.hasGrant(user) {
		t.Fatalf("a consent without the optional scope was refused: %d %s", got.status, got.body)
	}
	if _, err := h.bot.Auth.AccessToken(context.Background(), user, inviteScopes); err != nil {
		t.Fatalf("token for what was granted: %v", err)
	}
	if _, err := h.bot.Auth.AccessToken(context.Background(), user, []string{commands.ScopeSpacesRead}); err == nil {
		t.Fatal("a token for the scope that was unticked")
	}
}
