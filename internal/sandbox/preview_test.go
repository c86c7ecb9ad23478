package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"
)

// clickOnCard clicks, as userID, the button named text on the latest card
// in spaceID that has one, as the page would.
func clickOnCard(t *testing.T, s *Sandbox, spaceID, userID, text string) sendResult {
	t.Helper()
	stream := s.chat.visible(spaceID, userID)
	for i := len(stream) - 1; i >= 0; i-- {
		var cards []*chat.CardWithId
		if len(stream[i].Cards) == 0 || json.Unmarshal(stream[i].Cards, &cards) != nil {
			continue
		}
		for _, c := range cards {
			for _, sec := range c.Card.Sections {
				for _, w := range sec.Widgets {
					if w.ButtonList == nil {
						continue
					}
					for _, b := range w.ButtonList.Buttons {
						if b.Text == text && b.OnClick != nil && b.OnClick.Action != nil {
							return s.chat.click(userID, spaceID, b.OnClick.Action, "", nil)
						}
					}
				}
			}
		}
	}
	t.Fatalf("no %q button in %s", text, spaceID)
	return sendResult{}
}

// TestSandboxCopyIsConfirmed: copying Alumni first shows its preview with
// Start and Cancel, and nothing is added until Ana clicks Start; Cancel
// changes nothing.
func TestSandboxCopyIsConfirmed(t *testing.T) {
	s := startSandbox(t, Options{QuotaWindow: time.Second, MembershipWrites: 200})
	before := len(s.Emulator.Members("partners"))
	s.chat.send("1001", "partners", "/invite members of spaces/alumni", nil)
	consentAndRun(t, s, "partners", "1001", "ana@example.com")
	var preview string
	for _, m := range s.chat.visible("partners", "1001") {
		if strings.Contains(string(m.Cards), "invite-preview") {
			preview = string(m.Cards)
		}
	}
	if !strings.Contains(preview, "would be added to Partners") || !strings.Contains(preview, `"Start"`) {
		t.Fatalf("no preview with Start: %s", preview)
	}
	if r := clickOnCard(t, s, "partners", "1001", "Cancel"); r.Error != "" {
		t.Fatal(r.Error)
	}
	if n := len(s.Emulator.Members("partners")); n != before {
		t.Fatalf("a cancelled copy changed the members: %d, were %d", n, before)
	}
	last := s.chat.visible("partners", "1001")
	if got := last[len(last)-1].Text; got != "Cancelled, nothing was changed." {
		t.Fatalf("cancel answered %q", got)
	}
}
