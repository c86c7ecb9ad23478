package jwks

import (
	"testing"

	"github.com/chatinvite/invitebot/internal/benchtest"
)

// TestBenchmarksRun: every benchmark here still runs.
func TestBenchmarksRun(t *testing.T) { benchtest.Run(t, 1, BenchmarkVerifyWarm) }
