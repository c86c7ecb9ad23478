package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// migrations are applied in order, once each; never edit one that shipped.
// {blob} becomes the engine's byte-string type.
var migrations = []string{
	// 1: grants, consent flows, used consent links.
	`CREATE TABLE grants (
		user_name     TEXT PRIMARY KEY,
		refresh_token {blob} NOT NULL,
		access_token  {blob},
		access_expiry BIGINT NOT NULL DEFAULT 0,
		scopes        TEXT NOT NULL,
		created_at    BIGINT NOT NULL,
		updated_at    BIGINT NOT NULL
	);
	CREATE TABLE oauth_flows (
		state_hash   {blob} PRIMARY KEY,
		user_name    TEXT NOT NULL,
		config_url   TEXT NOT NULL,
		scopes       TEXT NOT NULL,
		verifier     {blob} NOT NULL,
		binding_hash {blob} NOT NULL,
		expires_at   BIGINT NOT NULL,
		used_at      BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX oauth_flows_expires ON oauth_flows (expires_at);
	CREATE TABLE used_links (
		nonce_hash {blob} PRIMARY KEY,
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX used_links_expires ON used_links (expires_at);`,
	// 2: remembered command results, so a re-delivered message is answered
	// without running it again.
	`CREATE TABLE command_results (
		message_name TEXT PRIMARY KEY,
		user_name    TEXT NOT NULL,
		result       {blob} NOT NULL,
		expires_at   BIGINT NOT NULL
	);
	CREATE INDEX command_results_expires ON command_results (expires_at);`,
	// 3: remembered replies of any command, replacing version 2's stored
	// /invite outcomes (kept ten minutes, so nothing of value is dropped).
	`DROP TABLE command_results;
	CREATE TABLE remembered_replies (
		message_name TEXT PRIMARY KEY,
		user_name    TEXT NOT NULL,
		reply        {blob} NOT NULL,
		expires_at   BIGINT NOT NULL
	);
	CREATE INDEX remembered_replies_expires ON remembered_replies (expires_at);`,
	// 4: invitations worked in the background, and their targets.
	`CREATE TABLE invitations (
		id               TEXT PRIMARY KEY,
		message_name     TEXT NOT NULL,
		user_name        TEXT NOT NULL,
		space_name       TEXT NOT NULL,
		space_display    TEXT NOT NULL,
		private          INTEGER NOT NULL,
		addon            INTEGER NOT NULL,
		progress_message TEXT NOT NULL,
		stopped          INTEGER NOT NULL DEFAULT 0,
		finished_at      BIGINT NOT NULL DEFAULT 0,
		created_at       BIGINT NOT NULL
	);
	CREATE INDEX invitations_unfinished ON invitations (finished_at);
	CREATE TABLE invitation_targets (
		invitation_id TEXT NOT NULL,
		seq           INTEGER NOT NULL,
		space         TEXT NOT NULL,
		kind          INTEGER NOT NULL,
		typed         TEXT NOT NULL,
		name          TEXT NOT NULL,
		email         TEXT NOT NULL,
		state         INTEGER NOT NULL,
		outcome       TEXT NOT NULL,
		detail        TEXT NOT NULL,
		api_status    INTEGER NOT NULL,
		PRIMARY KEY (invitation_id, seq)
	);`,
	// 5: write slots shared by instances pacing to Google's quotas (times in
	// microseconds on the database's clock), and leases on background jobs
	// (a live slice renews its lease; an expired one is taken over).
	`CREATE TABLE quota_slots (
		bucket TEXT NOT NULL,
		at     BIGINT NOT NULL,
		tag    TEXT NOT NULL
	);
	CREATE INDEX quota_slots_bucket ON quota_slots (bucket, at);
	CREATE INDEX quota_slots_tag ON quota_slots (tag) WHERE tag <> '';
	CREATE TABLE job_leases (
		id         TEXT PRIMARY KEY,
		owner      TEXT NOT NULL,
		expires_at BIGINT NOT NULL
	);`,
	// 6: how many starts found each invitation unfinished, so one that can
	// never finish is given up rather than retried at every start.
	`ALTER TABLE invitations ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0`,
	// 7: why an invitation was stopped ("" for its Stop button; sign-out
	// stops every invitation of a user), invitations found by user, and
	// finished_at as a time (it was 1), so finished ones can be deleted
	// after INVITE_HISTORY_DAYS.
	`ALTER TABLE invitations ADD COLUMN stop_reason TEXT NOT NULL DEFAULT '';
	CREATE INDEX invitations_user ON invitations (user_name, finished_at);
	UPDATE invitations SET finished_at = created_at WHERE finished_at = 1;`,
	// 8: the trace of the request that started an invitation, so that its
	// background work logs under it.
	`ALTER TABLE invitations ADD COLUMN trace TEXT NOT NULL DEFAULT ''`,
	// 9: what an invitation does: 0 adds its targets, 1 removes them.
	`ALTER TABLE invitations ADD COLUMN op INTEGER NOT NULL DEFAULT 0`,
	// 10: Undo: the invitation an undo undoes (at most one undo each, on
	// any instance), and the starter's display name for others' clicks.
	`ALTER TABLE invitations ADD COLUMN undo_of TEXT NOT NULL DEFAULT '';
	ALTER TABLE invitations ADD COLUMN user_display TEXT NOT NULL DEFAULT '';
	CREATE UNIQUE INDEX invitations_undo_of ON invitations (undo_of) WHERE undo_of <> '';`,
	// 11: 1 when an invitation's calls run with the user's administrator
	// privileges (useAdminAccess), so its work keeps them across restarts.
	`ALTER TABLE invitations ADD COLUMN admin INTEGER NOT NULL DEFAULT 0`,
	// 12: previews of large invitations and copies, awaiting Start or
	// Cancel (targets as JSON; admin: previewed "as admin"), deleted once
	// started, cancelled or expired.
	`CREATE TABLE invite_previews (
		id         TEXT PRIMARY KEY,
		user_name  TEXT NOT NULL,
		space_name TEXT NOT NULL,
		op         INTEGER NOT NULL,
		targets    {blob} NOT NULL,
		expires_at BIGINT NOT NULL,
		claimed_at BIGINT NOT NULL DEFAULT 0,
		admin      INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX invite_previews_expires ON invite_previews (expires_at);`,
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations across instances starting at once.
const migrationLock = 7_215_013_377

func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if db.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck
	}
	// SQLite transactions begin IMMEDIATE (see the DSN): a second process
	// waits on the write lock rather than racing.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrate: create version table: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: database is at version %d, newer than this binary (%d): deploy the newer binary", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		if err := db.execScript(ctx, tx, migrations[v-1]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

func (db *DB) execScript(ctx context.Context, tx *sql.Tx, script string) error {
	blob := "BLOB"
	if db.dialect == Postgres {
		blob = "BYTEA"
	}
	for _, stmt := range strings.Split(strings.ReplaceAll(script, "{blob}", blob), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// Inspect connects to the store without changing it and reports its schema
// version and the one this binary migrates to (for bot doctor). A SQLite
// file that does not exist yet is version 0.
func Inspect(ctx context.Context, databaseURL, dataDir string) (version, latest int, err error) {
	latest = len(migrations)
	var sqlDB *sql.DB
	switch {
	case databaseURL == "":
		path := filepath.Join(dataDir, "bot.db")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return 0, latest, nil
		}
		sqlDB, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	default:
		sqlDB, err = sql.Open("pgx", databaseURL)
	}
	if err != nil {
		return 0, latest, fmt.Errorf("open: %w", err)
	}
	defer sqlDB.Close()
	if err := sqlDB.PingContext(ctx); err != nil {
		return 0, latest, fmt.Errorf("connect: %w", err)
	}
	var exists int
	err = sqlDB.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&exists)
	if err != nil {
		// No version table: an empty database, migrated at the first start.
		return 0, latest, nil
	}
	return exists, latest, nil
}
