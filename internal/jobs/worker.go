package jobs

// A slice of work under its lease: the job River runs, renewing the lease
// while the work goes on.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

type args struct {
	ID string `json:"id"`
	// Takeover, when set, is the expiry of the dead holder's lease: a job
	// queued to take id over (unique per takeover).
	Takeover int64 `json:"takeover,omitempty"`
	// After, when set, is the River job whose slice this one continues
	// (unique per slice).
	After int64 `json:"after,omitempty"`
}

func (args) Kind() string { return "invitation" }

type worker struct {
	river.WorkerDefaults[args]
	work     Work
	leases   Leases
	leaseFor time.Duration
	now      func() time.Time
}

func (w *worker) Work(ctx context.Context, job *river.Job[args]) error {
	id := job.Args.ID
	// Each slice holds the lease as itself: another copy of the job, even
	// in this process (River's own rescue of a job taken over), ends.
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	owner := hex.EncodeToString(b)
	now := w.now()
	held, err := w.leases.TakeLease(ctx, id, owner, now, now.Add(w.leaseFor))
	if err != nil {
		return fmt.Errorf("take the lease of %s: %w", id, err)
	}
	if !held {
		return nil // a live slice has it, and carries the job on
	}
	slice, cancel := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		w.renew(slice, cancel, id, owner)
	}()
	err = w.work(slice, id)
	more := errors.Is(err, ErrMore) || (slice.Err() != nil && err != nil)
	cancel()
	<-renewed
	if rerr := w.leases.ReleaseLease(context.WithoutCancel(ctx), id, owner, err == nil); rerr != nil && err == nil {
		err = fmt.Errorf("release the lease of %s: %w", id, rerr)
	}
	if more {
		// Not a failure: the next slice (here or, after a stop, on any
		// instance) goes on where this one ended. It is a job of its own,
		// queued now, so that River starts it at once; a job snoozed
		// instead would wait for River's next poll. Stopping, or when the
		// queueing fails, the job is snoozed: it runs again at the next
		// start or poll.
		if client, cerr := river.ClientFromContextSafely[*sql.Tx](ctx); cerr == nil && ctx.Err() == nil {
			next := args{ID: id, After: job.ID}
			if _, ierr := client.Insert(ctx, next, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); ierr == nil {
				return nil
			}
		}
		return river.JobSnooze(0)
	}
	return err
}

// renew keeps the lease while the slice runs. A lease lost (taken over
// after this instance stalled) ends the slice; so does a lease it could not
// renew for three quarters of LeaseFor (the database slow or out of
// reach), before another instance may take it over: two slices never work
// one job at once.
func (w *worker) renew(ctx context.Context, cancel func(), id, owner string) {
	t := time.NewTicker(w.leaseFor / 4)
	defer t.Stop()
	renewed := w.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		at := w.now()
		rctx, rcancel := context.WithTimeout(ctx, w.leaseFor/4)
		ok, err := w.leases.RenewLease(rctx, id, owner, at.Add(w.leaseFor))
		rcancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && !ok:
			cancel()
			return
		case err == nil:
			renewed = at
		case w.now().Sub(renewed) >= w.leaseFor*3/4:
			cancel()
			return
		}
	}
}
