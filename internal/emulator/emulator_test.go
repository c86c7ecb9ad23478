package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func start(t *testing.T) *Emulator {
	t.Helper()
	e, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	e.AddPerson(Person{ID: "1", Email: "a@example.com", DisplayName: "A", AutoAccept: true})
	e.AddPerson(Person{ID: "2", Email: "b@example.com", DisplayName: "B", AutoAccept: false})
	e.RegisterClient("c", "s", "http://127.0.0.1:1/cb")
	return e
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// code runs the authorization endpoint as account and returns the code.
func code(t *testing.T, e *Emulator, verifier, scope string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	e.SetConsent(&Consent{Account: "a@example.com"})
	q := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {scope},
		"state": {"st"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, err := noFollow.Get(e.URL() + "/o/oauth2/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize redirected to %s", loc)
	}
	return loc.Query().Get("code")
}

// do sends req and decodes its JSON answer.
func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func token(t *testing.T, e *Emulator, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL()+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func TestTokenEndpoint(t *testing.T) {
	e := start(t)
	exchange := func(c, verifier, secret string) (int, map[string]any) {
		return token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {verifier},
			"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {secret}})
	}
	c := code(t, e, "the-verifier-of-at-least-43-characters-xxxxxx", "openid "+ScopeMemberships)
	if status, out := exchange(c, "the-verifier-of-at-least-43-characters-xxxxxx", "wrong"); status != 401 || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, out)
	}
	if status, out := exchange(c, "another-verifier-of-at-least-43-characters-xx", "s"); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong PKCE verifier: %d %v", status, out)
	}
	status, out := exchange(c, "the-verifier-of-at-least-43-characters-xxxxxx", "s")
	if status != 200 || out["refresh_token"] == nil || out["id_token"] == nil || out["scope"] != "https://www.googleapis.com/auth/chat.memberships openid" {
		t.Fatalf("exchange: %d %v", status, out)
	}
	if status, out := exchange(c, "the-verifier-of-at-least-43-characters-xxxxxx", "s"); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("code reused: %d %v", status, out)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {"c"}, "client_secret": {"s"}}
	if status, out := token(t, e, refresh); status != 200 || out["access_token"] == nil {
		t.Fatalf("refresh: %d %v", status, out)
	}
	resp, err := http.PostForm(e.URL()+"/revoke", url.Values{"token": {out["refresh_token"].(string)}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	resp.Body.Close()
	if status, out := token(t, e, refresh); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", status, out)
	}
}

func TestAuthorizeRefusesBadRequests(t *testing.T) {
	e := start(t)
	for name, q := range map[string]url.Values{
		"unknown client":     {"client_id": {"x"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {"openid"}, "code_challenge": {"c"}, "code_challenge_method": {"S256"}},
		"other redirect uri": {"client_id": {"c"}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {"openid"}, "code_challenge": {"c"}, "code_challenge_method": {"S256"}},
		"no PKCE":            {"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {"openid"}},
		"plain PKCE":         {"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {"openid"}, "code_challenge": {"c"}, "code_challenge_method": {"plain"}},
	} {
		resp, err := noFollow.Get(e.URL() + "/o/oauth2/v2/auth?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
	}
}

func TestChatAPIChecksCallerAndScope(t *testing.T) {
	e := start(t)
	e.AddSpace(Space{ID: "S", Domain: "example.com"})
	e.AddMember("S", "1", RoleOwner)
	e.AddSpace(Space{ID: "T", Domain: "example.com"})
	grant := func(scope string) string {
		c := code(t, e, "verifier-verifier-verifier-verifier-verifier-1", scope)
		_, out := token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {"verifier-verifier-verifier-verifier-verifier-1"},
			"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {"s"}})
		return out["access_token"].(string)
	}
	create := func(bearer, space, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.URL()+"/v1/spaces/"+space+"/members", strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		return do(t, req)
	}
	person := `{"member":{"name":"users/b@example.com","type":"HUMAN"}}`
	if status, _ := create("", "S", person); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	if status, _ := create(grant("openid"), "S", person); status != 403 {
		t.Fatalf("without the memberships scope: %d", status)
	}
	tok := grant(ScopeMemberships)
	if status, _ := create(tok, "T", person); status != 403 {
		t.Fatalf("caller not a member: %d", status)
	}
	if status, out := create(tok, "S", person); status != 200 || out["state"] != StateInvited {
		t.Fatalf("invite b: %d %v", status, out)
	}
	if status, out := create(tok, "S", person); status != 409 || out["error"].(map[string]any)["status"] != "ALREADY_EXISTS" {
		t.Fatalf("again: %d %v", status, out)
	}
	if status, _ := create(tok, "S", `{"member":{"name":"users/app","type":"BOT"}}`); status != 403 {
		t.Fatalf("the app without chat.memberships.app: %d", status)
	}
}
