package emulator

import (
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
