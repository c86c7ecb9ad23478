package storagetest

import (
	"bufio"
	"context"
	"database/sql"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as one of the helper processes below.
const helperEnv = "STORAGETEST_HELPER"

// TestHelperProcess is not a test: the tests below run the test binary as a
// separate process that plays a test run.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "killed-run":
		// A run that is killed while its database is in use.
		os.Stdout.WriteString("DATABASE " + dbName(t, PostgresURL(t)) + "\n")
		select {} // until killed
	case "skipping-run":
		for _, name := range []string{"one", "two", "three"} {
			t.Run(name, func(t *testing.T) { PostgresURL(t) })
		}
	}
}

func dbName(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func helper(t *testing.T, role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + role}, env...)...)
	// No controlling terminal: the skip notice goes to standard error.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// TestSkipNoticeOncePerRun: without TEST_DATABASE_URL, a run prints one
// line saying the PostgreSQL tests are skipped, however many skip.
func TestSkipNoticeOncePerRun(t *testing.T) {
	cmd := helper(t, "skipping-run", "TEST_DATABASE_URL=", "CI=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "PostgreSQL tests skipped: TEST_DATABASE_URL is not set"); n != 1 {
		t.Fatalf("the notice is printed %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(string(out), "internal/storage/storagetest: PostgreSQL tests skipped") {
		t.Errorf("the notice does not name the package:\n%s", out)
	}
	if n := strings.Count(string(out), "--- SKIP"); n != 3 {
		t.Errorf("%d tests skipped, want 3:\n%s", n, out)
	}
}

// TestKilledRunsDatabaseIsDropped: a run killed before its cleanups leaves
// its database behind; the next run drops it, and leaves alone the
// databases of runs still going.
func TestKilledRunsDatabaseIsDropped(t *testing.T) {
	admin := os.Getenv("TEST_DATABASE_URL")
	live := dbName(t, PostgresURL(t)) // this run's own: must survive the sweep

	cmd := helper(t, "killed-run")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var name string
	for sc := bufio.NewScanner(stdout); sc.Scan(); {
		if n, ok := strings.CutPrefix(sc.Text(), "DATABASE "); ok {
			name = n
			break
		}
	}
	if name == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the helper run made no database")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exists := func(name string) bool {
		var ok bool
		if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !exists(name) {
		t.Fatalf("the killed run's database %s is already gone: nothing to sweep", name)
	}
	// The server notices the killed process's connection close on its own
	// time: sweep until the database is gone, within a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for exists(name) {
		if ctx.Err() != nil {
			t.Fatalf("the killed run's database %s was not dropped", name)
		}
		if err := sweep(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if !exists(live) {
		t.Fatalf("the sweep dropped %s, a database of a live run", live)
	}
}

// TestCICreatesTheNamedDatabase: .ci/run creates the database that
// TEST_DATABASE_URL names, on the server it names, whatever its name.
func TestCICreatesTheNamedDatabase(t *testing.T) {
	for url, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/ci_invite?sslmode=disable": "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable ci_invite",
		"postgres://u:p@db.internal/x":                                 "postgres://u:p@db.internal/postgres x",
		"postgres://db.internal":                                       "",
		"postgres://db.internal/a-b;drop":                              "",
	} {
		cmd := exec.Command("bash", "../../../.ci/run", "--test-database")
		cmd.Env = append(os.Environ(), "TEST_DATABASE_URL="+url)
		out, err := cmd.Output()
		got := strings.TrimSpace(string(out))
		switch {
		case want == "" && err == nil:
			t.Errorf("%s: accepted as %q", url, got)
		case want != "" && (err != nil || got != want):
			t.Errorf("%s: %q, %v; want %q", url, got, err, want)
		}
	}
}
