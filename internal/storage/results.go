package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const (
	getResultSQL = `SELECT result FROM command_results WHERE message_name = $1 AND expires_at > $2`
	putResultSQL = `INSERT INTO command_results (message_name, user_name, result, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (message_name) DO UPDATE SET user_name = excluded.user_name, result = excluded.result, expires_at = excluded.expires_at`
)

// GetResult returns the result remembered for a message, if it has not
// expired at now; else ErrNotFound.
func (db *DB) GetResult(ctx context.Context, messageName string, now time.Time) ([]byte, error) {
	var result []byte
	err := db.stmt.getResult.QueryRowContext(ctx, messageName, millis(now)).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get result: %w", err)
	}
	return result, nil
}

// PutResult remembers a message's result until expiresAt.
func (db *DB) PutResult(ctx context.Context, messageName, user string, result []byte, expiresAt time.Time) error {
	_, err := db.stmt.putResult.ExecContext(ctx, messageName, user, result, millis(expiresAt))
	if err != nil {
		return fmt.Errorf("put result: %w", err)
	}
	return nil
}
