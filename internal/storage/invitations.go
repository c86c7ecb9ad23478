package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatinvite/invitebot/internal/membership"
)

// CreateInvitation stores an invitation and all its targets in one
// transaction.
func (db *DB) CreateInvitation(ctx context.Context, inv *membership.Invitation) error {
	return db.CreateInvitationWith(ctx, inv, nil)
}

// CreateInvitationWith is CreateInvitation with also run in the same
// transaction (the job queue's insert, so that the invitation and its job
// are committed together; River's InsertTx).
func (db *DB) CreateInvitationWith(ctx context.Context, inv *membership.Invitation, also func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create invitation: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `INSERT INTO invitations (id, message_name, user_name, space_name, space_display, private, addon, progress_message, created_at, trace, op, admin)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		inv.ID, inv.MessageName, inv.User, inv.Space, inv.SpaceName, boolInt(inv.Private), boolInt(inv.AddOn), inv.ProgressMessage, millis(inv.CreatedAt), inv.Trace, int(inv.Op), boolInt(inv.Admin)); err != nil {
		return fmt.Errorf("create invitation: %w", err)
	}
	if err := linkUndo(ctx, tx, inv); err != nil {
		return db.undoConflict(ctx, inv, err)
	}
	for _, p := range inv.Targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_targets (invitation_id, seq, space, kind, typed, name, email, state, outcome, detail, api_status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			inv.ID, p.Seq, p.Space, int(p.Target.Kind), p.Target.Typed, p.Target.Name, p.Target.Email, int(p.State), p.Outcome, p.Detail, p.APIStatus); err != nil {
			return fmt.Errorf("create invitation target: %w", err)
		}
	}
	if also != nil {
		if err := also(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return db.undoConflict(ctx, inv, fmt.Errorf("create invitation: %w", err))
	}
	return nil
}

// ErrNoInvitation means no invitation has that id.
var ErrNoInvitation = errors.New("no such invitation")

// GetInvitation implements membership.InvitationStore.
func (db *DB) GetInvitation(ctx context.Context, id string) (*membership.Invitation, error) {
	inv := &membership.Invitation{ID: id}
	var private, addOn, stopped, admin int
	var finished, created int64
	err := db.sql.QueryRowContext(ctx, `SELECT message_name, user_name, space_name, space_display, private, addon, progress_message, stopped, finished_at, created_at, trace, op, undo_of, user_display, admin
		FROM invitations WHERE id = $1`, id).Scan(&inv.MessageName, &inv.User, &inv.Space, &inv.SpaceName, &private, &addOn, &inv.ProgressMessage, &stopped, &finished, &created, &inv.Trace, &inv.Op, &inv.UndoOf, &inv.UserDisplay, &admin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoInvitation
	}
	if err != nil {
		return nil, fmt.Errorf("get invitation: %w", err)
	}
	inv.Private, inv.AddOn, inv.Stopped, inv.Finished, inv.CreatedAt = private != 0, addOn != 0, stopped != 0, finished != 0, fromMillis(created)
	if finished != 0 {
		inv.FinishedAt = fromMillis(finished)
	}
	inv.Admin = admin != 0
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, space, kind, typed, name, email, state, outcome, detail, api_status
		FROM invitation_targets WHERE invitation_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("get invitation targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p membership.Planned
		var kind, state int
		if err := rows.Scan(&p.Seq, &p.Space, &kind, &p.Target.Typed, &p.Target.Name, &p.Target.Email, &state, &p.Outcome, &p.Detail, &p.APIStatus); err != nil {
			return nil, fmt.Errorf("get invitation targets: %w", err)
		}
		p.Target.Kind, p.State = membership.TargetKind(kind), membership.PlanState(state)
		inv.Targets = append(inv.Targets, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get invitation targets: %w", err)
	}
	return inv, nil
}

// MarkSent implements membership.InvitationStore.
func (db *DB) MarkSent(ctx context.Context, id string, seq int) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE invitation_targets SET state = $1 WHERE invitation_id = $2 AND seq = $3 AND state = $4`,
		int(membership.Sent), id, seq, int(membership.Pending)); err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

// RecordOutcome implements membership.InvitationStore.
func (db *DB) RecordOutcome(ctx context.Context, id string, p membership.Planned) error {
	// The target as resolved too: a group's address becomes the group.
	if _, err := db.w.ExecContext(ctx, `UPDATE invitation_targets SET state = $1, outcome = $2, detail = $3, api_status = $4, kind = $5, name = $6 WHERE invitation_id = $7 AND seq = $8`,
		int(membership.Done), p.Outcome, p.Detail, p.APIStatus, int(p.Target.Kind), p.Target.Name, id, p.Seq); err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	return nil
}

// SetProgressMessage implements membership.InvitationStore.
func (db *DB) SetProgressMessage(ctx context.Context, id, message string) error {
	return db.setInvitation(ctx, "progress_message", message, id)
}

// StopInvitation implements membership.InvitationStore.
func (db *DB) StopInvitation(ctx context.Context, id string) error {
	return db.setInvitation(ctx, "stopped", 1, id)
}

// FinishInvitation implements membership.InvitationStore. The time it
// finished dates its deletion (DeleteHistory).
func (db *DB) FinishInvitation(ctx context.Context, id string) error {
	return db.setInvitation(ctx, "finished_at", max(db.now().UnixMilli(), 1), id)
}

func (db *DB) setInvitation(ctx context.Context, column string, value any, id string) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE invitations SET `+column+` = $1 WHERE id = $2`, value, id); err != nil {
		return fmt.Errorf("update invitation %s: %w", column, err)
	}
	return nil
}

// ResumeInvitations implements membership.InvitationStore: one more start
// is counted for each unfinished invitation.
func (db *DB) ResumeInvitations(ctx context.Context) (map[string]int, error) {
	if _, err := db.w.ExecContext(ctx, `UPDATE invitations SET resumes = resumes + 1 WHERE finished_at = 0`); err != nil {
		return nil, fmt.Errorf("count a start of unfinished invitations: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, resumes FROM invitations WHERE finished_at = 0 ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("unfinished invitations: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("unfinished invitations: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// JobPool is the pool background jobs use (River's SQLite driver wants the
// one-connection writer) and its engine.
func (db *DB) JobPool() (*sql.DB, string) {
	if db.dialect == SQLite {
		return db.w, "sqlite"
	}
	return db.sql, "postgres"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
