package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
)

// PutPreview implements membership.PreviewStore.
func (db *DB) PutPreview(ctx context.Context, p *membership.Preview) error {
	targets, err := json.Marshal(p.Targets)
	if err != nil {
		return fmt.Errorf("encode preview targets: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO invite_previews (id, user_name, space_name, op, targets, expires_at, admin) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.User, p.Space, int(p.Op), targets, millis(p.ExpiresAt), boolInt(p.Admin)); err != nil {
		return fmt.Errorf("store preview: %w", err)
	}
	return nil
}

// ClaimPreview implements membership.PreviewStore: one UPDATE marks it
// claimed only if it is the user's, unclaimed and unexpired, so two clicks
// at once (on any instances) start it once.
func (db *DB) ClaimPreview(ctx context.Context, id, user string, now time.Time) (*membership.Preview, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE invite_previews SET claimed_at = $1 WHERE id = $2 AND user_name = $3 AND claimed_at = 0 AND expires_at > $4`,
		max(millis(now), 1), id, user, millis(now))
	if err != nil {
		return nil, fmt.Errorf("claim preview: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("claim preview: %w", err)
	}
	p := &membership.Preview{ID: id}
	var targets []byte
	var expires, claimed int64
	var admin int
	err = db.w.QueryRowContext(ctx, `SELECT user_name, space_name, op, targets, expires_at, claimed_at, admin FROM invite_previews WHERE id = $1`, id).
		Scan(&p.User, &p.Space, &p.Op, &targets, &expires, &claimed, &admin)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, membership.ErrPreviewGone
	case err != nil:
		return nil, fmt.Errorf("read preview: %w", err)
	case n == 1:
	case p.User != user:
		return nil, membership.ErrPreviewNotYours
	case claimed != 0:
		return nil, membership.ErrPreviewStarted
	default:
		return nil, membership.ErrPreviewExpired
	}
	p.ExpiresAt, p.Admin = time.UnixMilli(expires), admin != 0
	if err := json.Unmarshal(targets, &p.Targets); err != nil {
		return nil, fmt.Errorf("decode preview targets: %w", err)
	}
	return p, nil
}

// ReleasePreview implements membership.PreviewStore.
func (db *DB) ReleasePreview(ctx context.Context, id, user string) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE invite_previews SET claimed_at = 0 WHERE id = $1 AND user_name = $2`, id, user); err != nil {
		return fmt.Errorf("release preview: %w", err)
	}
	return nil
}

// CancelPreview implements membership.PreviewStore.
func (db *DB) CancelPreview(ctx context.Context, id, user string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM invite_previews WHERE id = $1 AND user_name = $2 AND claimed_at = 0`, id, user)
	if err != nil {
		return fmt.Errorf("cancel preview: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cancel preview: %w", err)
	} else if n == 1 {
		return nil
	}
	var owner string
	var claimed int64
	err = db.w.QueryRowContext(ctx, `SELECT user_name, claimed_at FROM invite_previews WHERE id = $1`, id).Scan(&owner, &claimed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return membership.ErrPreviewGone
	case err != nil:
		return fmt.Errorf("cancel preview: %w", err)
	case owner != user:
		return membership.ErrPreviewNotYours
	}
	return membership.ErrPreviewStarted
}

// DeleteExpiredPreviews deletes at most limit previews expired by now,
// started ones included (their targets live on in the invitation); the
// history sweep calls it.
func (db *DB) DeleteExpiredPreviews(ctx context.Context, now time.Time, limit int) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM invite_previews WHERE id IN (
		SELECT id FROM invite_previews WHERE expires_at <= $1 LIMIT $2)`, millis(now), limit); err != nil {
		return fmt.Errorf("delete expired previews: %w", err)
	}
	return nil
}
