package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// PromiseOptions shape the promises phase, run on the quota phase's quotas:
// Saturation one-person /invites sent at Rate a second across Spaces spaces
// (0 skips it); then one invitation of Large people with Small one-person
// /invites started during it, one a second, each in a space of its own
// (Large 0 skips it).
type PromiseOptions struct {
	Saturation int
	Rate       float64
	Spaces     int
	Large      int
	Small      int
	// SignOut people are invited on one of two instances sharing
	// PostgreSQL, and their inviter signs out on the other (0 skips it).
	SignOut int
}

// saturationRun is what the saturation mode measured.
type saturationRun struct {
	Invites int     `json:"invites"`
	Rate    float64 `json:"rate_per_s"`
	P50ms   float64 `json:"answer_p50_ms"`
	P99ms   float64 `json:"answer_p99_ms"`
	MaxMs   float64 `json:"answer_max_ms"`
	// NotTried counts answers saying a person was not tried.
	NotTried   int     `json:"answered_not_tried"`
	Seconds    float64 `json:"seconds_until_all_in"`
	LeastS     float64 `json:"least_the_quotas_allow_s"`
	Ratio      float64 `json:"ratio"`
	Lost       int     `json:"lost"`
	Again      int     `json:"calls_made_again"`
	Refused429 int     `json:"writes_refused_429"`
}

// fairnessRun is what the fairness mode measured.
type fairnessRun struct {
	Large      int     `json:"large"`
	LargeS     float64 `json:"large_seconds"`
	LargeLeast float64 `json:"large_least_s"`
	LargeRatio float64 `json:"large_ratio"`
	Small      int     `json:"small"`
	// SmallWindows is how long each one-person /invite took, from its send
	// to its person joined, in quota windows: the longest and the median.
	SmallMaxWindows    float64 `json:"small_max_windows"`
	SmallMedianWindows float64 `json:"small_median_windows"`
	Lost               int     `json:"lost"`
}

// promiseBot starts one bot on SQLite with the app's credentials and the
// quota phase's quotas, and runs consent for the load's inviter.
func (e *env) promiseBot(q QuotaOptions, keyFile, tag string) (*target, error) {
	if err := e.admin("quota", url.Values{"window": {q.Window.String()}, "space": {fmt.Sprint(q.SpaceWrites)}, "project": {fmt.Sprint(q.ProjectWrites)}}); err != nil {
		return nil, err
	}
	p, _, err := startBot(e.bin, e.botEnv("GOOGLE_APPLICATION_CREDENTIALS="+keyFile, "QUOTA_WINDOW="+q.Window.String(),
		fmt.Sprintf("QUOTA_SPACE_WRITES_PER_MINUTE=%d", q.SpaceWrites), fmt.Sprintf("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=%d", q.ProjectWrites),
		"INVITE_RESCUE_AFTER="+max(q.Window/4, 500*time.Millisecond).String(), "BOT_DATA_DIR="+filepath.Join(e.dir, tag+"-data")), e.logs)
	if err != nil {
		return nil, err
	}
	token, err := e.adminGet("chat-token", url.Values{"aud": {p.url + "/chat/events"}})
	if err != nil {
		p.stop()
		return nil, err
	}
	bot := &target{name: "bot", url: p.url, proc: p, token: token}
	if err := e.consent(bot); err != nil {
		p.stop()
		return nil, err
	}
	return bot, nil
}

// send posts one /invite of emails in space and returns the answer and how
// long it took.
func (e *env) send(ctx context.Context, bot *target, space, name string, emails []string) ([]byte, time.Duration, error) {
	app := emulator.AppFor(bot.url+"/chat/events", map[int64]string{1: "invite"}, false)
	ev := app.MessageEvents(emulator.Message{User: emulator.Person{ID: inviterID, Email: inviter, DisplayName: "Alice Load"},
		Space: emulator.Space{ID: space, Type: emulator.SpaceTypeSpace}, Name: "spaces/" + space + "/messages/" + name,
		Text: "/invite " + strings.Join(emails, ", ")})[0]
	body, _ := json.Marshal(ev)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, bot.url+"/chat/events", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+bot.token)
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("send /invite: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("read the answer: %w", err)
	}
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return nil, took, fmt.Errorf("send /invite: status %d", resp.StatusCode)
	}
	return out, took, nil
}

