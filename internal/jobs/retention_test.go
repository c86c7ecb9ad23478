package jobs

import (
	"context"
	"testing"
	"time"
)

// TestFinishedJobsAreDeleted: with nothing kept (INVITE_HISTORY_DAYS=0), a
// completed job is deleted at the queue's next sweep, instead of a day
// later, even though River no longer runs once no work waits (so its own
// cleaner does not).
func TestFinishedJobsAreDeleted(t *testing.T) {
	db := open(t, "")
	ctx := context.Background()
	pool, dialect := db.JobPool()
	start := func() *Queue {
		q, err := New(ctx, pool, dialect, func(context.Context, string) error { return nil },
			Config{Leases: db, Poll: 50 * time.Millisecond, KeepFinished: 0, CleanEvery: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := start()
	if err := q.Enqueue(ctx, "inv-done"); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, pool, "the job's end")
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	q = start()
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var n int
			if err := pool.QueryRow(`SELECT count(*) FROM river_job`).Scan(&n); err == nil && n == 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wait(t, done, "the deletion of the finished job")
}
