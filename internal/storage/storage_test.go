package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/storage/storagetest"
)

// locations gives Open's arguments for a new, empty store of each engine.
var locations = map[string]func(t *testing.T) (databaseURL, dataDir string){
	"sqlite":   func(t *testing.T) (string, string) { return "", t.TempDir() },
	"postgres": func(t *testing.T) (string, string) { return storagetest.PostgresURL(t), "" },
}

// TestStore runs one suite against every backend.
func TestStore(t *testing.T) {
	for name, location := range locations {
		open := func(t *testing.T) *DB {
			url, dir := location(t)
			db, err := Open(context.Background(), url, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("grants", func(t *testing.T) { testGrants(t, open(t)) })
			t.Run("flows", func(t *testing.T) { testFlows(t, open(t)) })
			t.Run("links", func(t *testing.T) { testLinks(t, open(t)) })
			t.Run("results", func(t *testing.T) { testResults(t, open(t)) })
			t.Run("expired results", func(t *testing.T) { testSweepResults(t, open(t)) })
			t.Run("concurrent use is single", func(t *testing.T) { testSingleUse(t, open(t)) })
		})
	}
}

func testGrants(t *testing.T, db *DB) {
	ctx := context.Background()
	if _, err := db.GetGrant(ctx, "users/1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing grant: %v", err)
	}
	created := time.UnixMilli(1_700_000_000_000)
	g := &Grant{User: "users/1", RefreshToken: []byte{1, 2}, AccessToken: []byte{3}, AccessExpiry: created.Add(time.Hour),
		Scopes: []string{"a", "b"}, CreatedAt: created, UpdatedAt: created}
	if err := db.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	g2 := *g
	g2.RefreshToken, g2.AccessToken, g2.CreatedAt, g2.UpdatedAt = []byte{9}, nil, created.Add(time.Hour), created.Add(time.Hour)
	if err := db.PutGrant(ctx, &g2); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetGrant(ctx, "users/1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.RefreshToken, []byte{9}) || len(got.AccessToken) != 0 || !got.CreatedAt.Equal(created) ||
		!got.UpdatedAt.Equal(created.Add(time.Hour)) || len(got.Scopes) != 2 || !got.AccessExpiry.Equal(created.Add(time.Hour)) {
		t.Fatalf("got %+v", got)
	}
	if err := db.DeleteGrant(ctx, "users/1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGrant(ctx, "users/1"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := db.GetGrant(ctx, "users/1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted grant: %v", err)
	}
}

