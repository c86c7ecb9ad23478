package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatinvite/invitebot/internal/quota"
)

// Slots is the ledger the pacer takes its write slots from, kept in the
// quota_slots table: on PostgreSQL every instance shares it, so that
// together they stay within Google's quotas; on SQLite, whose single
// instance decides in memory, each slot is written down as it is taken, so
// that a restart (even after kill -9) still counts the writes Google
// counts, and is not answered 429.
func (db *DB) Slots() quota.Slots {
	if db.dialect != Postgres {
		return &sqliteSlots{w: db.w, mem: quota.NewMemorySlots(time.Now)}
	}
	return &pgSlots{sql: db.sql}
}

// sqliteSlots is the in-memory ledger of commands, read back from the
// database at its first use and written through to it.
type sqliteSlots struct {
	w   *sql.DB
	mem *quota.MemorySlots

	mu       sync.Mutex
	loaded   bool
	swept    time.Time // when slots out of every window were last deleted
	queue    []*slotWrite
	flushing bool
}

// slotWrite is a slot taken, waiting to be written down.
type slotWrite struct {
	bucket, tag string
	at          time.Time
	window      time.Duration
	done        chan error
}

// load reads the slots a previous run of this instance took, once.
func (s *sqliteSlots) load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		return nil
	}
	rows, err := s.w.QueryContext(ctx, `SELECT bucket, at, tag FROM quota_slots ORDER BY at`)
	if err != nil {
		return fmt.Errorf("read write slots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var bucket, tag string
		var at int64
		if err := rows.Scan(&bucket, &at, &tag); err != nil {
			return fmt.Errorf("read write slots: %w", err)
		}
		s.mem.Restore(bucket, time.UnixMicro(at), tag)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read write slots: %w", err)
	}
	s.loaded = true
	return nil
}

// Reserve implements quota.Slots: decided in memory, and a slot taken
// is written down before it is used.
func (s *sqliteSlots) Reserve(ctx context.Context, bucket string, limit int, window time.Duration, tag string) (quota.Slot, error) {
	if err := s.load(ctx); err != nil {
		return quota.Slot{}, err
	}
	slot, err := s.mem.Reserve(ctx, bucket, limit, window, tag)
	if err != nil || !slot.Taken {
		return slot, err
	}
	if err := s.write(ctx, &slotWrite{bucket: bucket, tag: tag, at: slot.At, window: window, done: make(chan error, 1)}); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	return slot, nil
}

// write writes a slot down, with whatever other slots are waiting, in one
// transaction (SQLite has one writer: a transaction a slot would cost
// every event half the bot's throughput). The first to arrive writes for
// those that arrive while it writes.
func (s *sqliteSlots) write(ctx context.Context, w *slotWrite) error {
	s.mu.Lock()
	s.queue = append(s.queue, w)
	if s.flushing {
		s.mu.Unlock()
		return <-w.done
	}
	s.flushing = true
	for len(s.queue) > 0 {
		batch := s.queue
		s.queue = nil
		sweep := w.at.Sub(s.swept) > w.window
		if sweep {
			s.swept = w.at
		}
		s.mu.Unlock()
		err := s.flush(context.WithoutCancel(ctx), batch, sweep)
		for _, b := range batch {
			b.done <- err
		}
		s.mu.Lock()
	}
	s.flushing = false
	s.mu.Unlock()
	return <-w.done
}

func (s *sqliteSlots) flush(ctx context.Context, batch []*slotWrite, sweep bool) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	for _, b := range batch {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quota_slots (bucket, at, tag) VALUES ($1, $2, $3)`, b.bucket, b.at.UnixMicro(), b.tag); err != nil {
			return err
		}
	}
	if sweep { // at most once a window: what left it is dropped
		last := batch[len(batch)-1]
		if _, err := tx.ExecContext(ctx, `DELETE FROM quota_slots WHERE at <= $1`, last.at.Add(-last.window).UnixMicro()); err != nil {
			return fmt.Errorf("drop old slots: %w", err)
		}
	}
	return tx.Commit()
}

// Refund implements quota.Slots.
func (s *sqliteSlots) Refund(ctx context.Context, bucket, tag string) error {
	if err := s.load(ctx); err != nil {
		return err
	}
	if err := s.mem.Refund(ctx, bucket, tag); err != nil {
		return err
	}
	if tag == "" {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM quota_slots WHERE bucket = $1 AND tag = $2`, bucket, tag); err != nil {
		return fmt.Errorf("refund a write slot: %w", err)
	}
	return nil
}

type pgSlots struct {
	sql *sql.DB
	// mu lets one of this instance's reservations at a time wait for the
	// database's lock, so that waiting writers do not hold every pooled
	// connection (a lease renewal must find one).
	mu sync.Mutex
}

// Reserve implements quota.Slots: under a transaction lock on the
// bucket, on the database's clock, the same rule as the in-memory ledger.
func (s *pgSlots) Reserve(ctx context.Context, bucket string, limit int, window time.Duration, tag string) (quota.Slot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.sql.BeginTx(ctx, nil)
	if err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "quota_slots:"+bucket); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: lock: %w", err)
	}
	var now int64
	if err := tx.QueryRowContext(ctx, `SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint`).Scan(&now); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: clock: %w", err)
	}
	w := window.Microseconds()
	// Every bucket is counted over the same window: what left it is
	// dropped, whichever bucket it was in.
	if _, err := tx.ExecContext(ctx, `DELETE FROM quota_slots WHERE at <= $1`, now-w); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	var kth int64
	err = tx.QueryRowContext(ctx, `SELECT at FROM quota_slots WHERE bucket = $1 ORDER BY at DESC OFFSET $2 LIMIT 1`, bucket, limit-1).Scan(&kth)
	switch {
	case err == nil: // the window is full: the limit-th latest write frees the next slot
		at := kth + w
		return quota.Slot{At: time.UnixMicro(at), Wait: time.Duration(at-now) * time.Microsecond}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO quota_slots (bucket, at, tag) VALUES ($1, $2, $3)`, bucket, now, tag); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return quota.Slot{}, fmt.Errorf("reserve a write slot: %w", err)
	}
	return quota.Slot{Taken: true, At: time.UnixMicro(now)}, nil
}

// Refund implements quota.Slots.
func (s *pgSlots) Refund(ctx context.Context, bucket, tag string) error {
	if tag == "" {
		return nil
	}
	if _, err := s.sql.ExecContext(ctx, `DELETE FROM quota_slots WHERE bucket = $1 AND tag = $2`, bucket, tag); err != nil {
		return fmt.Errorf("refund a write slot: %w", err)
	}
	return nil
}
