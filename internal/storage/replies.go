package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GetReply returns the reply remembered for a message, if it has not
// expired by now. It implements commands.ReplyStore.
func (db *DB) GetReply(ctx context.Context, messageName string, now time.Time) ([]byte, bool, error) {
	var reply []byte
	err := db.sql.QueryRowContext(ctx,
		`SELECT reply FROM remembered_replies WHERE message_name = $1 AND expires_at > $2`,
		messageName, millis(now)).Scan(&reply)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("get remembered reply: %w", err)
	}
	return reply, true, nil
}

// PutReply remembers a message's reply until expiresAt, keeping the first
// if the message already has one (an expired one is replaced), and, at most
// once a minute per instance, forgets the replies expired by now. It
// implements commands.ReplyStore.
func (db *DB) PutReply(ctx context.Context, messageName, user string, reply []byte, now, expiresAt time.Time) error {
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO remembered_replies (message_name, user_name, reply, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (message_name) DO UPDATE SET user_name = excluded.user_name, reply = excluded.reply, expires_at = excluded.expires_at
		WHERE remembered_replies.expires_at <= $5`,
		messageName, user, reply, millis(expiresAt), millis(now))
	if err != nil {
		return fmt.Errorf("remember reply: %w", err)
	}
	if last := db.lastSweep.Load(); now.UnixMilli()-last < sweepEvery.Milliseconds() || !db.lastSweep.CompareAndSwap(last, now.UnixMilli()) {
		return nil
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM remembered_replies WHERE expires_at <= $1`, millis(now)); err != nil {
		return fmt.Errorf("forget expired replies: %w", err)
	}
	return nil
}

// sweepEvery: expired replies are deleted at most this often by an instance.
const sweepEvery = time.Minute
