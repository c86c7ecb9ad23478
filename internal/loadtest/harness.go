// Package loadtest measures the bot beside a bare baseline doing the same
// work (verify Chat's token, one spaces.members.create, answer), each in its
// own process against one emulator process: throughput, latency, CPU and
// memory, behaviour while Google is slow, and cold start.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Options are the harness's knobs (cmd/loadtest flags).
type Options struct {
	Count        int           // events per target in the throughput phase
	Rounds       int           // the throughput phase alternates targets over this many rounds
	Duration     time.Duration // upper bound of each phase
	Concurrency  int           // in-flight events in the throughput phase
	APILatency   time.Duration // emulated Chat API latency in the main phases
	Rate         float64       // events/s of the fixed-rate phase (0: skip)
	RateEvents   int           // events of the fixed-rate phase
	SlowLatency  time.Duration // emulated latency of the slow-Google phase (0: skip)
	SlowInFlight int           // events in flight at once in that phase
	ColdStarts   int           // starts per store for the cold-start median (0: skip)
	Quota        QuotaOptions  // the quota phase (People 0: skip)
	Promises     PromiseOptions
	Idle         time.Duration // how long idle CPU is counted, per store (0: skip)
	DatabaseURL  string        // PostgreSQL for the cold start (empty: skip)
	BotLogLevel  string        // LOG_LEVEL of the bot under load
	BotBinary    string        // prebuilt bot; empty: go build ./cmd/bot
	CPUProfile   string        // write the bot's CPU profile of the throughput phase here
	HeapProfile  string        // write the bot's heap profile, taken mid slow-Google phase, here
	Self         string        // this binary, re-executed for the emulator and baseline
	JSON         bool
	Out          io.Writer
	Progress     io.Writer
}

// Report is everything one run measured.
type Report struct {
	Machine        string          `json:"machine"`
	Rounds         int             `json:"throughput_rounds"`
	Throughput     []phase         `json:"throughput"`
	Ratios         []ratio         `json:"ratios"`
	FixedRate      []phase         `json:"fixed_rate,omitempty"`
	Slow           []phase         `json:"slow_google,omitempty"`
	SlowLatencyMs  float64         `json:"slow_injected_latency_ms,omitempty"`
	ColdStartMs    coldRuns        `json:"cold_start_ms"`
	BotLogLevel    string          `json:"bot_log_level"`
	APILatencyMs   float64         `json:"api_latency_ms"`
	Concurrency    int             `json:"concurrency"`
	FixedRatePerS  float64         `json:"fixed_rate_per_s,omitempty"`
	SlowInFlight   int             `json:"slow_in_flight,omitempty"`
	GoVersion      string          `json:"go_version"`
	LogsFolder     string          `json:"logs_folder"`
	ErrorsTotal    int             `json:"errors_total"`
	ColdStartNotes []string        `json:"cold_start_notes,omitempty"`
	QuotaPhase     []quotaRun      `json:"quota_phase,omitempty"`
	QuotaOptions   QuotaOptions    `json:"quota_options"`
	Idle           []idleRun       `json:"idle_cpu,omitempty"`
	Promises       *promisesReport `json:"promises,omitempty"`
}

// ratio compares the bot with one baseline in the throughput phase.
type ratio struct {
	Baseline   string  `json:"baseline"`
	Throughput float64 `json:"throughput_bot_over_baseline"`
	CPU        float64 `json:"cpu_per_event_bot_over_baseline,omitempty"` // 0: too short a run to tell
}

type coldRuns struct {
	SQLite   float64 `json:"sqlite,omitempty"`
	Postgres float64 `json:"postgres,omitempty"`
	// IdleRSSMB is the SQLite bot's resident set right after it first
	// answers /healthz (median of restarts).
	IdleRSSMB float64 `json:"idle_rss_mb,omitempty"`
}

// env is what every bot process of the run shares.
type env struct {
	o       Options
	dir     string
	emu     *proc
	bin     string
	logs    *os.File
	client  *http.Client
	dataDir string
}

