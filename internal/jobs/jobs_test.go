package jobs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/storage"
	"github.com/chatinvite/invitebot/internal/storage/storagetest"
)

// stalling is an instance's leases that stop being renewed while stalled,
// as when its process is killed or frozen.
type stalling struct {
	*storage.DB
	stalled atomic.Bool
}

func (s *stalling) RenewLease(ctx context.Context, id, owner string, until time.Time) (bool, error) {
	if s.stalled.Load() {
		return false, errors.New("stalled")
	}
	return s.DB.RenewLease(ctx, id, owner, until)
}

// open opens the store at url, or a new SQLite store when url is "".
func open(t *testing.T, url string) *storage.DB {
	t.Helper()
	dir := ""
	if url == "" {
		dir = t.TempDir()
	}
	db, err := storage.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitCompleted waits for River to mark a job completed.
func waitCompleted(t *testing.T, pool *sql.DB, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var n int
			if err := pool.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&n); err == nil && n >= 1 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wait(t, done, what)
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never happened", what)
	}
}

// TestAStalledSliceIsTakenOver: two instances share PostgreSQL; the first
// starts a job, then freezes: it can no longer renew its lease nor fetch
// jobs, while its slice hangs. It gives its slice up within the lease (it
// cannot prove it still holds it), and the second takes the job over once
// the lease expires, long before River's own rescue (after the one-minute
// slice limit, checked every 30 s) could.
func TestAStalledSliceIsTakenOver(t *testing.T) {
	url := storagetest.PostgresURL(t)
	ctx := context.Background()
	dbA, dbB := open(t, url), open(t, url)
	leasesA := &stalling{DB: dbA}
	startedA, cancelledA, doneB := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var callsA atomic.Int32
	workA := func(ctx context.Context, id string) error {
		if callsA.Add(1) > 1 {
			return nil // the job is done by then
		}
		leasesA.stalled.Store(true)
		close(startedA)
		<-ctx.Done()
		close(cancelledA)
		return ErrMore
	}
	var once sync.Once
	workB := func(ctx context.Context, id string) error {
		once.Do(func() { close(doneB) })
		return nil // done (a later copy finds the job done, as Work does)
	}
	cfg := func(l Leases) Config {
		return Config{Leases: l, LeaseFor: 400 * time.Millisecond, Poll: 50 * time.Millisecond, SliceTimeout: time.Minute}
	}
	poolA, dialect := dbA.JobPool()
	qa, err := New(ctx, poolA, dialect, workA, cfg(leasesA))
	if err != nil {
		t.Fatal(err)
	}
	if err := qa.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = qa.Stop(context.Background()) })
	if err := qa.Enqueue(ctx, "inv-1"); err != nil {
		t.Fatal(err)
	}
	wait(t, startedA, "the first instance's slice")
	// Frozen: no more fetching (River's soft stop waits for the slice).
	stoppedA := make(chan struct{})
	go func() {
		defer close(stoppedA)
		_ = qa.client.Stop(context.Background())
	}()

	poolB, _ := dbB.JobPool()
	qb, err := New(ctx, poolB, dialect, workB, cfg(dbB))
	if err != nil {
		t.Fatal(err)
	}
	if err := qb.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = qb.Stop(context.Background()) })
	wait(t, cancelledA, "the first instance giving up a slice whose lease it could not renew")
	wait(t, doneB, "the takeover by the second instance")
	wait(t, stoppedA, "the first instance's stop")
}

