package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatinvite/invitebot/internal/oauthflow"
)

// PutFlow stores a new flow and sweeps expired flows and links.
func (db *DB) PutFlow(ctx context.Context, f *oauthflow.Flow) error {
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO oauth_flows (state_hash, user_name, config_url, scopes, verifier, binding_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		f.StateHash, f.User, f.ConfigURL, strings.Join(f.Scopes, " "), f.Verifier, f.BindingHash, millis(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put flow: %w", err)
	}
	return db.sweep(ctx, time.Now())
}

// GetFlow returns the flow with stateHash, used or not, or oauthflow.ErrNotFound.
func (db *DB) GetFlow(ctx context.Context, stateHash []byte) (*oauthflow.Flow, error) {
	f := &oauthflow.Flow{StateHash: stateHash}
	var scopes string
	var expires, used int64
	err := db.sql.QueryRowContext(ctx, `
		SELECT user_name, config_url, scopes, verifier, binding_hash, expires_at, used_at
		FROM oauth_flows WHERE state_hash = $1`, stateHash).
		Scan(&f.User, &f.ConfigURL, &scopes, &f.Verifier, &f.BindingHash, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oauthflow.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get flow: %w", err)
	}
	f.Scopes, f.ExpiresAt, f.UsedAt = strings.Fields(scopes), fromMillis(expires), fromMillis(used)
	return f, nil
}

// UseFlow marks the flow used, atomically: exactly one caller wins; the
// others get oauthflow.ErrUsed.
func (db *DB) UseFlow(ctx context.Context, stateHash []byte, at time.Time) error {
	return db.claim(ctx, "use flow",
		`UPDATE oauth_flows SET used_at = $1 WHERE state_hash = $2 AND used_at = 0`, millis(at), stateHash)
}

// UseLink records a consent link's nonce as used; the second use of the
// same nonce gets oauthflow.ErrUsed. expiresAt is when the record may be forgotten.
func (db *DB) UseLink(ctx context.Context, nonceHash []byte, expiresAt time.Time) error {
	return db.claim(ctx, "use link",
		`INSERT INTO used_links (nonce_hash, expires_at) VALUES ($1, $2) ON CONFLICT (nonce_hash) DO NOTHING`,
		nonceHash, millis(expiresAt))
}

// claim runs a statement that changes exactly one row for the caller who
// wins and none for everyone after: the others get oauthflow.ErrUsed.
func (db *DB) claim(ctx context.Context, what, query string, args ...any) error {
	res, err := db.w.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n != 1 {
		return oauthflow.ErrUsed
	}
	return nil
}

// sweep forgets flows and links past their expiry (with an hour's margin,
// so a just-expired flow still reads as expired rather than unknown).
func (db *DB) sweep(ctx context.Context, now time.Time) error {
	cutoff := millis(now.Add(-time.Hour))
	for _, stmt := range []string{
		`DELETE FROM oauth_flows WHERE expires_at < $1`,
		`DELETE FROM used_links WHERE expires_at < $1`,
	} {
		if _, err := db.w.ExecContext(ctx, stmt, cutoff); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	return nil
}
