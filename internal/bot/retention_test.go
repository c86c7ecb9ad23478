package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/storage"
)

// TestFinishedInvitationsAreDeleted: a finished large invitation (typed
// addresses, names, outcomes) is kept INVITE_HISTORY_DAYS, on the bot's
// clock, then deleted by the sweep; with 0 days, once its final card shows.
func TestFinishedInvitationsAreDeleted(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name     string
		env      func(t *testing.T) map[string]string
		days     string
		kept     time.Duration // still there this long after it finished
		deleteAt time.Duration // gone this long after
	}{
		{"sqlite, 30 days", func(*testing.T) map[string]string { return map[string]string{} }, "30", 29 * day, 30*day + time.Minute},
		{"postgres, 0 days", postgresEnv, "0", -time.Minute, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t)
			env["INVITE_HISTORY_DAYS"] = tc.days
			if tc.days == "0" {
				env["INVITE_UNDO_HOURS"] = "0" // Undo needs the history
			}
			h := startLarge(t, env)
			h.grant(alice)
			h.invite(alice, "AAA", " "+strings.Join(addPeople(h, "kept", 25), ", "))
			final := h.progress("AAA", func(m chat.Message) bool { return cardID(m) == "invite-result" })
			_, id, ok := strings.Cut(final.Name, "/messages/client-inv-")
			if !ok {
				t.Fatalf("progress message %q", final.Name)
			}
			ctx := context.Background()
			// It is closed just after its final card shows.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				inv, err := h.bot.DB.GetInvitation(ctx, id)
				if err == nil && inv.Finished {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("never closed: %v", err)
				}
			}
			finished := h.clock.Now()
			if n, err := h.bot.sweepHistory(ctx, finished.Add(tc.kept)); err != nil || n != 0 {
				t.Fatalf("swept %d too soon: %v", n, err)
			}
			if n, err := h.bot.sweepHistory(ctx, finished.Add(tc.deleteAt)); err != nil || n != 1 {
				t.Fatalf("swept %d after INVITE_HISTORY_DAYS=%s: %v", n, tc.days, err)
			}
			if _, err := h.bot.DB.GetInvitation(ctx, id); !errors.Is(err, storage.ErrNoInvitation) {
				t.Fatalf("still stored: %v", err)
			}
		})
	}
}