// Run runs the whole harness.
func Run(ctx context.Context, o Options) (*Report, error) {
	dir, err := os.MkdirTemp("", "invite-loadtest-")
	if err != nil {
		return nil, err
	}
	logs, err := os.Create(filepath.Join(dir, "processes.log"))
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	e := &env{o: o, dir: dir, logs: logs, dataDir: filepath.Join(dir, "data"),
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 8192, MaxIdleConnsPerHost: 8192, IdleConnTimeout: 30 * time.Second,
		}}}
	rep := &Report{Rounds: max(o.Rounds, 1), Machine: fmt.Sprintf("%d CPUs, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH), GoVersion: runtime.Version(),
		LogsFolder: dir, BotLogLevel: o.BotLogLevel, APILatencyMs: ms(o.APILatency), Concurrency: o.Concurrency}

	if e.bin = o.BotBinary; e.bin == "" {
		e.bin = filepath.Join(dir, "bot")
		e.progress("building the bot")
		if out, err := exec.Command("go", "build", "-o", e.bin, "github.com/chatinvite/invitebot/cmd/bot").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/bot: %v\n%s", err, out)
		}
	}
	e.progress("starting the emulator")
	if e.emu, err = startRole(o.Self, "emulator", nil, logs); err != nil {
		return nil, err
	}
	defer e.emu.stop()
	if err := e.admin("latency", url.Values{"ms": {fmt.Sprint(o.APILatency.Milliseconds())}}); err != nil {
		return nil, err
	}

	// Throughput and fixed rate, bot then baseline.
	targets, err := e.startTargets(true)
	if err != nil {
		return nil, err
	}
	bot := targets[0]
	for i, t := range targets {
		e.progress("warming up " + t.name)
		load(ctx, e.client, t, fmt.Sprintf("warm%d", i), 300, 16, 0, time.Minute, false)
	}
	var profiled chan error
	if o.CPUProfile != "" {
		profiled = make(chan error, 1)
		go func() { profiled <- e.profile(bot, o.CPUProfile) }()
	}
	// Targets take turns, round after round, so a machine that is busier
	// for a while slows them alike.
	rounds := max(o.Rounds, 1)
	rep.Throughput = make([]phase, len(targets))
	for r := range rounds {
		for i, t := range targets {
			e.progress(fmt.Sprintf("throughput, round %d of %d: %d events to %s", r+1, rounds, o.Count/rounds, t.name))
			rep.Throughput[i] = rep.Throughput[i].merge(load(ctx, e.client, t, fmt.Sprintf("tp%d-%d", i, r), o.Count/rounds, o.Concurrency, 0, o.Duration, false))
		}
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return nil, err
		}
	}
	if o.HeapProfile != "" { // allocations since start, mostly the throughput phase
		if err := e.fetch(bot.debugURL+"/debug/pprof/allocs", o.HeapProfile+".allocs"); err != nil {
			return nil, err
		}
	}
	for _, base := range rep.Throughput[1:] {
		b := rep.Throughput[0]
		if base.EventsPerSec > 0 {
			r := ratio{Baseline: base.Target, Throughput: b.EventsPerSec / base.EventsPerSec}
			if base.CPUPer1000 > 0 { // 0 when the run was too short for the kernel's 10 ms ticks
				r.CPU = b.CPUPer1000 / base.CPUPer1000
			}
			rep.Ratios = append(rep.Ratios, r)
		}
	}
	if o.Rate > 0 {
		rep.FixedRatePerS = o.Rate
		for i, t := range targets {
			e.progress(fmt.Sprintf("fixed rate: %.0f/s to %s", o.Rate, t.name))
			rep.FixedRate = append(rep.FixedRate, load(ctx, e.client, t, fmt.Sprintf("rate%d", i), o.RateEvents, 0, o.Rate, o.Duration, false))
		}
	}
	stopAll(targets)

	// Slow Google, on fresh processes so their peak RSS is this phase's.
	if o.SlowLatency > 0 {
		rep.SlowLatencyMs, rep.SlowInFlight = ms(o.SlowLatency), o.SlowInFlight
		if err := e.admin("latency", url.Values{"ms": {fmt.Sprint(o.SlowLatency.Milliseconds())}}); err != nil {
			return nil, err
		}
		targets, err := e.startTargets(false)
		if err != nil {
			return nil, err
		}
		bot := targets[0]
		if o.HeapProfile != "" {
			go func() {
				time.Sleep(o.SlowLatency * 4 / 5) // all events are in flight by then
				if err := e.fetch(bot.debugURL+"/debug/pprof/heap", o.HeapProfile); err != nil {
					e.progress("heap profile: " + err.Error())
				}
			}()
		}
		for i, t := range targets {
			e.progress(fmt.Sprintf("slow Google: %d events at once to %s", o.SlowInFlight, t.name))
			rep.Slow = append(rep.Slow, load(ctx, e.client, t, fmt.Sprintf("slow%d", i), o.SlowInFlight, o.SlowInFlight, 0, o.Duration, true))
		}
		stopAll(targets)
	}

	if o.ColdStarts > 0 {
		e.progress("cold starts")
		rep.ColdStartMs.SQLite, rep.ColdStartMs.IdleRSSMB, err = e.coldStart(nil)
		if err != nil {
			return nil, err
		}
		if o.DatabaseURL != "" {
			rep.ColdStartMs.Postgres, _, err = e.coldStart([]string{"DATABASE_URL=" + o.DatabaseURL})
			if err != nil {
				rep.ColdStartNotes = append(rep.ColdStartNotes, "PostgreSQL: "+err.Error())
			}
		} else {
			rep.ColdStartNotes = append(rep.ColdStartNotes, "PostgreSQL skipped: no -database-url (or TEST_DATABASE_URL)")
		}
	}
	if o.Idle > 0 {
		if rep.Idle, err = e.idlePhase(ctx, o.Idle); err != nil {
			return nil, err
		}
	}
	if o.Quota.People > 0 {
		rep.QuotaOptions = o.Quota
		if err := e.admin("latency", url.Values{"ms": {"0"}}); err != nil {
			return nil, err
		}
		if rep.QuotaPhase, err = e.quotaPhase(ctx, o.Quota); err != nil {
			return nil, err
		}
		for _, r := range rep.QuotaPhase {
			rep.ErrorsTotal += r.Lost
		}
	}
	if o.Promises.Saturation > 0 || o.Promises.Large > 0 || o.Promises.SignOut > 0 {
		rep.QuotaOptions = o.Quota
		if rep.Promises, err = e.promisesPhase(ctx, o.Quota, o.Promises); err != nil {
			return nil, err
		}
		if s := rep.Promises.Saturation; s != nil {
			rep.ErrorsTotal += s.Lost
		}
		if f := rep.Promises.Fairness; f != nil {
			rep.ErrorsTotal += f.Lost
		}
	}
	for _, ph := range slices.Concat(rep.Throughput, rep.FixedRate, rep.Slow) {
		rep.ErrorsTotal += ph.Errors
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// profile saves 3 s of the bot's CPU profile, taken while it is under load.
func (e *env) profile(bot *target, path string) error {
	return e.fetch(bot.debugURL+"/debug/pprof/profile?seconds=3", path)
}

func (e *env) fetch(url, path string) error {
	resp, err := e.client.Get(url)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func (e *env) progress(msg string) {
	if e.o.Progress != nil {
		fmt.Fprintf(e.o.Progress, "… %s\n", msg)
	}
}

func (e *env) admin(what string, q url.Values) error {
	resp, err := e.client.Post(e.emu.url+"/_emulator/"+what+"?"+q.Encode(), "text/plain", nil)
	if err != nil {
		return fmt.Errorf("emulator %s: %w", what, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator %s: status %d", what, resp.StatusCode)
	}
	return nil
}

func (e *env) adminGet(path string, q url.Values) (string, error) {
	resp, err := e.client.Get(e.emu.url + "/_emulator/" + path + "?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("emulator %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b), nil
}

// botEnv is the bot's environment; the keyset lives beside the data folder
// so every bot process of the run (and the cold starts) share grants.
func (e *env) botEnv(extra ...string) []string {
	return append([]string{
		"GOOGLE_EMULATOR_URL=" + e.emu.url,
		"GOOGLE_OAUTH_CLIENT_ID=" + clientID, "GOOGLE_OAUTH_CLIENT_SECRET=" + clientSecret,
		"BOT_DATA_DIR=" + e.dataDir, "LOG_LEVEL=" + e.o.BotLogLevel,
		"DATABASE_URL=", "TOKEN_KEYSET_FILE=", "CHAT_AUDIENCE=",
		// The harness measures the bot's own work: the emulator enforces no
		// quota here, so neither does the bot's pacing.
		"QUOTA_SPACE_WRITES_PER_MINUTE=1000000", "QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=1000000",
		// Large invitations start at once, as a person who clicked Start
		// on their preview: the harness measures the work, not the click.
		"INVITE_CONFIRM_OVER=0",
	}, extra...)
}

func stopAll(targets []*target) {
	for _, t := range targets {
		t.proc.stop()
	}
}

// Baselines: the same call made as a plain POST (the least any server can
// do) and through chat/v1 (the client this project uses by design).
const (
	baselineRaw    = "baseline (raw POST)"
	baselineChatV1 = "baseline (chat/v1)"
)

// startTargets starts the bot and the two baselines; with consent, the load
// user consents through the bot first (the real flow).
func (e *env) startTargets(consent bool) ([]*target, error) {
	debugPort, err := freePort()
	if err != nil {
		return nil, err
	}
	bp, _, err := startBot(e.bin, e.botEnv(fmt.Sprintf("DEBUG_ADDR=127.0.0.1:%d", debugPort)), e.logs)
	if err != nil {
		return nil, err
	}
	audience := bp.url + "/chat/events"
	token, err := e.adminGet("chat-token", url.Values{"aud": {audience}})
	if err != nil {
		bp.stop()
		return nil, err
	}
	bot := &target{name: "bot", url: bp.url, debugURL: fmt.Sprintf("http://127.0.0.1:%d", debugPort), proc: bp, token: token,
		ok: func(b []byte) bool { return strings.Contains(string(b), `"1 added"`) }}
	targets := []*target{bot}
	if consent {
		if err := e.consent(bot); err != nil {
			stopAll(targets)
			return nil, err
		}
	}
	access, err := e.adminGet("access-token", url.Values{"email": {inviter}, "scope": {"https://www.googleapis.com/auth/chat.memberships"}})
	if err != nil {
		stopAll(targets)
		return nil, err
	}
	for _, b := range []struct{ name, client string }{{baselineRaw, "raw"}, {baselineChatV1, "chatv1"}} {
		sp, err := startRole(e.o.Self, "baseline", []string{"GOOGLE_EMULATOR_URL=" + e.emu.url, "CHAT_AUDIENCE=" + audience,
			"ACCESS_TOKEN=" + access, "BASELINE_CLIENT=" + b.client}, e.logs)
		if err != nil {
			stopAll(targets)
			return nil, err
		}
		targets = append(targets, &target{name: b.name, url: sp.url, debugURL: sp.url, proc: sp, token: token,
			ok: func(b []byte) bool { return string(b) == `{"text":"done"}` }})
	}
	return targets, nil
}

// consent runs the first /invite through the real consent flow.
func (e *env) consent(bot *target) error {
	if err := e.admin("client", url.Values{"id": {clientID}, "secret": {clientSecret}, "redirect_uri": {bot.url + "/oauth2/callback"}}); err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, bot.url+"/chat/events", strings.NewReader(string(eventBody("consent", 0))))
	req.Header.Set("Authorization", "Bearer "+bot.token)
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("first /invite: %w", err)
	}
	var m struct {
		ActionResponse struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"actionResponse"`
	}
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || m.ActionResponse.Type != "REQUEST_CONFIG" {
		return fmt.Errorf("first /invite did not ask for consent (%v)", err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err = browser.Get(m.ActionResponse.URL)
	if err != nil {
		return fmt.Errorf("consent: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("consent ended with status %d", resp.StatusCode)
	}
	return nil
}

// coldStart is the median time from exec to the first 200 on /healthz, over
// o.ColdStarts starts on an existing store.
func (e *env) coldStart(extra []string) (startMs, idleRSSMB float64, err error) {
	var keysetEnv []string
	if len(extra) > 0 { // PostgreSQL needs an explicit keyset.
		keysetEnv = []string{"TOKEN_KEYSET_FILE=" + filepath.Join(e.dataDir, "token-keyset.json")}
	}
	var runs, rss []float64
	for i := 0; i < e.o.ColdStarts+1; i++ {
		p, took, err := startBot(e.bin, slices.Concat(e.botEnv(), extra, keysetEnv), e.logs)
		if err != nil {
			return 0, 0, err
		}
		idle := p.rssMB()
		p.stop()
		if i > 0 { // the first start creates the store; the median is of restarts
			runs = append(runs, ms(took))
			rss = append(rss, idle)
		}
	}
	if len(runs) == 0 {
		return 0, 0, errors.New("no runs")
	}
	slices.Sort(runs)
	slices.Sort(rss)
	return runs[len(runs)/2], rss[len(rss)/2], nil
}