// TestALostLeaseEndsTheSlice: a slice whose lease another instance took
// (after it stalled) is cancelled at its next renewal.
func TestALostLeaseEndsTheSlice(t *testing.T) {
	db := open(t, "")
	ctx := context.Background()
	started, cancelled := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	pool, dialect := db.JobPool()
	q, err := New(ctx, pool, dialect, func(ctx context.Context, id string) error {
		if calls.Add(1) > 1 {
			return nil
		}
		close(started)
		<-ctx.Done()
		close(cancelled)
		return ErrMore
	}, Config{Leases: db, LeaseFor: 400 * time.Millisecond, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	if err := q.Enqueue(ctx, "inv-3"); err != nil {
		t.Fatal(err)
	}
	wait(t, started, "the slice")
	// Another instance takes the lease, as if it had expired.
	later := time.Now().Add(2 * time.Hour)
	if ok, err := db.TakeLease(ctx, "inv-3", "another-instance", later, later.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("take over: %v %v", ok, err)
	}
	wait(t, cancelled, "the cancellation of the slice whose lease was taken")
}

// TestOneSliceAtATime: a copy of a job queued while a slice of it runs
// (a takeover queued twice, a resume at start) ends without working.
func TestOneSliceAtATime(t *testing.T) {
	db := open(t, "")
	ctx := context.Background()
	now := time.Now()
	if ok, err := db.TakeLease(ctx, "inv-2", "another-instance", now, now.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("take: %v %v", ok, err)
	}
	var calls atomic.Int32
	pool, dialect := db.JobPool()
	q, err := New(ctx, pool, dialect, func(context.Context, string) error {
		calls.Add(1)
		return nil
	}, Config{Leases: db, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	if err := q.Enqueue(ctx, "inv-2"); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, pool, "the copy's end")
	if n := calls.Load(); n != 0 {
		t.Fatalf("the copy worked %d times while another slice held the lease", n)
	}
}

// TestCopiesInOneProcessOneAtATime: a copy of a running job in the same
// process (River's own rescue of a job that was taken over) ends without
// working while the first slice holds the lease.
func TestCopiesInOneProcessOneAtATime(t *testing.T) {
	db := open(t, "")
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	pool, dialect := db.JobPool()
	q, err := New(ctx, pool, dialect, func(ctx context.Context, id string) error {
		if calls.Add(1) == 1 {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	}, Config{Leases: db, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	if err := q.Enqueue(ctx, "inv-4"); err != nil {
		t.Fatal(err)
	}
	wait(t, started, "the first slice")
	if err := q.insert(ctx, args{ID: "inv-4", Takeover: 1}); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, pool, "the copy's end")
	if n := calls.Load(); n != 1 {
		t.Fatalf("the copy worked while the first slice held the lease (%d calls)", n)
	}
}

// TestWorkStartsWithoutAPoll: with River's poll an hour away, a job this
// instance queues starts, and so does each next slice of it: nothing
// waits for a poll, so an idle instance can poll rarely.
func TestWorkStartsWithoutAPoll(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			url := ""
			if engine == "postgres" {
				url = storagetest.PostgresURL(t)
			}
			db := open(t, url)
			ctx := context.Background()
			id := "inv-prompt-" + engine + time.Now().Format("150405.000000000")
			done := make(chan struct{})
			var calls atomic.Int32
			pool, dialect := db.JobPool()
			q, err := New(ctx, pool, dialect, func(_ context.Context, got string) error {
				if got != id {
					return nil
				}
				if calls.Add(1) < 3 {
					return ErrMore
				}
				close(done)
				return nil
			}, Config{Leases: db, Poll: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Stop(context.Background()) })
			if err := q.Enqueue(ctx, id); err != nil {
				t.Fatal(err)
			}
			wait(t, done, "the third slice, with River's poll an hour away")
		})
	}
}

// TestAnIdleQueueStopsRiver: River does not run while no job waits, so
// its loops cost an idle instance nothing; a job queued then starts it,
// and once the job is done River stops again.
func TestAnIdleQueueStopsRiver(t *testing.T) {
	db := open(t, "")
	ctx := context.Background()
	done := make(chan struct{}, 2)
	pool, dialect := db.JobPool()
	q, err := New(ctx, pool, dialect, func(context.Context, string) error {
		done <- struct{}{}
		return nil
	}, Config{Leases: db, Poll: time.Hour, LeaseFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	running := func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.running
	}
	if running() {
		t.Fatal("River runs with no job in the queue")
	}
	for i, id := range []string{"inv-idle-1", "inv-idle-2"} {
		if err := q.Enqueue(ctx, id); err != nil {
			t.Fatal(err)
		}
		wait(t, done, "the job queued while River was stopped")
		// River records the job done a moment after it returns.
		deadline := time.Now().Add(30 * time.Second)
		for running() {
			if err := q.settle(ctx); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d done, yet River still runs", i+1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
