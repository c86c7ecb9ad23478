package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DeleteHistory deletes what is kept only as history, at most limit
// invitations (with their targets) and limit rows of each other kind a
// call: invitations finished at or before finishedBefore; quota slots taken
// before slotsBefore (past every window); leases no unfinished invitation
// holds. It reports how many invitations it deleted: while that is limit,
// more may be left. Instances may call it at once: a row is deleted once.
func (db *DB) DeleteHistory(ctx context.Context, finishedBefore, slotsBefore time.Time, limit int) (int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM invitations WHERE finished_at > 0 AND finished_at <= $1 ORDER BY finished_at LIMIT $2`,
		max(finishedBefore.UnixMilli(), 1), limit)
	if err != nil {
		return 0, fmt.Errorf("find finished invitations: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find finished invitations: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find finished invitations: %w", err)
	}
	if len(ids) > 0 {
		if err := db.deleteInvitations(ctx, ids); err != nil {
			return 0, err
		}
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM quota_slots WHERE at < $1`, slotsBefore.UnixMicro()); err != nil {
		return 0, fmt.Errorf("delete expired quota slots: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM job_leases WHERE id IN (
		SELECT l.id FROM job_leases l WHERE NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id = l.id AND i.finished_at = 0) LIMIT $1)`, limit); err != nil {
		return 0, fmt.Errorf("delete leases of finished work: %w", err)
	}
	return len(ids), nil
}

// deleteInvitations deletes the invitations ids and their targets, in one
// transaction.
func (db *DB) deleteInvitations(ctx context.Context, ids []any) error {
	marks := make([]string, len(ids))
	for i := range ids {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	in := "(" + strings.Join(marks, ", ") + ")"
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete finished invitations: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `DELETE FROM invitation_targets WHERE invitation_id IN `+in, ids...); err != nil {
		return fmt.Errorf("delete the targets of finished invitations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE id IN `+in, ids...); err != nil {
		return fmt.Errorf("delete finished invitations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete finished invitations: %w", err)
	}
	return nil
}
