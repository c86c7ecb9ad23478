package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain lets this test binary play the emulator and the baseline when
// the harness re-executes it.
func TestMain(m *testing.M) {
	if ran, err := RunRole(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestHarnessTinyRun checks the harness runs end to end: a tiny run of every
// phase, zero errors, every figure present. It asserts no speed.
func TestHarnessTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bot and starts processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{
		Count: 60, Rounds: 2, Duration: time.Minute, Concurrency: 4, Rate: 200, RateEvents: 40,
		SlowLatency: 50 * time.Millisecond, SlowInFlight: 40, ColdStarts: 2,
		DatabaseURL: os.Getenv("TEST_DATABASE_URL"), BotLogLevel: "info", Self: self,
		Quota:    QuotaOptions{People: 50, Spaces: 2, SpaceWrites: 10, ProjectWrites: 20, Window: time.Second},
		Promises: PromiseOptions{Saturation: 30, Rate: 50, Spaces: 3, Large: 40, Small: 2},
		Idle:     time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(rep.LogsFolder)
	if rep.ErrorsTotal != 0 {
		var b bytes.Buffer
		_ = rep.Print(&b, false)
		t.Fatalf("errors in the tiny run:\n%s", b.String())
	}
	if len(rep.Throughput) != 3 || len(rep.FixedRate) != 3 || len(rep.Slow) != 3 || len(rep.Ratios) != 2 || rep.ColdStartMs.SQLite <= 0 {
		t.Fatalf("missing phases: %+v", rep)
	}
	for _, p := range append(append(rep.Throughput, rep.FixedRate...), rep.Slow...) {
		if p.Events == 0 || p.EventsPerSec <= 0 || p.P99ms <= 0 || p.PeakRSSMB <= 0 {
			t.Fatalf("phase without figures: %+v", p)
		}
	}
	if len(rep.QuotaPhase) == 0 {
		t.Fatal("no quota phase")
	}
	for _, q := range rep.QuotaPhase {
		if q.Lost != 0 || q.Calls < q.People || q.Seconds <= 0 {
			t.Fatalf("quota phase %+v", q)
		}
	}
	if p := rep.Promises; p == nil || p.Saturation == nil || p.Fairness == nil || p.Saturation.Lost != 0 || p.Saturation.P99ms <= 0 ||
		p.Fairness.Lost != 0 || p.Fairness.SmallMaxWindows <= 0 {
		t.Fatalf("promises phase %+v", rep.Promises)
	}
	if len(rep.Idle) == 0 || rep.Idle[0].Store != "SQLite" || rep.Idle[0].Seconds <= 0 {
		t.Fatalf("idle phase: %+v", rep.Idle)
	}
	if rep.Slow[0].PeakGoroutines == 0 {
		t.Fatal("no goroutine count from the bot")
	}
	var text, js bytes.Buffer
	if err := rep.Print(&text, false); err != nil || !bytes.Contains(text.Bytes(), []byte("bot / baseline (chat/v1): throughput")) {
		t.Fatalf("text report: %v\n%s", err, text.String())
	}
	if err := rep.Print(&js, true); err != nil || !json.Valid(js.Bytes()) {
		t.Fatalf("json report: %v", err)
	}
}
