package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// A test run's databases are named testDBPrefix + its run id + a random
// suffix. The run holds a PostgreSQL advisory lock (lockClass, run id) on
// one connection for as long as its process lives; the server releases it
// when the process ends, however it ends (kill -9 included). Databases
// whose run holds no lock are left over from a run that was killed before
// its cleanups ran: the first PostgreSQL test of every run drops them.
const (
	testDBPrefix = "invitebot_t_"
	lockClass    = 0x1b07 // the advisory locks of test runs, apart from the bot's own
)

var leftover = regexp.MustCompile(`^` + testDBPrefix + `([0-9]+)_[0-9a-f]+$`)

// run is this process's test run on the server TEST_DATABASE_URL names.
var run struct {
	once sync.Once
	id   int32
	lock *sql.Conn // holds the advisory lock; never closed
	err  error
}

// startRun takes this run's lock, then drops the databases of runs that
// hold none. It runs once per process: once per package under go test.
func startRun(admin string) (int32, error) {
	run.once.Do(func() {
		var b [4]byte
		_, _ = rand.Read(b[:])
		run.id = int32(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
		run.err = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, err := sql.Open("pgx", admin)
			if err != nil {
				return fmt.Errorf("open TEST_DATABASE_URL: %w", err)
			}
			if run.lock, err = db.Conn(ctx); err != nil {
				return fmt.Errorf("connect to TEST_DATABASE_URL: %w", err)
			}
			if _, err := run.lock.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", lockClass, run.id); err != nil {
				return fmt.Errorf("take the test run's lock: %w", err)
			}
			return sweep(ctx, db)
		}()
	})
	return run.id, run.err
}

// sweep drops every test database whose run holds no lock any more.
func sweep(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1`, testDBPrefix+"%")
	if err != nil {
		return fmt.Errorf("list test databases: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list test databases: %w", err)
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list test databases: %w", err)
	}
	for _, name := range names {
		m := leftover.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		id, err := strconv.ParseInt(m[1], 10, 32)
		if err != nil {
			continue
		}
		var live bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted)`, lockClass, id).Scan(&live); err != nil {
			return fmt.Errorf("check test run %d: %w", id, err)
		}
		if live {
			continue
		}
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop leftover test database %s: %w", name, err)
		}
	}
	return nil
}

var notice sync.Once

// skipNotice prints, once per process, that the PostgreSQL half of the
// tests is skipped. go test shows nothing of a passing package's output,
// so the line goes to the terminal when there is one (else to standard
// error, shown with -v or on failure); each skipped test still says why.
func skipNotice() {
	notice.Do(func() {
		var w io.Writer = os.Stderr
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer tty.Close()
			w = tty
		}
		fmt.Fprintf(w, "%s: PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)\n", packageName())
	})
}

// packageName names the package under test (go test runs each package's
// tests in its folder) by its path in the module.
func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "tests"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
				return filepath.ToSlash(rel)
			}
			return filepath.Base(wd)
		}
		if filepath.Dir(dir) == dir {
			return filepath.Base(wd)
		}
	}
}
