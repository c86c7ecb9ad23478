package bot

import (
	"net/http"
	"strings"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestInviteGroupByAddress: a Google Group pasted by its address is added
// as the group (Chat's groupMember groups/{id}), found with Cloud Identity's
// groups.lookup only after Chat said nobody has the address; its scope is
// asked for only then, on a page that says what the person asked for in
// their words; the card names the group and counts it as a group.
func TestInviteGroupByAddress(t *testing.T) {
	h := startBot(t, nil)
	h.emu.SetGroupAddress("eng", "eng@example.com")
	h.grant(alice)

	first := h.invite(alice, "AAA", " eng@example.com dave@example.com")
	if got := first.lines()["Not found (1)"]; len(got) != 1 || !strings.Contains(got[0], "no Google account with this email (if it is a Google Group") {
		t.Fatalf("the address is not said to maybe be a group: %v\n%s", first.lines(), first.raw)
	}
	if n := h.emu.GroupLookups(); n != 0 {
		t.Fatalf("%d lookups without the scope", n)
	}
	var link string
	for _, c := range first.msg.CardsV2 {
		for _, s := range c.Card.Sections {
			for _, w := range s.Widgets {
				if w.ButtonList != nil && w.ButtonList.Buttons[0].Text == "Allow group lookups" {
					link = w.ButtonList.Buttons[0].OnClick.OpenLink.Url
				}
			}
		}
	}
	if link == "" {
		t.Fatalf("no button to allow group lookups: %s", first.raw)
	}

	c := browser(t)
	h.emu.SetConsent(&emulator.Consent{Account: alice.Email})
	page := get(t, c, link)
	for _, want := range []string{"one more permission", "You asked Invite to add eng@example.com as a Google Group.", "look groups up"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page before Google's screen lacks %q", want)
		}
	}
	for _, never := range []string{"googleapis", "cloud-identity", "chat.memberships"} {
		if strings.Contains(page.body, never) {
			t.Errorf("the page names the API: %q", never)
		}
	}
	if done := get(t, c, link+"&go=1"); done.status != http.StatusOK || !strings.Contains(done.body, "all set") {
		t.Fatalf("consent: %d %s", done.status, done.body)
	}

	again := h.invite(alice, "AAA", " eng@example.com carol@example.com")
	card := again.msg.CardsV2[0].Card
	if card.Header.Title != "Added and invited to this space" || card.Header.Subtitle != "1 group added · 1 invited" {
		t.Errorf("header %q / %q", card.Header.Title, card.Header.Subtitle)
	}
	if m, ok := member(h, "AAA", "groups/eng"); !ok || m.State != emulator.StateJoined {
		t.Fatalf("the group was not added: %+v\n%s", m, again.raw)
	}
	if got := again.lines()["Added (1)"]; len(got) != 1 || !strings.Contains(got[0], "eng@example.com | Engineering (group)") {
		t.Fatalf("the group's line: %v", again.lines())
	}
	if n := h.emu.GroupLookups(); n != 1 {
		t.Fatalf("%d lookups, want 1 (a person's address is never looked up)", n)
	}
	if strings.Contains(string(again.raw), "Allow group lookups") {
		t.Fatalf("the permission is offered again: %s", again.raw)
	}
}

// TestLargeInvitationGroupByAddress: in the background too, a group's
// address is added as the group, and the final card counts it as a group
// (the target is stored as resolved).
func TestLargeInvitationGroupByAddress(t *testing.T) {
	h := startLarge(t, nil)
	h.emu.SetGroupAddress("eng", "eng@example.com")
	h.grant(alice, commands.ScopeMemberships, commands.ScopeGroupsRead)
	emails := addPeople(h, "grp", 24)
	h.invite(alice, "AAA", " "+strings.Join(append(emails, "eng@example.com"), ", "))
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; !strings.HasPrefix(got, "24 people and 1 group added") {
		t.Fatalf("final card: %q", got)
	}
	if _, ok := member(h, "AAA", "groups/eng"); !ok {
		t.Fatal("the group was not added")
	}
}
