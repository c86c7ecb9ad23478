package bot

import (
	"context"
	"fmt"
	"time"
)

// History: finished large invitations (their typed addresses, names and
// outcomes) are kept INVITE_HISTORY_DAYS, then deleted by a sweep every
// instance runs every sweepEvery, a bounded batch at a time, with expired
// quota slots and leases no unfinished invitation holds. River deletes its
// finished jobs after the same time itself (jobs.Config.KeepFinished).
const (
	sweepEvery = 5 * time.Minute
	// sweepBatch invitations at most are deleted in one transaction, and
	// sweepBatches batches in one sweep: the rest waits for the next.
	sweepBatch   = 200
	sweepBatches = 10
	// slotsKept: quota slots older than this are past every window.
	slotsKept = time.Hour
)

// historyKept is how long finished invitations are kept.
func historyKept(days int) time.Duration { return time.Duration(days) * 24 * time.Hour }

// sweepHistory deletes, as of now, what INVITE_HISTORY_DAYS no longer
// keeps; it reports how many invitations it deleted.
func (b *Bot) sweepHistory(ctx context.Context, now time.Time) (int, error) {
	deleted := 0
	if err := b.DB.DeleteExpiredPreviews(ctx, now, sweepBatch*sweepBatches); err != nil {
		return 0, fmt.Errorf("delete expired previews: %w", err)
	}
	for range sweepBatches {
		n, err := b.DB.DeleteHistory(ctx, now.Add(-historyKept(b.cfg.HistoryDays)), now.Add(-slotsKept), sweepBatch)
		deleted += n
		if err != nil {
			return deleted, fmt.Errorf("delete history: %w", err)
		}
		if n < sweepBatch {
			break
		}
	}
	return deleted, nil
}

// startSweeping runs sweepHistory now and every sweepEvery until Close.
func (b *Bot) startSweeping(now func() time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if n, err := b.sweepHistory(ctx, now()); err != nil && ctx.Err() == nil {
				b.log.Warn("delete old history; tried again at the next sweep", "error", err.Error())
			} else if n > 0 {
				b.log.Info("deleted finished invitations past INVITE_HISTORY_DAYS", "invitations", n, "days", b.cfg.HistoryDays)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	b.closers = append(b.closers, func() error { cancel(); <-done; return nil })
}
