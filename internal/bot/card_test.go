package bot

import (
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// TestCardSaysWhatHappened: the title says what happened and where; the
// counts are the subtitle, not repeated above the card.
func TestCardSaysWhatHappened(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com carol@example.com bob@example.com"}.event()
	ev["space"].(map[string]any)["displayName"] = "Launch"
	r := h.sendEvent([]byte(mustJSON(ev)))
	c := r.msg.CardsV2[0].Card
	if c.Header.Title != "Added and invited to Launch" || c.Header.Subtitle != "1 added · 1 invited · 1 already a member" {
		t.Fatalf("header %+v", c.Header)
	}
	if r.msg.Text != "" {
		t.Fatalf("the summary is shown twice: text %q", r.msg.Text)
	}
	none := h.invite(alice, "AAA", " nobody@example.com")
	if got := none.msg.CardsV2[0].Card.Header.Title; got != "Nobody was added" {
		t.Fatalf("title %q", got)
	}
}

// TestOtherSpaceIsNamed: an invitation into another space names it on
// every line, even when it is the only space, with a link that opens it;
// the title names it in words, never by a raw address.
func TestOtherSpaceIsNamed(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.invite(alice, "AAA", " dave@example.com to spaces/EXT")
	if got := r.lines()["Added (1)"]; len(got) != 1 || got[0] != `dave@example.com · Dave Doer · in <a href="https://chat.google.com/room/EXT">another space</a>` {
		t.Fatalf("line %q", got)
	}
	if got := r.msg.CardsV2[0].Card.Header.Title; got != "Added to another space" {
		t.Fatalf("title %q", got)
	}
	if got := h.invite(alice, "AAA", " carol@example.com").lines()["Invited: they must accept (1)"]; len(got) != 1 || strings.Contains(got[0], " in ") {
		t.Fatalf("this space is named needlessly: %q", got)
	}
}

// TestInviteAppHereNeedsNothing: the app is already in the space the
// command came from: said at once, with no consent asked for.
func TestInviteAppHereNeedsNothing(t *testing.T) {
	h := startBot(t, nil) // no grant at all
	r := h.invite(alice, "AAA", " app")
	if r.configURL() != "" {
		t.Fatalf("asked for consent: %s", r.raw)
	}
	if got := r.lines()["Already a member (1)"]; len(got) != 1 || !strings.Contains(got[0], "Invite is already in this space") {
		t.Fatalf("got %v", r.lines())
	}
	if h.emu.MemberCreates() != 0 {
		t.Fatal("the API was called")
	}
}

// TestNotAMemberOfTheTargetSpace: the caller's membership is read before
// any write (Chat answers 404 alike for a space that does not exist and one
// the caller is not in): nothing is attempted, and the card says both.
func TestNotAMemberOfTheTargetSpace(t *testing.T) {
	h := startBot(t, nil)
	h.grant(bob)
	r := h.invite(bob, "AAA", " dave@example.com to spaces/EXT")
	if h.emu.MemberCreates() != 0 {
		t.Fatal("a membership write was attempted")
	}
	if got := r.lines()["Not found (1)"]; len(got) != 1 || !strings.Contains(got[0], "you are not a member of it") {
		t.Fatalf("got %v", r.lines())
	}
	if _, ok := member(h, "EXT", dave.ID); ok {
		t.Fatal("dave was added")
	}
	_ = emulator.StateJoined
}
