package sandbox

import (
	"fmt"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestSandboxFormOffersSpaces: after the first consent (which asks for the
// read-only spaces scope with the form's), the sandbox's form lists Ana's
// spaces in a multiselect, and a picked one is invited to.
func TestSandboxFormOffersSpaces(t *testing.T) {
	s := startSandbox(t, Options{})
	s.chat.send("1001", "launch", "/invite", nil)
	consentAndRun(t, s, "launch", "1001", "ana@example.com")
	r := clickOnCard(t, s, "launch", "1001", "Open the form")
	if r.Error != "" || r.Dialog == nil {
		t.Fatalf("the form did not open: %+v", r)
	}
	var pick *chat.GoogleAppsCardV1SelectionInput
	var invite *chat.GoogleAppsCardV1Action
	for _, sec := range r.Dialog.Sections {
		for _, w := range sec.Widgets {
			if w.SelectionInput != nil && w.SelectionInput.Name == "pick" {
				pick = w.SelectionInput
			}
			if w.ButtonList != nil {
				for _, b := range w.ButtonList.Buttons {
					if b.Text == "Invite" && b.OnClick != nil {
						invite = b.OnClick.Action
					}
				}
			}
		}
	}
	if pick == nil || invite == nil {
		t.Fatalf("no picker or no Invite button: %+v", r.Dialog)
	}
	var items []string
	for _, it := range pick.Items {
		items = append(items, it.Text)
	}
	if got := fmt.Sprint(items); got != "[Alumni Design Launch (this space) Partners]" {
		t.Fatalf("picker lists %s", got)
	}
	done := s.chat.clickWith("1001", "launch", invite, "SUBMIT_DIALOG", map[string]string{"people": "dan@example.com"}, map[string][]string{"pick": {"spaces/design"}})
	if done.Error != "" {
		t.Fatal(done.Error)
	}
	if st := memberState(s, "design", "1005"); st != emulator.StateJoined {
		t.Fatalf("Dan in Design: %q, want joined", st)
	}
}
