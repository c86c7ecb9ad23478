package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/chatinvite/invitebot/internal/oauthflow"
)

// GetGrant returns user's grant, or oauthflow.ErrNotFound.
func (db *DB) GetGrant(ctx context.Context, user string) (*oauthflow.Grant, error) {
	g := &oauthflow.Grant{User: user}
	var scopes string
	var expiry, created, updated int64
	err := db.sql.QueryRowContext(ctx,
		`SELECT refresh_token, access_token, access_expiry, scopes, created_at, updated_at FROM grants WHERE user_name = $1`,
		user).Scan(&g.RefreshToken, &g.AccessToken, &expiry, &scopes, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oauthflow.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get grant: %w", err)
	}
	g.AccessExpiry, g.CreatedAt, g.UpdatedAt = fromMillis(expiry), fromMillis(created), fromMillis(updated)
	g.Scopes = strings.Fields(scopes)
	return g, nil
}

// PutGrant creates or replaces user's grant; CreatedAt survives a replace.
func (db *DB) PutGrant(ctx context.Context, g *oauthflow.Grant) error {
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO grants (user_name, refresh_token, access_token, access_expiry, scopes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_name) DO UPDATE SET
			refresh_token = excluded.refresh_token,
			access_token  = excluded.access_token,
			access_expiry = excluded.access_expiry,
			scopes        = excluded.scopes,
			updated_at    = excluded.updated_at`,
		g.User, g.RefreshToken, g.AccessToken, millis(g.AccessExpiry), strings.Join(g.Scopes, " "),
		millis(g.CreatedAt), millis(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put grant: %w", err)
	}
	return nil
}

// DeleteGrant removes user's grant; deleting a missing grant is not an error.
func (db *DB) DeleteGrant(ctx context.Context, user string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM grants WHERE user_name = $1`, user); err != nil {
		return fmt.Errorf("delete grant: %w", err)
	}
	return nil
}