func (e *env) spaces(tag string, n int) ([]string, error) {
	var out []string
	for i := range n {
		id := fmt.Sprintf("%s-%d", tag, i)
		if err := e.admin("space", url.Values{"id": {id}, "owner": {inviterID}}); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// saturation sends one-person /invites faster than the quota allows.
func (e *env) saturation(ctx context.Context, q QuotaOptions, p PromiseOptions, keyFile string) (*saturationRun, error) {
	bot, err := e.promiseBot(q, keyFile, "sat")
	if err != nil {
		return nil, err
	}
	defer bot.proc.stop()
	spaces, err := e.spaces("sat", max(p.Spaces, 1))
	if err != nil {
		return nil, err
	}
	before, err := e.stats(spaces)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var lat []time.Duration
	notTried := 0
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / p.Rate))
	for i := range p.Saturation {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, took, err := e.send(ctx, bot, spaces[i%len(spaces)], fmt.Sprintf("sat-%d", i), []string{fmt.Sprintf("sat-%d@%s", i, loadDomain)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				return
			}
			lat = append(lat, took)
			if strings.Contains(string(out), "Not tried") {
				notTried++
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	st, err := e.waitJoined(ctx, spaces, p.Saturation, q)
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	slices.Sort(lat)
	q.People = p.Saturation
	run := &saturationRun{Invites: p.Saturation, Rate: p.Rate, P50ms: ms(lat[len(lat)/2]), P99ms: ms(lat[len(lat)*99/100]), MaxMs: ms(lat[len(lat)-1]),
		NotTried: notTried, Seconds: took.Seconds(), LeastS: q.least().Seconds(), Lost: p.Saturation - st["joined"],
		Again: max(st["creates"]-before["creates"]-p.Saturation, 0), Refused429: st["refused"] - before["refused"]}
	if run.LeastS > 0 {
		run.Ratio = run.Seconds / run.LeastS
	}
	return run, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// waitJoined waits until want people joined spaces (or the phase's bound).
func (e *env) waitJoined(ctx context.Context, spaces []string, want int, q QuotaOptions) (map[string]int, error) {
	deadline := time.Now().Add(e.o.Duration + 10*q.Window + 5*time.Minute)
	for {
		st, err := e.stats(spaces)
		if err != nil {
			return nil, err
		}
		if st["joined"] >= want || time.Now().After(deadline) || ctx.Err() != nil {
			return st, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fairness runs one large invitation and, once its first window is spent,
// one-person /invites beside it.
func (e *env) fairness(ctx context.Context, q QuotaOptions, p PromiseOptions, keyFile string) (*fairnessRun, error) {
	bot, err := e.promiseBot(q, keyFile, "fair")
	if err != nil {
		return nil, err
	}
	defer bot.proc.stop()
	big, err := e.spaces("fair-big", 1)
	if err != nil {
		return nil, err
	}
	small, err := e.spaces("fair-small", p.Small)
	if err != nil {
		return nil, err
	}
	var emails []string
	for i := range p.Large {
		emails = append(emails, fmt.Sprintf("fair-big-%d@%s", i, loadDomain))
	}
	start := time.Now()
	if _, _, err := e.send(ctx, bot, big[0], "fair-big", emails); err != nil {
		return nil, err
	}
	// The project's quota for the first window is spent at once.
	if _, err := e.waitJoined(ctx, big, min(q.ProjectWrites, p.Large), q); err != nil {
		return nil, err
	}
	sent := make([]time.Time, p.Small)
	done := make([]time.Duration, p.Small)
	for i := range p.Small {
		if i > 0 {
			time.Sleep(time.Second)
		}
		sent[i] = time.Now()
		if _, _, err := e.send(ctx, bot, small[i], fmt.Sprintf("fair-small-%d", i), []string{fmt.Sprintf("fair-small-%d@%s", i, loadDomain)}); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(e.o.Duration + 10*q.Window + 5*time.Minute)
	left := p.Small
	var largeTook time.Duration
	for (left > 0 || largeTook == 0) && time.Now().Before(deadline) && ctx.Err() == nil {
		for i, s := range small {
			if done[i] != 0 {
				continue
			}
			st, err := e.stats([]string{s})
			if err != nil {
				return nil, err
			}
			if st["joined"] >= 1 {
				done[i] = time.Since(sent[i])
				left--
			}
		}
		if largeTook == 0 {
			st, err := e.stats(big)
			if err != nil {
				return nil, err
			}
			if st["joined"] >= p.Large {
				largeTook = time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	q.People = p.Large + p.Small
	run := &fairnessRun{Large: p.Large, LargeS: largeTook.Seconds(), LargeLeast: q.least().Seconds(), Small: p.Small, Lost: left}
	if largeTook == 0 {
		run.Lost++
	}
	if run.LargeLeast > 0 {
		run.LargeRatio = run.LargeS / run.LargeLeast
	}
	var windows []float64
	for _, d := range done {
		if d > 0 {
			windows = append(windows, float64(d)/float64(q.Window))
		}
	}
	slices.Sort(windows)
	if len(windows) > 0 {
		run.SmallMaxWindows, run.SmallMedianWindows = windows[len(windows)-1], windows[len(windows)/2]
	}
	return run, nil
}

// promisesPhase runs the saturation and fairness modes.
func (e *env) promisesPhase(ctx context.Context, q QuotaOptions, p PromiseOptions) (*promisesReport, error) {
	keyFile, err := e.appKey()
	if err != nil {
		return nil, err
	}
	if err := e.admin("latency", url.Values{"ms": {fmt.Sprint(q.Latency.Milliseconds())}}); err != nil {
		return nil, err
	}
	rep := &promisesReport{Options: p}
	if p.Saturation > 0 {
		e.progress(fmt.Sprintf("promises: %d one-person /invites at %.0f a second across %d spaces", p.Saturation, p.Rate, p.Spaces))
		if rep.Saturation, err = e.saturation(ctx, q, p, keyFile); err != nil {
			return nil, fmt.Errorf("saturation: %w", err)
		}
	}
	if p.Large > 0 {
		e.progress(fmt.Sprintf("promises: %d one-person /invites during one of %d people", p.Small, p.Large))
		if rep.Fairness, err = e.fairness(ctx, q, p, keyFile); err != nil {
			return nil, fmt.Errorf("fairness: %w", err)
		}
	}
	if p.SignOut > 0 {
		e.progress(fmt.Sprintf("promises: /logout during an invitation of %d on two instances", p.SignOut))
		if rep.SignOut, err = e.signout(ctx, q, p.SignOut, keyFile); err != nil {
			return nil, fmt.Errorf("sign-out: %w", err)
		}
	}
	return rep, nil
}

// promisesReport is the promises phase's part of the report.
type promisesReport struct {
	Options    PromiseOptions `json:"options"`
	Saturation *saturationRun `json:"saturation,omitempty"`
	Fairness   *fairnessRun   `json:"fairness,omitempty"`
	SignOut    *signoutRun    `json:"sign_out,omitempty"`
}

// print writes the phase's figures.
func (r *promisesReport) print(w io.Writer, q QuotaOptions) {
	fmt.Fprintf(w, "\nPromises phase (on the quota phase's quotas: %d membership writes per project and %d message writes per space per %v)\n",
		q.ProjectWrites, q.SpaceWrites, q.Window)
	if s := r.Saturation; s != nil {
		fmt.Fprintf(w, "  saturation: %d one-person /invites at %.0f/s across %d spaces: answers p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d answered \"not tried\"; all in after %.1f s (least %.1f s, %.2fx); lost %d, calls made again %d, 429s %d\n",
			s.Invites, s.Rate, r.Options.Spaces, s.P50ms, s.P99ms, s.MaxMs, s.NotTried, s.Seconds, s.LeastS, s.Ratio, s.Lost, s.Again, s.Refused429)
	}
	if f := r.Fairness; f != nil {
		fmt.Fprintf(w, "  fairness: %d one-person /invites during one of %d: each in within %.2f quota windows (median %.2f); the large one in %.1f s (least %.1f s, %.2fx); lost %d\n",
			f.Small, f.Large, f.SmallMaxWindows, f.SmallMedianWindows, f.LargeS, f.LargeLeast, f.LargeRatio, f.Lost)
	}
	if s := r.SignOut; s != nil {
		fmt.Fprintf(w, "  sign-out: /logout on one of two instances during an invitation of %d on the other: last membership call in the user's name %.0f ms after it (one lease: %.0f ms); %d had joined\n",
			s.People, s.AfterMs, s.LeaseMs, s.Joined)
	}
}

// signoutRun is what the sign-out mode measured.
type signoutRun struct {
	People int `json:"people"`
	// AfterMs is how long after /logout was answered the last membership
	// call in the user's name was made (negative: none after it).
	AfterMs float64 `json:"last_call_after_logout_ms"`
	LeaseMs float64 `json:"lease_ms"`
	Joined  int     `json:"joined_at_the_end"`
}

// signout starts an invitation of people on one instance of two sharing
// PostgreSQL, signs its user out on the other once a fifth are in, and
// reads when the last membership call in the user's name was made.
func (e *env) signout(ctx context.Context, q QuotaOptions, people int, keyFile string) (*signoutRun, error) {
	if e.o.DatabaseURL == "" {
		return nil, nil
	}
	if err := e.admin("quota", url.Values{"window": {q.Window.String()}, "space": {fmt.Sprint(q.SpaceWrites)}, "project": {fmt.Sprint(q.ProjectWrites)}}); err != nil {
		return nil, err
	}
	dbURL, drop, err := freshDatabase(e.o.DatabaseURL, "signout")
	if err != nil {
		return nil, err
	}
	defer drop()
	ks, err := tokencrypt.NewKeyset()
	if err != nil {
		return nil, err
	}
	ksFile := filepath.Join(e.dir, "signout-keyset.json")
	if err := tokencrypt.WriteFile(ksFile, ks, nil); err != nil {
		return nil, err
	}
	lease := max(q.Window/4, 500*time.Millisecond)
	env := e.botEnv("GOOGLE_APPLICATION_CREDENTIALS="+keyFile, "QUOTA_WINDOW="+q.Window.String(),
		fmt.Sprintf("QUOTA_SPACE_WRITES_PER_MINUTE=%d", q.SpaceWrites), fmt.Sprintf("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=%d", q.ProjectWrites),
		"INVITE_RESCUE_AFTER="+lease.String(), "DATABASE_URL="+dbURL, "TOKEN_KEYSET_FILE="+ksFile)
	var bots []*target
	defer func() { stopAll(bots) }()
	for range 2 {
		p, _, err := startBot(e.bin, env, e.logs)
		if err != nil {
			return nil, err
		}
		token, err := e.adminGet("chat-token", url.Values{"aud": {p.url + "/chat/events"}})
		if err != nil {
			return nil, err
		}
		bots = append(bots, &target{name: "bot", url: p.url, proc: p, token: token})
	}
	if err := e.consent(bots[0]); err != nil {
		return nil, err
	}
	spaces, err := e.spaces("signout", 1)
	if err != nil {
		return nil, err
	}
	var emails []string
	for i := range people {
		emails = append(emails, fmt.Sprintf("signout-%d@%s", i, loadDomain))
	}
	if _, _, err := e.send(ctx, bots[0], spaces[0], "signout", emails); err != nil {
		return nil, err
	}
	if _, err := e.waitJoined(ctx, spaces, people/5, q); err != nil {
		return nil, err
	}
	app := emulator.AppFor(bots[1].url+"/chat/events", map[int64]string{1: "invite", 3: "logout"}, false)
	ev := app.MessageEvents(emulator.Message{User: emulator.Person{ID: inviterID, Email: inviter, DisplayName: "Alice Load"},
		Space: emulator.Space{ID: spaces[0], Type: emulator.SpaceTypeSpace}, Name: "spaces/" + spaces[0] + "/messages/signout-logout", Text: "/logout"})[0]
	body, _ := json.Marshal(ev)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, bots[1].url+"/chat/events", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+bots[1].token)
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send /logout: %w", err)
	}
	resp.Body.Close()
	loggedOut := time.Now()
	// Whatever still runs has stopped well after a few leases.
	wait := time.NewTimer(4 * lease)
	select {
	case <-wait.C:
	case <-ctx.Done():
		wait.Stop()
	}
	raw, err := e.adminGet("stats", url.Values{"spaces": {spaces[0]}, "user": {inviterID}})
	if err != nil {
		return nil, err
	}
	st := map[string]int{}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, fmt.Errorf("emulator stats: %w", err)
	}
	last := time.UnixMilli(int64(st["user_last_create_unix_ms"]))
	return &signoutRun{People: people, AfterMs: ms(last.Sub(loggedOut)), LeaseMs: ms(lease), Joined: st["joined"]}, nil
}
