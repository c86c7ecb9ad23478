package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenAs is an access token of account with scope.
func tokenAs(t *testing.T, e *Emulator, account, verifier, scope string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	e.SetConsent(&Consent{Account: account})
	q := url.Values{"client_id": {"c"}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "response_type": {"code"}, "scope": {scope},
		"state": {"st"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, err := noFollow.Get(e.URL() + "/o/oauth2/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	_, out := token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {"s"}})
	tok, _ := out["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token for %s: %v", account, out)
	}
	return tok
}

// TestAdminAccessAsGoogleDoes: useAdminAccess=true on create, get, list
// and delete (chat/v1 discovery document;
// developers.google.com/workspace/chat/admin-overview): the privilege and
// chat.admin.memberships are needed (403 otherwise), membership of the
// caller is not; apps and people of other organizations are not
// supported; list needs its member.type filter; Chat names "the
// organization's administrator" as who did it.
func TestAdminAccessAsGoogleDoes(t *testing.T) {
	e := start(t)
	e.AddPerson(Person{ID: "3", Email: "c@example.com", AutoAccept: true})
	e.AddPerson(Person{ID: "5", Email: "x@other.example", AutoAccept: true})
	e.AddSpace(Space{ID: "S", Domain: "example.com", ExternalAllowed: true})
	e.AddMember("S", "3", RoleOwner)
	e.AddMember("S", "app", RoleMember)
	e.SetAdmin("1", true) // a@example.com, not a member of S
	admin := tokenAs(t, e, "a@example.com", "verifier-verifier-verifier-verifier-verifier-1", ScopeAdminMemberships)
	adminPlain := tokenAs(t, e, "a@example.com", "verifier-verifier-verifier-verifier-verifier-2", ScopeMemberships)
	notAdmin := tokenAs(t, e, "b@example.com", "verifier-verifier-verifier-verifier-verifier-3", ScopeAdminMemberships)
	call := func(method, tok, path, body string) int {
		var req *http.Request
		if body == "" {
			req, _ = http.NewRequest(method, e.URL()+path, nil)
		} else {
			req, _ = http.NewRequest(method, e.URL()+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		status, _ := do(t, req)
		return status
	}
	person := func(name string) string { return `{"member":{"name":"` + name + `","type":"HUMAN"}}` }
	cases := []struct {
		name              string
		method, tok, path string
		body              string
		want              int
	}{
		{"create without useAdminAccess, not a member", "POST", admin, "/v1/spaces/S/members", person("users/b@example.com"), 403},
		{"create without the admin scope", "POST", adminPlain, "/v1/spaces/S/members?useAdminAccess=true", person("users/b@example.com"), 403},
		{"create without the privilege", "POST", notAdmin, "/v1/spaces/S/members?useAdminAccess=true", person("users/c@example.com"), 403},
		{"create as admin", "POST", admin, "/v1/spaces/S/members?useAdminAccess=true", person("users/b@example.com"), 200},
		{"create the app as admin", "POST", admin, "/v1/spaces/S/members?useAdminAccess=true", `{"member":{"name":"users/app","type":"BOT"}}`, 400},
		{"create an outsider as admin", "POST", admin, "/v1/spaces/S/members?useAdminAccess=true", person("users/x@other.example"), 400},
		{"get as admin", "GET", admin, "/v1/spaces/S/members/c@example.com?useAdminAccess=true", "", 200},
		{"list as admin without the filter", "GET", admin, "/v1/spaces/S/members?useAdminAccess=true", "", 400},
		{"list as admin", "GET", admin, "/v1/spaces/S/members?useAdminAccess=true&filter=" + url.QueryEscape(`member.type != "BOT"`), "", 200},
		{"delete the app as admin", "DELETE", admin, "/v1/spaces/S/members/app?useAdminAccess=true", "", 400},
		{"delete without the privilege", "DELETE", notAdmin, "/v1/spaces/S/members/3?useAdminAccess=true", "", 403},
		{"delete an owner as admin", "DELETE", admin, "/v1/spaces/S/members/3?useAdminAccess=true", "", 200},
	}
	for _, c := range cases {
		if got := call(c.method, c.tok, c.path, c.body); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	for _, m := range e.Members("S") {
		if m.Key == "2" && m.AddedBy != AdminActor {
			t.Fatalf("added by %q, want the organization's administrator", m.AddedBy)
		}
		if m.Key == "1" {
			t.Fatal("the administrator became a member")
		}
	}
	if by := e.RemovedBy("S", "3"); by != AdminActor {
		t.Fatalf("removed by %q", by)
	}
}
