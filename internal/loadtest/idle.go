package loadtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// idleRun is an idle bot's CPU with the app's credentials, when its job
// queue (River) runs: what a deployment kept warm pays around the clock.
type idleRun struct {
	Store       string  `json:"store"`
	Seconds     float64 `json:"seconds"`
	CPUMsPerSec float64 `json:"cpu_ms_per_s"`
}

// idleSettle is how long a bot runs before its idle CPU is counted: River
// migrates, elects a leader and makes its first fetch in it.
const idleSettle = 3 * time.Second

// idlePhase measures, on SQLite and (with a database URL) PostgreSQL, the
// CPU a bot with app credentials uses doing nothing for d, read from
// /proc after it has settled.
func (e *env) idlePhase(ctx context.Context, d time.Duration) ([]idleRun, error) {
	keyFile, err := e.appKey()
	if err != nil {
		return nil, err
	}
	stores := []string{"SQLite"}
	if e.o.DatabaseURL != "" {
		stores = append(stores, "PostgreSQL")
	}
	var runs []idleRun
	for _, store := range stores {
		e.progress(fmt.Sprintf("idle CPU: %s, app credentials, %v", store, d))
		extra := []string{"GOOGLE_APPLICATION_CREDENTIALS=" + keyFile}
		if store == "PostgreSQL" {
			dbURL, drop, err := freshDatabase(e.o.DatabaseURL, "idle")
			if err != nil {
				return runs, err
			}
			defer drop()
			ks, err := tokencrypt.NewKeyset()
			if err != nil {
				return runs, err
			}
			ksFile := filepath.Join(e.dir, "idle-keyset.json")
			if err := tokencrypt.WriteFile(ksFile, ks, nil); err != nil {
				return runs, err
			}
			extra = append(extra, "DATABASE_URL="+dbURL, "TOKEN_KEYSET_FILE="+ksFile)
		} else {
			extra = append(extra, "BOT_DATA_DIR="+filepath.Join(e.dir, "idle-data"))
		}
		p, _, err := startBot(e.bin, e.botEnv(extra...), e.logs)
		if err != nil {
			return runs, err
		}
		var used float64
		var took time.Duration
		if pause(ctx, idleSettle) {
			before, start := p.cpuSeconds(), time.Now()
			pause(ctx, d)
			used, took = p.cpuSeconds()-before, time.Since(start)
		}
		p.stop()
		if ctx.Err() != nil {
			return runs, ctx.Err()
		}
		runs = append(runs, idleRun{Store: store, Seconds: took.Seconds(), CPUMsPerSec: used * 1000 / took.Seconds()})
	}
	return runs, nil
}

// pause waits d, or less when ctx ends first; it reports whether d passed.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// appKey writes the emulated service account's key, the app's own
// credentials, once, and returns its file.
func (e *env) appKey() (string, error) {
	keyFile := filepath.Join(e.dir, "app-key.json")
	if _, err := os.Stat(keyFile); err == nil {
		return keyFile, nil
	}
	key, err := e.adminGet("service-account", url.Values{"email": {"invite-bot@load.iam.gserviceaccount.com"}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		return "", err
	}
	return keyFile, nil
}
