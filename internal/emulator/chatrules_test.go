package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	chat "google.golang.org/api/chat/v1"
)

// TestDialogSubmissionIsClosedOrContinued: a dialog submission is answered
// by closing the dialog or with another dialog
// (developers.google.com/workspace/chat/dialogs; …/add-ons/chat/dialogs):
// {} or a message leaves the dialog open, and is refused, in both shapes.
func TestDialogSubmissionIsClosedOrContinued(t *testing.T) {
	for _, addOn := range []bool{false, true} {
		app := ChatApp{Endpoint: "https://invite.example/chat/events", AddOn: addOn, Commands: []SlashCommand{{ID: 1, Name: "/invite"}}}
		submit, err := app.ClickEvent(Click{User: Person{ID: "1"}, Space: Space{ID: "S", Type: SpaceTypeSpace}, DialogEventType: "SUBMIT_DIALOG",
			Action: &chat.GoogleAppsCardV1Action{Function: map[bool]string{false: "invite", true: "https://invite.example/chat/events"}[addOn],
				Parameters: []*chat.GoogleAppsCardV1ActionParameter{{Key: "command", Value: "invite"}}}, Inputs: map[string]string{"people": "a@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		var ok, refused []string
		if addOn {
			ok = []string{
				`{"action":{"navigations":[{"endNavigation":{"action":"CLOSE_DIALOG"}}],"notification":{"text":"1 added"}}}`,
				`{"action":{"navigations":[{"pushCard":{"sections":[]}}]}}`,
			}
			refused = []string{
				`{}`,
				`{"hostAppDataAction":{"chatDataAction":{"createMessageAction":{"message":{"text":"1 added"}}}}}`,
			}
		} else {
			ok = []string{
				`{"actionResponse":{"type":"DIALOG","dialogAction":{"actionStatus":{"statusCode":"OK","userFacingMessage":"1 added"}}}}`,
				`{"actionResponse":{"type":"DIALOG","dialogAction":{"dialog":{"body":{"sections":[]}}}}}`,
			}
			refused = []string{
				`{}`,
				`{"text":"1 added"}`,
				`{"actionResponse":{"type":"NEW_MESSAGE"},"text":"1 added"}`,
			}
		}
		for _, r := range ok {
			if err := app.CheckReply(submit, []byte(r)); err != nil {
				t.Errorf("addOn=%v: %s refused: %v", addOn, r, err)
			}
		}
		for _, r := range refused {
			if err := app.CheckReply(submit, []byte(r)); !errors.Is(err, ErrRefused) {
				t.Errorf("addOn=%v: %s accepted in answer to SUBMIT_DIALOG", addOn, r)
			}
		}
	}
}

// TestListMembersAsGoogleDoes: spaces.members.list gives pages of 100
// unless pageSize says (at most 1,000, negative refused), groups only with
// showGroups, invited people only with showInvited, and member.email for
// people in the space (the User resource).
func TestListMembersAsGoogleDoes(t *testing.T) {
	e := start(t)
	e.AddSpace(Space{ID: "S", Domain: "example.com"})
	e.AddMember("S", "1", RoleOwner)
	e.AddGroup("g", "G")
	e.AddMember("S", "groups/g", "")
	for i := range 150 {
		id := fmt.Sprintf("5%03d", i)
		e.AddPerson(Person{ID: id, Email: fmt.Sprintf("p%d@example.com", i), AutoAccept: true})
		e.AddMember("S", id, RoleMember)
	}
	e.mu.Lock()
	e.state.chat.spaces["S"].members["5000"].State = StateInvited
	e.mu.Unlock()
	c := code(t, e, "verifier-verifier-verifier-verifier-verifier-1", ScopeMemberships)
	_, tok := token(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {"verifier-verifier-verifier-verifier-verifier-1"},
		"redirect_uri": {"http://127.0.0.1:1/cb"}, "client_id": {"c"}, "client_secret": {"s"}})
	list := func(q string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/v1/spaces/S/members?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
		return do(t, req)
	}
	count := func(out map[string]any) int { ms, _ := out["memberships"].([]any); return len(ms) }
	if status, out := list(""); status != 200 || count(out) != 100 || out["nextPageToken"] == nil {
		t.Fatalf("default page: %d, %d memberships, token %v", status, count(out), out["nextPageToken"])
	}
	if _, out := list("pageSize=5000"); count(out) != 150 || out["nextPageToken"] != nil {
		t.Fatalf("all joined people in one page: %d", count(out))
	}
	if status, _ := list("pageSize=-1"); status != 400 {
		t.Fatalf("negative pageSize: %d", status)
	}
	if _, out := list("pageSize=1000&showGroups=true&showInvited=true"); count(out) != 152 {
		t.Fatalf("with groups and invited: %d", count(out))
	}
	_, out := list("pageSize=1")
	m := out["memberships"].([]any)[0].(map[string]any)["member"].(map[string]any)
	if m["email"] != "a@example.com" {
		t.Fatalf("member.email not given: %v", m)
	}
}

// TestDeleteMemberAsGoogleDoes: spaces.members.delete names the member by
// id, by email, by the group membership's id, or "app" (which needs
// chat.memberships.app); a non-member is 404; only space managers remove
// others, and only a space manager removes a space manager; anyone may
// remove themselves. Membership names follow Google's pattern
// spaces/{space}/members/{member}.
func TestDeleteMemberAsGoogleDoes(t *testing.T) {
	e := start(t)
	e.AddPerson(Person{ID: "3", Email: "c@example.com", AutoAccept: true})
	e.AddPerson(Person{ID: "4", Email: "d@example.com", AutoAccept: true})
	e.AddSpace(Space{ID: "S", Domain: "example.com"})
	e.AddMember("S", "1", RoleOwner)
	e.AddMember("S", "2", RoleMember)
	e.AddMember("S", "3", RoleMember)
	e.AddMember("S", "4", RoleOwner)
	e.AddMember("S", "app", RoleMember)
	e.AddGroup("g", "G")
	e.AddMember("S", "groups/g", "")
	tokenOf := func(account, verifier, scope string) string {
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
		return out["access_token"].(string)
	}
	owner := tokenOf("a@example.com", "verifier-verifier-verifier-verifier-verifier-1", ScopeMemberships)
	member := tokenOf("b@example.com", "verifier-verifier-verifier-verifier-verifier-2", ScopeMemberships)
	del := func(tok, member string) int {
		req, _ := http.NewRequest(http.MethodDelete, e.URL()+"/v1/spaces/S/members/"+member, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		status, _ := do(t, req)
		return status
	}
	cases := []struct {
		name   string
		tok    string
		member string
		want   int
	}{
		{"a member removes another", member, "3", 403},
		{"a non-member", owner, "99", 404},
		{"the app without chat.memberships.app", owner, "app", 403},
		{"an owner removes a member by email", owner, "c@example.com", 200},
		{"gone already", owner, "3", 404},
		{"a group by its membership id", owner, "group-g", 200},
		{"a member removes themselves", member, "2", 200},
		{"an owner removes an owner", owner, "4", 200},
	}
	for _, c := range cases {
		if got := del(c.tok, c.member); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if n := e.MemberDeletes(); n != 4 {
		t.Fatalf("%d deletes counted, want 4", n)
	}
}

// TestGroupAddressIsNoPerson: Chat adds a Google Group only as groupMember
// groups/{id} (Membership.groupMember.name in the chat/v1 discovery
// document); users/{a group's address} names no account: 404.
func TestGroupAddressIsNoPerson(t *testing.T) {
	e, err := Start("", WithAutoPeople("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	e.AddPerson(Person{ID: "1", Email: "a@example.com"})
	e.AddSpace(Space{ID: "S", Domain: "example.com"})
	e.AddMember("S", "1", RoleOwner)
	e.AddGroup("eng", "Engineering")
	e.SetGroupAddress("eng", "eng@example.com")
	e.mu.Lock()
	status, _, _, _ := e.create(e.state.people["1"], "S", wireMembership{Member: &wireUser{Name: "users/eng@example.com"}}, "users/eng@example.com", false)
	groupStatus, _, _, _ := e.create(e.state.people["1"], "S", wireMembership{GroupMember: &struct {
		Name string `json:"name"`
	}{"groups/eng"}}, "groups/eng", false)
	e.mu.Unlock()
	if status != 404 || groupStatus != 200 {
		t.Fatalf("by address %d (want 404), as groups/eng %d (want 200)", status, groupStatus)
	}
}
