package storage

import (
	"context"
	"testing"

	"github.com/chatinvite/invitebot/internal/commands/slotstest"
	"github.com/chatinvite/invitebot/internal/storage/storagetest"
)

// TestSharedSlotsNeverOverQuota: two instances sharing PostgreSQL, each
// reserving write slots at once, stay within one quota between them.
func TestSharedSlotsNeverOverQuota(t *testing.T) {
	url := storagetest.PostgresURL(t)
	var dbs []*DB
	for range 2 {
		db, err := Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	slotstest.NeverOverQuota(t, dbs[0].Slots(), dbs[1].Slots())
}

func TestSQLiteKeepsSlotsInMemory(t *testing.T) {
	db, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Slots() != nil {
		t.Fatal("a single SQLite instance needs no shared ledger")
	}
}
