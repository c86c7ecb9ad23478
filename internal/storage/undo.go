package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/chatinvite/invitebot/internal/membership"
)

// linkUndo writes the columns Undo reads (what inv undoes, who started it
// by name) in the transaction that creates inv. A second undo of the same
// invitation breaks invitations_undo_of's uniqueness here or at commit.
func linkUndo(ctx context.Context, tx *sql.Tx, inv *membership.Invitation) error {
	if inv.UndoOf == "" && inv.UserDisplay == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invitations SET undo_of = $1, user_display = $2 WHERE id = $3`,
		inv.UndoOf, inv.UserDisplay, inv.ID); err != nil {
		return fmt.Errorf("link the undo: %w", err)
	}
	return nil
}

// undoConflict turns err into membership.ErrAlreadyUndone when inv is an
// undo and its invitation already has another one (two clicks, on one
// instance or two, at once).
func (db *DB) undoConflict(ctx context.Context, inv *membership.Invitation, err error) error {
	if inv.UndoOf == "" {
		return err
	}
	if other, lookErr := db.UndoOf(context.WithoutCancel(ctx), inv.UndoOf); lookErr == nil && other != "" && other != inv.ID {
		return fmt.Errorf("%w (%s)", membership.ErrAlreadyUndone, other)
	}
	return err
}

// SaveFinished implements membership.UndoStore: inv, finished now, in one
// transaction, so that the sweep dates it and no start resumes it.
func (db *DB) SaveFinished(ctx context.Context, inv *membership.Invitation) error {
	return db.CreateInvitationWith(ctx, inv, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET finished_at = $1 WHERE id = $2`, max(db.now().UnixMilli(), 1), inv.ID); err != nil {
			return fmt.Errorf("finish invitation: %w", err)
		}
		return nil
	})
}

// CreateUndo implements membership.UndoStore.
func (db *DB) CreateUndo(ctx context.Context, undo *membership.Invitation) error {
	if undo.UndoOf == "" {
		return errors.New("create undo: it names no invitation")
	}
	return db.CreateInvitation(ctx, undo)
}

// UndoOf implements membership.UndoStore.
func (db *DB) UndoOf(ctx context.Context, id string) (string, error) {
	var undo string
	err := db.sql.QueryRowContext(ctx, `SELECT id FROM invitations WHERE undo_of = $1`, id).Scan(&undo)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the undo of an invitation: %w", err)
	}
	return undo, nil
}
