package storage

import (
	"context"
	"testing"

	"github.com/chatinvite/invitebot/internal/quota"
	"github.com/chatinvite/invitebot/internal/quota/slotstest"
	"github.com/chatinvite/invitebot/internal/storage/storagetest"
)

// TestSharedSlotsNeverOverQuota: two instances sharing PostgreSQL, each
// reserving write slots at once, stay within one quota between them.
func TestSharedSlotsNeverOverQuota(t *testing.T) {
	url := storagetest.PostgresURL(t)
	slotstest.NeverOverQuota(t, openSlots(t, url, "")(), openSlots(t, url, "")())
}

// TestSQLiteSlotsNeverOverQuota: the single SQLite instance's ledger keeps
// the same rule.
func TestSQLiteSlotsNeverOverQuota(t *testing.T) {
	slotstest.NeverOverQuota(t, openSlots(t, "", t.TempDir())())
}

// TestSlotsSurviveARestart: an instance opened again on the same store
// (restarted after kill -9) still counts the slots taken before, on
// either engine.
func TestSlotsSurviveARestart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		slotstest.SurvivesRestart(t, openSlots(t, "", t.TempDir()))
	})
	t.Run("postgres", func(t *testing.T) {
		slotstest.SurvivesRestart(t, openSlots(t, storagetest.PostgresURL(t), ""))
	})
}

// openSlots returns a function that opens the store anew, as a starting
// instance does, and returns its ledger; the previous one is left open,
// as a killed instance's would be, until the test ends.
func openSlots(t *testing.T, url, dir string) func() quota.Slots {
	return func() quota.Slots {
		db, err := Open(context.Background(), url, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Slots()
	}
}