func testFlows(t *testing.T, db *DB) {
	ctx := context.Background()
	f := &Flow{StateHash: []byte("s1"), User: "users/1", ConfigURL: "https://chat.google.com/x", Scopes: []string{"openid"},
		Verifier: []byte("v"), BindingHash: []byte("b"), ExpiresAt: time.Now().Add(time.Minute).Truncate(time.Millisecond)}
	if err := db.PutFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := db.PutFlow(ctx, f); err == nil {
		t.Fatal("a second flow with the same state was accepted")
	}
	got, err := db.GetFlow(ctx, []byte("s1"))
	if err != nil || got.User != "users/1" || got.ConfigURL != f.ConfigURL || !got.ExpiresAt.Equal(f.ExpiresAt) || !got.UsedAt.IsZero() {
		t.Fatalf("got %+v, %v", got, err)
	}
	if err := db.UseFlow(ctx, []byte("s1"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.UseFlow(ctx, []byte("s1"), time.Now()); !errors.Is(err, ErrUsed) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := db.GetFlow(ctx, []byte("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown flow: %v", err)
	}
}

func testLinks(t *testing.T, db *DB) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := db.UseLink(ctx, []byte("n1"), exp); err != nil {
		t.Fatal(err)
	}
	if err := db.UseLink(ctx, []byte("n1"), exp); !errors.Is(err, ErrUsed) {
		t.Fatalf("replayed link: %v", err)
	}
}

func testResults(t *testing.T, db *DB) {
	ctx := context.Background()
	now := time.Now()
	if _, err := db.GetResult(ctx, "spaces/A/messages/1", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing result: %v", err)
	}
	if err := db.PutResult(ctx, "spaces/A/messages/1", "users/1", []byte("card"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GetResult(ctx, "spaces/A/messages/1", now); err != nil || string(got) != "card" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := db.GetResult(ctx, "spaces/A/messages/1", now.Add(2*time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired result: %v", err)
	}
	if err := db.PutResult(ctx, "spaces/A/messages/1", "users/1", []byte("card2"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetResult(ctx, "spaces/A/messages/1", now); string(got) != "card2" {
		t.Fatalf("replaced result: %q", got)
	}
	// Once flushed, the result is in the table, for every instance.
	for i := range 50 {
		if err := db.PutResult(ctx, fmt.Sprintf("spaces/A/messages/b%d", i), "users/1", []byte("c"), now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	db.Flush()
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM command_results WHERE expires_at > $1`, millis(now)).Scan(&n); err != nil || n != 51 {
		t.Fatalf("%d rows written (%v), want 51", n, err)
	}
	if n := db.results.pendingCount(); n != 0 {
		t.Fatalf("%d results still pending after Flush", n)
	}
	// A batch of 103 takes statements of 64, 32, 4, 2 and 1 rows; one of
	// them replaces a result already stored.
	batch := []pendingResult{{message: "spaces/A/messages/1", user: "users/2", result: []byte("card3"), expires: now.Add(time.Minute)}}
	for i := range 102 {
		batch = append(batch, pendingResult{message: fmt.Sprintf("spaces/A/messages/m%d", i), user: "users/1", result: []byte{byte(i)}, expires: now.Add(time.Minute)})
	}
	if err := db.putResults(batch); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM command_results WHERE expires_at > $1`, millis(now)).Scan(&n); err != nil || n != 51+102 {
		t.Fatalf("%d rows after the batch (%v), want %d", n, err, 51+102)
	}
	for _, p := range []pendingResult{batch[0], batch[64], batch[102]} {
		var user string
		var result []byte
		if err := db.sql.QueryRowContext(ctx, `SELECT user_name, result FROM command_results WHERE message_name = $1`, p.message).Scan(&user, &result); err != nil ||
			user != p.user || !bytes.Equal(result, p.result) {
			t.Fatalf("%s: %s %q (%v), want %s %q", p.message, user, result, err, p.user, p.result)
		}
	}
}

// testSweepResults: expired results are deleted in chunks, the rest stay.
func testSweepResults(t *testing.T, db *DB) {
	ctx := context.Background()
	now := time.Now()
	var batch []pendingResult
	for i := range resultSweepChunk + 3 { // more than one chunk
		batch = append(batch, pendingResult{message: fmt.Sprintf("spaces/A/messages/old%d", i), user: "users/1", result: []byte("r"), expires: now.Add(-time.Minute)})
	}
	for i := range 7 {
		batch = append(batch, pendingResult{message: fmt.Sprintf("spaces/A/messages/new%d", i), user: "users/1", result: []byte("r"), expires: now.Add(time.Minute)})
	}
	if err := db.putResults(batch); err != nil {
		t.Fatal(err)
	}
	deleted, err := db.sweepResults(now)
	if err != nil || deleted != resultSweepChunk+3 {
		t.Fatalf("deleted %d (%v), want %d", deleted, err, resultSweepChunk+3)
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM command_results`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("%d rows left (%v), want the 7 unexpired", n, err)
	}
}

// testSingleUse: of many concurrent uses of one flow and one link, one wins.
func testSingleUse(t *testing.T, db *DB) {
	ctx := context.Background()
	if err := db.PutFlow(ctx, &Flow{StateHash: []byte("race"), User: "u", Verifier: []byte("v"), BindingHash: []byte("b"), ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	flowWins, linkWins := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errFlow := db.UseFlow(ctx, []byte("race"), time.Now())
			errLink := db.UseLink(ctx, []byte("race"), time.Now().Add(time.Hour))
			mu.Lock()
			defer mu.Unlock()
			if errFlow == nil {
				flowWins++
			} else if !errors.Is(errFlow, ErrUsed) {
				t.Errorf("flow: %v", errFlow)
			}
			if errLink == nil {
				linkWins++
			} else if !errors.Is(errLink, ErrUsed) {
				t.Errorf("link: %v", errLink)
			}
		}()
	}
	wg.Wait()
	if flowWins != 1 || linkWins != 1 {
		t.Fatalf("flow wins %d, link wins %d, want 1 each", flowWins, linkWins)
	}
}

// TestConcurrentMigrations: instances starting at once all succeed.
func TestConcurrentMigrations(t *testing.T) {
	for name, target := range locations {
		t.Run(name, func(t *testing.T) {
			url, dir := target(t)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := Open(context.Background(), url, dir)
					if err == nil {
						err = db.Close()
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("concurrent open: %v", err)
				}
			}
		})
	}
}

func TestRejectsOtherURLs(t *testing.T) {
	if _, err := Open(context.Background(), "mysql://x", ""); err == nil {
		t.Fatal("accepted a mysql URL")
	}
}

// TestResultsSurviveRestart: a result stored before a restart answers after
// it (on SQLite through the name index loaded at start).
func TestResultsSurviveRestart(t *testing.T) {
	for name, target := range locations {
		t.Run(name, func(t *testing.T) {
			url, dir := target(t)
			ctx := context.Background()
			now := time.Now()
			db, err := Open(ctx, url, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.PutResult(ctx, "spaces/A/messages/r", "users/1", []byte("card"), now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil { // writes what is pending
				t.Fatal(err)
			}
			db, err = Open(ctx, url, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got, err := db.GetResult(ctx, "spaces/A/messages/r", now); err != nil || string(got) != "card" {
				t.Fatalf("after restart: %q %v", got, err)
			}
			if _, err := db.GetResult(ctx, "spaces/A/messages/other", now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown message: %v", err)
			}
		})
	}
}

// TestConcurrentSweeps: instances sharing PostgreSQL sweep at once without
// failing, and together delete every expired result.
func TestConcurrentSweeps(t *testing.T) {
	url := storagetest.PostgresURL(t)
	ctx := context.Background()
	var dbs [3]*DB
	for i := range dbs {
		db, err := Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	now := time.Now()
	var batch []pendingResult
	for i := range 3 * resultSweepChunk {
		batch = append(batch, pendingResult{message: fmt.Sprintf("spaces/A/messages/%d", i), user: "users/1", result: []byte("r"), expires: now.Add(-time.Minute)})
	}
	if err := dbs[0].putResults(batch); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	deleted := make([]int64, len(dbs))
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { deleted[i], errs[i] = db.sweepResults(now) })
	}
	wg.Wait()
	var total int64
	for i := range dbs {
		if errs[i] != nil {
			t.Fatalf("sweep %d: %v", i, errs[i])
		}
		total += deleted[i]
	}
	if total != int64(len(batch)) {
		t.Fatalf("deleted %d in all, want %d", total, len(batch))
	}
}

// TestNameIndexKeepsLatestExpiry: names sharing a key never hide one that
// is still stored.
func TestNameIndexKeepsLatestExpiry(t *testing.T) {
	known := map[uint32]uint32{}
	know(known, 7, 100)
	know(known, 7, 50)
	if known[7] != 100 {
		t.Fatalf("expiry %d, want the later 100", known[7])
	}
	w := &resultWriter{seed: maphash.MakeSeed(), pending: map[string]pendingResult{}}
	at := func(sec int64) time.Time { return time.Unix(sec, 0) }
	w.known = map[uint32]uint32{w.nameKey("spaces/A/messages/1"): knownExpiry(at(100).Add(500 * time.Millisecond))}
	if _, _, maybe := w.get("spaces/A/messages/1", at(100)); !maybe {
		t.Fatal("a name stored until 100.5 s was skipped at 100 s")
	}
	if _, _, maybe := w.get("spaces/A/messages/1", at(102)); maybe {
		t.Fatal("a name expired at 100.5 s still reads as stored at 102 s")
	}
}

// TestNameIndexLoadsInBackground: on SQLite the name index loads after Open
// returns; until it is in place look-ups read the table, and a result put
// while it loads (after the load read the table) is still in it afterwards.
func TestNameIndexLoadsInBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now()
	db, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutResult(ctx, "spaces/A/messages/before", "users/1", []byte("one"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	<-db.results.indexLoaded
	if _, _, maybe := db.results.get("spaces/A/messages/before", now); !maybe {
		t.Fatal("the loaded index lacks a stored name")
	}
	if _, _, maybe := db.results.get("spaces/A/messages/never", now); maybe {
		t.Fatal("the loaded index does not rule out a name never stored")
	}

	// A load as at start, with a result written between its read and its
	// installation.
	w := db.results
	w.beginIndex()
	if got, err := db.GetResult(ctx, "spaces/A/messages/before", now); err != nil || string(got) != "one" {
		t.Fatalf("while the index loads: %q %v, want the stored result", got, err)
	}
	known, err := w.readIndex(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutResult(ctx, "spaces/A/messages/during", "users/1", []byte("two"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	db.Flush()
	w.installIndex(known)
	if w.known == nil {
		t.Fatal("the index was not installed")
	}
	for name, want := range map[string]string{"spaces/A/messages/before": "one", "spaces/A/messages/during": "two"} {
		if got, err := db.GetResult(ctx, name, now); err != nil || string(got) != want {
			t.Fatalf("%s after the load: %q %v, want %q", name, got, err, want)
		}
	}
}
