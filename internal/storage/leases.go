package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The leases of background jobs (jobs.Leases): expires_at is in
// milliseconds, 0 when the lease is released between two slices of a job.

// TakeLease gives id's lease to owner unless another owner's lease is still
// valid at now.
func (db *DB) TakeLease(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, `INSERT INTO job_leases (id, owner, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE job_leases.owner = excluded.owner OR job_leases.expires_at < $4`, id, owner, millis(until), millis(now))
	return oneRow(res, err, "take lease")
}

// RenewLease extends owner's lease, if it is still owner's.
func (db *DB) RenewLease(ctx context.Context, id, owner string, until time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE job_leases SET expires_at = $1 WHERE id = $2 AND owner = $3 AND expires_at > 0`, millis(until), id, owner)
	return oneRow(res, err, "renew lease")
}

// ReleaseLease drops owner's lease when the job is done, or releases it for
// the job's next slice.
func (db *DB) ReleaseLease(ctx context.Context, id, owner string, done bool) error {
	q := `UPDATE job_leases SET expires_at = 0 WHERE id = $1 AND owner = $2`
	if done {
		q = `DELETE FROM job_leases WHERE id = $1 AND owner = $2`
	}
	if _, err := db.w.ExecContext(ctx, q, id, owner); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// ExpiredLeases lists the jobs whose holder stopped renewing before now.
func (db *DB) ExpiredLeases(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, expires_at FROM job_leases WHERE expires_at > 0 AND expires_at < $1`, millis(now))
	if err != nil {
		return nil, fmt.Errorf("expired leases: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("expired leases: %w", err)
		}
		out[id] = fromMillis(at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expired leases: %w", err)
	}
	return out, nil
}

// oneRow reports whether a statement changed one row.
func oneRow(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}
