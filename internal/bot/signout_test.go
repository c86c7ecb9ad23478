package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// callsSince counts the membership calls made in p's name from at on, and
// returns the last one's time.
func callsSince(h *harness, p emulator.Person, at time.Time) (int, time.Time) {
	n, last := 0, time.Time{}
	for _, c := range h.emu.MembershipCalls(p.ID) {
		if !c.Before(at) {
			n, last = n+1, c
		}
	}
	return n, last
}

// waitCalls waits until at least n membership calls were made in p's name.
func waitCalls(t *testing.T, h *harness, p emulator.Person, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for len(h.emu.MembershipCalls(p.ID)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d membership calls in %s's name", len(h.emu.MembershipCalls(p.ID)), p.DisplayName)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// concurrency is how many calls a large invitation has under way at once
// (commands.Deps.Concurrency as bot.New sets it): those already past
// their last check when the sign-out lands may still reach Chat.
const concurrency = 8

// assertStoppedAtSignOut checks the end of an invitation stopped by a
// sign-out seen at signedOut: its final card says why the rest was not
// tried, and no more than most calls in alice's name (those already under
// way) reached Chat after the sign-out, none later than one lease period
// after it.
func assertStoppedAtSignOut(t *testing.T, h *harness, signedOut time.Time, why string, most, total int) {
	t.Helper()
	final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
	sub := final.CardsV2[0].Card.Header.Subtitle
	if !strings.Contains(sub, "not tried") || !strings.Contains(mustJSON(final), why) {
		t.Fatalf("final card after the sign-out: %q, want the rest not tried because %q", sub, why)
	}
	after, last := callsSince(h, alice, signedOut)
	all := len(h.emu.MembershipCalls(alice.ID))
	t.Logf("%d membership calls in alice's name, %d after the sign-out", all, after)
	if after > 0 {
		t.Logf("the last one %v after the sign-out", last.Sub(signedOut))
	}
	if after > most {
		t.Fatalf("%d membership calls in alice's name after she signed out: at most the %d under way may land", after, most)
	}
	if after > 0 && last.Sub(signedOut) > h.cfg.RescueAfter {
		t.Fatalf("a membership call in alice's name %v after the sign-out, more than one lease period (%v)", last.Sub(signedOut), h.cfg.RescueAfter)
	}
	if all >= total {
		t.Fatalf("%d calls for %d people: the invitation went on", all, total)
	}
	if h.hasGrant("users/" + alice.ID) {
		t.Fatal("the grant is still stored")
	}
}

// TestLogoutStopsALargeInvitation: /logout while a large invitation of the
// same user runs stops it; so does Google refusing the grant (revoked in
// the user's Google account) mid-way. With Google's revoke endpoint
// failing the grant is still deleted here, and the invitation still stops.
func TestLogoutStopsALargeInvitation(t *testing.T) {
	for _, tc := range []struct {
		name string
		// signOut withdraws alice's authorization; once it returns, the
		// bot has seen it.
		signOut func(h *harness)
		why     string
		// most calls may still reach Chat: those under way; with a
		// revocation at Google, also those started before Chat's first
		// 401 answer stops the invitation.
		most int
	}{
		{"logout", func(h *harness) { h.sendEvent(logoutEvent(alice)) }, "you signed out", concurrency},
		{"logout while Google's revoke fails", func(h *harness) {
			h.emu.FailRevoke(true)
			if r := h.sendEvent(logoutEvent(alice)); !strings.Contains(r.msg.Text, "could not be reached") || !strings.Contains(r.msg.Text, "stops now") {
				t.Errorf("logout reply: %s", r.raw)
			}
		}, "you signed out", concurrency},
		{"revoked at Google", func(h *harness) { h.emu.RevokeUser(alice.Email) }, "your authorization was withdrawn", 2 * concurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startLarge(t, map[string]string{"INVITE_CONFIRM_OVER": "0"}) // 120 start at once
			h.grant(alice)
			emails := addPeople(h, "so", 120)
			h.invite(alice, "AAA", " "+strings.Join(emails, ", "))
			waitCalls(t, h, alice, 10)
			tc.signOut(h)
			assertStoppedAtSignOut(t, h, h.clock.Now(), tc.why, tc.most, len(emails))
		})
	}
}

// TestLogoutOnOneInstanceStopsTheOther: two instances share PostgreSQL;
// the second works a large invitation when its user signs out through the
// first. The second stops within one lease period, making no call in the
// user's name after the sign-out but those already under way, even with
// Google's revoke failing (its access token still works at Google).
func TestLogoutOnOneInstanceStopsTheOther(t *testing.T) {
	env := postgresEnv(t)
	env["INVITE_CONFIRM_OVER"] = "0" // 120 start at once
	h := startLarge(t, env)
	h.grant(alice)
	first := h.bot
	second := h.restart()
	// The first instance serves requests only: the second does the work.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.jobs.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = second.Handler()
	emails := addPeople(h, "pgso", 120)
	h.invite(alice, "AAA", " "+strings.Join(emails, ", "))
	waitCalls(t, h, alice, 10)
	// The second instance holds a token of alice's that Google still honours.
	h.srv.Config.Handler = first.Handler()
	h.emu.FailRevoke(true)
	if r := h.sendEvent(logoutEvent(alice)); !strings.Contains(r.msg.Text, "stops now") {
		t.Fatalf("logout on the first instance: %s", r.raw)
	}
	assertStoppedAtSignOut(t, h, h.clock.Now(), "you signed out", concurrency, len(emails))
}
