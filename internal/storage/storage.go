// Package storage keeps the bot's durable records in SQL: an embedded SQLite
// file by default, PostgreSQL when several instances share one database. It
// implements the stores its users declare (oauthflow.Store for grants,
// consent flows and used links; commands.ReplyStore for remembered
// replies) and stores what it is given: encryption is the caller's.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite", pure Go
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// Supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the bot's database. With SQLite, writes go through one connection
// of their own (SQLite has one writer at a time: queueing them in Go avoids
// its busy errors), while reads share a pool.
type DB struct {
	sql     *sql.DB // reads
	w       *sql.DB // writes
	dialect Dialect
	// lastSweep is when expired replies were last deleted (Unix ms).
	lastSweep atomic.Int64
	// now dates what the store records without being given a time (an
	// invitation's end).
	now func() time.Time
}

// SetClock makes the store date what it records without being given a
// time (when an invitation finished) by now; call it before any use.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Open connects to databaseURL (postgres://… or postgresql://…), or, when it
// is empty, to the SQLite file dataDir/bot.db; then runs the migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case databaseURL == "":
		db, err = openSQLite(filepath.Join(dataDir, "bot.db"))
	case strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://"):
		db, err = openPostgres(databaseURL)
	default:
		return nil, errors.New("DATABASE_URL: want postgres://… (or leave it unset for the embedded SQLite store)")
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	db := &DB{sql: sqlDB, w: writer, dialect: SQLite, now: time.Now}
	if err := writer.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		db.Close()
		return nil, fmt.Errorf("protect %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(url string) (*DB, error) {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(20)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{sql: sqlDB, w: sqlDB, dialect: Postgres, now: time.Now}, nil
}

// Ping checks the database answers, for readiness.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.dialect, err)
	}
	return nil
}

// Close closes the connections.
func (db *DB) Close() error {
	err := db.sql.Close()
	if db.w != db.sql {
		err = errors.Join(err, db.w.Close())
	}
	return err
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
