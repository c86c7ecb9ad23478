package bot

import (
	"testing"

	"github.com/chatinvite/invitebot/internal/benchtest"
)

// TestBenchmarksRun: BenchmarkInviteEvent still runs, past the default
// quota of 300 membership writes a window (which it lifts, as the load
// harness does: it measures the bot's own work, not Google's quota).
func TestBenchmarksRun(t *testing.T) { benchtest.Run(t, 400, BenchmarkInviteEvent) }
