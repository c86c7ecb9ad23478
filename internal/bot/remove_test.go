package bot

import (
	"strings"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/emulator"
)

func (h *harness) remove(p emulator.Person, space, args string) reply {
	h.t.Helper()
	return h.sendEvent(chatEvent{User: p, Space: space, Command: "/remove", Args: args}.JSON())
}

// TestRemove: /remove takes /invite's targets and removes them with the
// user's own authorization (spaces.members.delete): removed, not a member,
// a group by its membership; one card like /invite's.
func TestRemove(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.AddMember("AAA", "groups/eng", "")
	r := h.remove(alice, "AAA", " bob@example.com, dave@example.com, groups/eng")
	if got := r.subtitle(t); got != "1 person and 1 group removed · 1 not a member" {
		t.Fatalf("card %q: %v", got, r.lines())
	}
	if title := r.msg.CardsV2[0].Card.Header.Title; title != "Removed from this space" {
		t.Fatalf("title %q", title)
	}
	if _, ok := member(h, "AAA", bob.ID); ok {
		t.Fatal("bob is still a member")
	}
	if _, ok := member(h, "AAA", "groups/eng"); ok {
		t.Fatal("the group is still a member")
	}
	if n := h.emu.MemberDeletes(); n != 2 {
		t.Fatalf("%d deletes for 2 members", n)
	}
}

// TestRemoveNeedsASpaceManager: Chat lets only space managers remove
// others; the card says so, and with INVITE_REQUIRE_MANAGER nothing is
// even tried.
func TestRemoveNeedsASpaceManager(t *testing.T) {
	h := startBot(t, nil)
	h.grant(bob)
	r := h.remove(bob, "AAA", " alice@example.com")
	if got := r.lines()["Not allowed (1)"]; len(got) != 1 || !strings.Contains(got[0], "only space managers") {
		t.Fatalf("got %v", r.lines())
	}
	if _, ok := member(h, "AAA", alice.ID); !ok {
		t.Fatal("alice was removed by a plain member")
	}
	strict := startBot(t, map[string]string{"INVITE_REQUIRE_MANAGER": "true"})
	strict.grant(bob)
	r = strict.remove(bob, "AAA", " alice@example.com")
	if got := r.lines()["Not tried (1)"]; len(got) != 1 || !strings.Contains(got[0], "only owners and managers of that space may remove") {
		t.Fatalf("got %v", r.lines())
	}
	if strict.emu.MemberDeletes() != 0 {
		t.Fatal("a delete was attempted against the policy")
	}
	// The manager rule is about others: anyone may leave.
	if got := strict.remove(bob, "AAA", " me").subtitle(t); got != "1 removed" {
		t.Fatalf("/remove me under the manager rule: %q", got)
	}
}

// TestRemoveMeOnlyByTheWord: naming oneself by address removes nobody;
// "/remove me" leaves.
func TestRemoveMeOnlyByTheWord(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.grant(bob)
	r := h.remove(alice, "AAA", " alice@example.com")
	if got := r.lines()["Not tried (1)"]; len(got) != 1 || !strings.Contains(got[0], "/remove me") {
		t.Fatalf("got %v", r.lines())
	}
	if _, ok := member(h, "AAA", alice.ID); !ok {
		t.Fatal("alice removed herself by accident")
	}
	if got := h.remove(bob, "AAA", " me").subtitle(t); got != "1 removed" {
		t.Fatalf("/remove me: %q", got)
	}
	if _, ok := member(h, "AAA", bob.ID); ok {
		t.Fatal("bob did not leave")
	}
}

// TestRemoveTheApp: removing the app needs chat.memberships.app, asked
// for when first needed.
func TestRemoveTheApp(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.AddMember("EXT", "app", emulator.RoleMember)
	if r := h.remove(alice, "AAA", " app from spaces/EXT"); r.configURL() == "" {
		t.Fatalf("want consent for chat.memberships.app: %s", r.raw)
	}
	h.grant(alice, commands.ScopeMemberships, commands.ScopeMembershipsApp)
	h.emu.AddMember("EXT", alice.ID, emulator.RoleOwner)
	if got := h.remove(alice, "AAA", " app from spaces/EXT").subtitle(t); got != "1 removed" {
		t.Fatalf("card %q", got)
	}
	if _, ok := member(h, "EXT", "app"); ok {
		t.Fatal("the app is still in EXT")
	}
}

// TestRemoveLargeInTheBackground: more than 20 removals go to the
// background with progress and Stop, on the same quota as additions.
func TestRemoveLargeInTheBackground(t *testing.T) {
	h := startLarge(t, nil)
	h.grant(alice)
	emails := addPeople(h, "leaver", 25)
	for _, e := range emails {
		p, _ := h.emu.PersonByEmail(e)
		h.emu.AddMember("AAA", p.ID, emulator.RoleMember)
	}
	h.remove(alice, "AAA", " "+strings.Join(emails, ", "))
	running := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-progress" })
	if !strings.HasPrefix(running.CardsV2[0].Card.Header.Title, "Removing 25 people") {
		t.Fatalf("progress %q", running.CardsV2[0].Card.Header.Title)
	}
	findButtonIn(t, running, "Stop")
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	if got := final.CardsV2[0].Card.Header.Subtitle; got != "25 removed" {
		t.Fatalf("final %q", got)
	}
	for _, e := range emails {
		p, _ := h.emu.PersonByEmail(e)
		if _, ok := member(h, "AAA", p.ID); ok {
			t.Fatalf("%s is still a member", e)
		}
	}
}
