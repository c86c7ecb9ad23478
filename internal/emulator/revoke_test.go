package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// TestRevokeForgetsGrantedScopes: after a revoke, as at Google, a new
// consent with include_granted_scopes grants only what it asks for; the
// scopes of the revoked grant are not added back.
func TestRevokeForgetsGrantedScopes(t *testing.T) {
	e := start(t)
	const verifier = "the-verifier-of-at-least-43-characters-xxxxxx"
	consent := func(scope string) map[string]any {
		t.Helper()
		sum := sha256.Sum256([]byte(verifier))
		e.SetConsent(&Consent{Account: "a@example.com"})
		q := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {scope},
			"state": {"st"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
			"include_granted_scopes": {"true"}, "access_type": {"offline"}}
		resp, err := noFollow.Get(e.URL() + "/o/oauth2/v2/auth?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		status, out := token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "code_verifier": {verifier},
			"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {"s"}})
		if status != 200 {
			t.Fatalf("exchange: %d %v", status, out)
		}
		return out
	}
	first := consent("openid " + ScopeMembershipsApp)
	if got := consent("openid " + ScopeMemberships)["scope"]; got != ScopeMemberships+" "+ScopeMembershipsApp+" openid" {
		t.Fatalf("incremental consent granted %q, want both scopes", got)
	}
	resp, err := http.PostForm(e.URL()+"/revoke", url.Values{"token": {first["access_token"].(string)}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	resp.Body.Close()
	if n := e.ActiveGrants("a@example.com"); n != 0 {
		t.Fatalf("%d grants still active after a revoke", n)
	}
	if got := consent("openid " + ScopeMemberships)["scope"]; got != ScopeMemberships+" openid" {
		t.Fatalf("after a revoke the consent granted %q: the revoked scopes came back", got)
	}
}
