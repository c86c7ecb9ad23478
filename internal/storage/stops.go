package storage

import (
	"context"
	"fmt"
)

// StopUserInvitations stops every unfinished invitation of user not
// stopped yet, with the reason their untried targets give. It implements
// membership.InvitationStore.
func (db *DB) StopUserInvitations(ctx context.Context, user, reason string) (int, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE invitations SET stopped = 1, stop_reason = $1 WHERE user_name = $2 AND finished_at = 0 AND stopped = 0`, reason, user)
	if err != nil {
		return 0, fmt.Errorf("stop the invitations of a user: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("stop the invitations of a user: %w", err)
	}
	return int(n), nil
}

// StopReason implements membership.InvitationStore.
func (db *DB) StopReason(ctx context.Context, id string) (bool, string, error) {
	var stopped int
	var reason string
	if err := db.sql.QueryRowContext(ctx, `SELECT stopped, stop_reason FROM invitations WHERE id = $1`, id).Scan(&stopped, &reason); err != nil {
		return false, "", fmt.Errorf("read invitation: %w", err)
	}
	return stopped != 0, reason, nil
}
