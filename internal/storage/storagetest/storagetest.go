// Package storagetest gives tests a fresh database of each engine: a SQLite
// file in a temporary folder, or a new PostgreSQL database on the server
// named by TEST_DATABASE_URL, dropped when the test ends (or, after a run
// that was killed, by the next run).
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
)

// PostgresURL creates an empty database and returns its URL. Without
// TEST_DATABASE_URL the test is skipped with a notice, except under CI,
// where PostgreSQL must be there and its absence fails the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set under CI: PostgreSQL tests must run there")
		}
		skipNotice()
		t.Skip("TEST_DATABASE_URL is not set: skipping the PostgreSQL tests (set it, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	runID, err := startRun(admin)
	if err != nil {
		t.Fatalf("PostgreSQL test run: %v", err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open TEST_DATABASE_URL: %v", err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("%s%d_%s", testDBPrefix, runID, hex.EncodeToString(b))
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
