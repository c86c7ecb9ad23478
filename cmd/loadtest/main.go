// Command loadtest measures the bot beside a bare baseline in one run; see
// BENCHMARKS.md. Run it from the repository: go run ./cmd/loadtest -h
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatinvite/invitebot/internal/loadtest"
)

func main() {
	if ran, err := loadtest.RunRole(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest role:", err)
			os.Exit(1)
		}
		return
	}
	o := loadtest.Options{Out: os.Stdout, Progress: os.Stderr}
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `Usage: loadtest [flags]

Measures the bot beside two bare baselines doing the same Chat API call (a plain POST, and chat/v1),
each a process of its own against an emulated Google process on this machine: throughput, latency at a
fixed rate, CPU and memory per event, behaviour while Google is slow, cold start and idle memory.
It builds the bot first (go build ./cmd/bot) unless -bot names a binary. Its temporary folder (the
processes' logs and stores) is removed at the end unless -keep is given. See BENCHMARKS.md.

`)
		flag.PrintDefaults()
	}
	flag.IntVar(&o.Count, "count", 60000, "events per target in the throughput phase")
	flag.IntVar(&o.Rounds, "rounds", 3, "rounds of the throughput phase; targets take turns in each")
	flag.DurationVar(&o.Duration, "duration", 60*time.Second, "upper bound of each phase")
	flag.IntVar(&o.Concurrency, "concurrency", 64, "events in flight in the throughput phase")
	flag.DurationVar(&o.APILatency, "api-latency", 0, "emulated Chat API latency in the throughput and rate phases")
	flag.Float64Var(&o.Rate, "rate", 1000, "events/s of the fixed-rate phase (0 skips it)")
	flag.IntVar(&o.RateEvents, "rate-events", 5000, "events in the fixed-rate phase")
	flag.DurationVar(&o.SlowLatency, "slow-latency", 300*time.Millisecond, "emulated API latency of the slow-Google phase (0 skips it)")
	flag.IntVar(&o.SlowInFlight, "slow-in-flight", 2000, "events in flight at once in the slow-Google phase")
	flag.IntVar(&o.ColdStarts, "cold-starts", 10, "restarts per store for the cold-start median (0 skips it)")
	flag.StringVar(&o.DatabaseURL, "database-url", os.Getenv("TEST_DATABASE_URL"), "PostgreSQL for the cold start (default $TEST_DATABASE_URL)")
	flag.StringVar(&o.BotLogLevel, "bot-log-level", "info", "LOG_LEVEL of the bot under load")
	flag.StringVar(&o.BotBinary, "bot", "", "a prebuilt bot binary (default: go build ./cmd/bot)")
	flag.BoolVar(&o.JSON, "json", false, "print JSON instead of text")
	flag.StringVar(&o.HeapProfile, "heapprofile", "", "save the bot's heap profile, mid slow-Google phase, to this file (and its allocations after the throughput phase to FILE.allocs)")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "save the bot's CPU profile (3 s of the throughput phase) to this file")
	flag.IntVar(&o.Quota.People, "quota-people", 300, "people of the quota phase (0 skips it)")
	flag.IntVar(&o.Quota.Spaces, "quota-spaces", 5, "spaces the quota phase's people are invited across")
	// Google's rates (60 message writes a minute per space, 300 membership
	// writes a minute per project) counted over a 5 s window.
	flag.IntVar(&o.Quota.SpaceWrites, "quota-space", 5, "message writes per space per window the emulator allows in the quota phase")
	flag.IntVar(&o.Quota.ProjectWrites, "quota-project", 25, "membership writes per window the emulator allows in the quota phase")
	flag.DurationVar(&o.Quota.Window, "quota-window", 5*time.Second, "the quota phase's window (Google's is a minute)")
	flag.DurationVar(&o.Quota.Latency, "quota-latency", 0, "emulated Chat API latency in the quota phase")
	flag.IntVar(&o.Promises.Saturation, "saturation", 0, "one-person /invites of the promises phase's saturation mode, on the quota phase's quotas (0 skips it)")
	flag.Float64Var(&o.Promises.Rate, "saturation-rate", 20, "their rate a second")
	flag.IntVar(&o.Promises.Spaces, "saturation-spaces", 30, "spaces they are sent from (each space's message quota is 60 a minute)")
	flag.IntVar(&o.Promises.Large, "fairness-large", 0, "people of the fairness mode's large invitation (0 skips it)")
	flag.IntVar(&o.Promises.Small, "fairness-small", 10, "one-person /invites sent during it, a second apart")
	flag.IntVar(&o.Promises.SignOut, "signout", 0, "people of the sign-out mode's invitation on one of two instances sharing PostgreSQL, whose inviter signs out on the other (0 skips it; needs -database-url)")
	flag.DurationVar(&o.Idle, "idle", 30*time.Second, "how long an idle bot's CPU (app credentials, SQLite and PostgreSQL) is counted (0 skips it)")
	keep := flag.Bool("keep", false, "keep the temporary folder (process logs, stores) and print where it is")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	o.Self = self
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	if !*keep {
		if err := os.RemoveAll(rep.LogsFolder); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest: remove its temporary folder:", err)
		}
		rep.LogsFolder = "(removed; -keep keeps it)"
	}
	if err := rep.Print(os.Stdout, o.JSON); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}
