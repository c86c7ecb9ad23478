package storage

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/oauthflow"
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
			t.Run("replies", func(t *testing.T) { testReplies(t, open(t)) })
			t.Run("concurrent use is single", func(t *testing.T) { testSingleUse(t, open(t)) })
			t.Run("leases", func(t *testing.T) { testLeases(t, open(t)) })
		})
	}
}

func testGrants(t *testing.T, db *DB) {
	ctx := context.Background()
	if _, err := db.GetGrant(ctx, "users/1"); !errors.Is(err, oauthflow.ErrNotFound) {
		t.Fatalf("missing grant: %v", err)
	}
	created := time.UnixMilli(1_700_000_000_000)
	g := &oauthflow.Grant{User: "users/1", RefreshToken: []byte{1, 2}, AccessToken: []byte{3}, AccessExpiry: created.Add(time.Hour),
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
	if _, err := db.GetGrant(ctx, "users/1"); !errors.Is(err, oauthflow.ErrNotFound) {
		t.Fatalf("deleted grant: %v", err)
	}
}

func testFlows(t *testing.T, db *DB) {
	ctx := context.Background()
	f := &oauthflow.Flow{StateHash: []byte("s1"), User: "users/1", ConfigURL: "https://chat.google.com/x", Scopes: []string{"openid"},
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
	if err := db.UseFlow(ctx, []byte("s1"), time.Now()); !errors.Is(err, oauthflow.ErrUsed) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := db.GetFlow(ctx, []byte("nope")); !errors.Is(err, oauthflow.ErrNotFound) {
		t.Fatalf("unknown flow: %v", err)
	}
}

func testLinks(t *testing.T, db *DB) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := db.UseLink(ctx, []byte("n1"), exp); err != nil {
		t.Fatal(err)
	}
	if err := db.UseLink(ctx, []byte("n1"), exp); !errors.Is(err, oauthflow.ErrUsed) {
		t.Fatalf("replayed link: %v", err)
	}
}

// testReplies: a remembered reply answers until it expires; the first one
// stored is kept; expired ones are forgotten as new ones are stored.
func testReplies(t *testing.T, db *DB) {
	ctx := context.Background()
	now := time.Now()
	if _, found, err := db.GetReply(ctx, "spaces/A/messages/1", now); found || err != nil {
		t.Fatalf("missing reply: found %v, %v", found, err)
	}
	if err := db.PutReply(ctx, "spaces/A/messages/1", "users/1", []byte("first"), now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutReply(ctx, "spaces/A/messages/1", "users/1", []byte("second"), now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, found, err := db.GetReply(ctx, "spaces/A/messages/1", now); !found || err != nil || string(got) != "first" {
		t.Fatalf("got %q %v %v, want the first reply kept", got, found, err)
	}
	later := now.Add(2 * time.Minute)
	if _, found, _ := db.GetReply(ctx, "spaces/A/messages/1", later); found {
		t.Fatal("an expired reply answered")
	}
	if err := db.PutReply(ctx, "spaces/A/messages/2", "users/1", []byte("r"), later, later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM remembered_replies`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want the expired one forgotten", n, err)
	}
	if err := db.PutReply(ctx, "spaces/A/messages/1", "users/1", []byte("again"), later, later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.GetReply(ctx, "spaces/A/messages/1", later); string(got) != "again" {
		t.Fatalf("got %q after the first expired", got)
	}
}

// testSingleUse: of many concurrent uses of one flow and one link, one wins.
func testSingleUse(t *testing.T, db *DB) {
	ctx := context.Background()
	if err := db.PutFlow(ctx, &oauthflow.Flow{StateHash: []byte("race"), User: "u", Verifier: []byte("v"), BindingHash: []byte("b"), ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
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
			} else if !errors.Is(errFlow, oauthflow.ErrUsed) {
				t.Errorf("flow: %v", errFlow)
			}
			if errLink == nil {
				linkWins++
			} else if !errors.Is(errLink, oauthflow.ErrUsed) {
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

// TestPostgresOverAUnixSocket: Cloud SQL reaches App Engine and Cloud Run
// as a Unix socket (DATABASE_URL host=/cloudsql/PROJECT:REGION:INSTANCE);
// the same form, against this machine's PostgreSQL socket.
func TestPostgresOverAUnixSocket(t *testing.T) {
	tcp := storagetest.PostgresURL(t)
	const dir = "/var/run/postgresql"
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		t.Skipf("no PostgreSQL socket in %s", dir)
	}
	u, err := url.Parse(tcp)
	if err != nil {
		t.Fatal(err)
	}
	socket := "postgres://" + u.User.String() + "@" + u.Path + "?host=" + dir
	db, err := Open(context.Background(), socket, "")
	if err != nil {
		t.Fatalf("open %s: %v", socket, err)
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
