package loadtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// QuotaOptions shape the quota phase: People invited across Spaces, with
// the emulator enforcing SpaceWrites message writes per space and
// ProjectWrites membership writes per project in each Window, as Google
// does per minute.
type QuotaOptions struct {
	People, Spaces             int
	SpaceWrites, ProjectWrites int
	Window                     time.Duration
	// Latency is the emulated Chat API's, for every call of the phase.
	Latency time.Duration
}

// quotaRun is one mode of the quota phase.
type quotaRun struct {
	Mode       string  `json:"mode"`
	People     int     `json:"people"`
	Seconds    float64 `json:"seconds"`
	LeastS     float64 `json:"least_the_quotas_allow_s"`
	Ratio      float64 `json:"ratio,omitempty"`
	Calls      int     `json:"membership_calls"`
	Refused429 int     `json:"writes_refused_429"`
	Writes     int     `json:"writes_accepted"`
	Lost       int     `json:"lost"`
	// Again counts membership calls made a second time (a call in flight
	// at a kill, checked and made again: Chat answers 409, nobody is added
	// twice).
	Again int    `json:"calls_made_again"`
	Note  string `json:"note,omitempty"`
}

// least is the shortest time the quotas allow for the membership writes:
// the project's quota goes at once, then one quota a window. (Membership
// writes do not count against a space's quota: Google lists only message,
// reaction, space and media writes there.)
func (q QuotaOptions) least() time.Duration {
	return time.Duration((q.People-1)/q.ProjectWrites) * q.Window
}

// quotaPhase invites People across Spaces through the bot(s), each space's
// share in one /invite, and measures how long until everyone is a member:
// one instance on SQLite; the same killed (SIGKILL) halfway and started
// again; two on PostgreSQL; two on PostgreSQL with the first killed
// halfway.
func (e *env) quotaPhase(ctx context.Context, q QuotaOptions) ([]quotaRun, error) {
	keyFile, err := e.appKey()
	if err != nil {
		return nil, err
	}
	type mode struct {
		name      string
		instances int
		postgres  bool
		kill      bool
	}
	modes := []mode{{"1 instance, SQLite", 1, false, false},
		{"1 instance, SQLite, killed halfway and restarted", 1, false, true}}
	if e.o.DatabaseURL != "" {
		modes = append(modes, mode{"2 instances, PostgreSQL", 2, true, false},
			mode{"2 instances, PostgreSQL, one killed halfway", 2, true, true})
	}
	var runs []quotaRun
	for m, mode := range modes {
		e.progress(fmt.Sprintf("quota: %d people across %d spaces, %s", q.People, q.Spaces, mode.name))
		run, err := e.quotaRun(ctx, q, keyFile, fmt.Sprintf("q%d", m), mode.instances, mode.postgres, mode.kill)
		if err != nil {
			return runs, fmt.Errorf("quota phase, %s: %w", mode.name, err)
		}
		run.Mode = mode.name
		runs = append(runs, *run)
	}
	return runs, nil
}

func (e *env) quotaRun(ctx context.Context, q QuotaOptions, keyFile, tag string, instances int, postgres, kill bool) (*quotaRun, error) {
	if err := e.admin("quota", url.Values{"window": {q.Window.String()}, "space": {fmt.Sprint(q.SpaceWrites)}, "project": {fmt.Sprint(q.ProjectWrites)}}); err != nil {
		return nil, err
	}
	if err := e.admin("latency", url.Values{"ms": {fmt.Sprint(q.Latency.Milliseconds())}}); err != nil {
		return nil, err
	}
	// Instances on PostgreSQL share one ledger of write slots, so each is
	// given the whole quota; the lease on a running invitation is a
	// quarter of the window, as the default 15 s is of Google's minute.
	extra := []string{"GOOGLE_APPLICATION_CREDENTIALS=" + keyFile, "QUOTA_WINDOW=" + q.Window.String(),
		fmt.Sprintf("QUOTA_SPACE_WRITES_PER_MINUTE=%d", q.SpaceWrites), fmt.Sprintf("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=%d", q.ProjectWrites),
		"INVITE_RESCUE_AFTER=" + max(q.Window/4, 500*time.Millisecond).String()}
	if postgres {
		dbURL, drop, err := freshDatabase(e.o.DatabaseURL, tag)
		if err != nil {
			return nil, err
		}
		defer drop()
		ks, err := tokencrypt.NewKeyset()
		if err != nil {
			return nil, err
		}
		ksFile := filepath.Join(e.dir, tag+"-keyset.json")
		if err := tokencrypt.WriteFile(ksFile, ks, nil); err != nil {
			return nil, err
		}
		extra = append(extra, "DATABASE_URL="+dbURL, "TOKEN_KEYSET_FILE="+ksFile)
	} else {
		extra = append(extra, "BOT_DATA_DIR="+filepath.Join(e.dir, tag+"-data"))
	}
	var bots []*target
	defer func() { stopAll(bots) }()
	for range instances {
		p, _, err := startBot(e.bin, e.botEnv(extra...), e.logs)
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
	var spaces []string
	for i := range q.Spaces {
		id := fmt.Sprintf("%s-%d", tag, i)
		if err := e.admin("space", url.Values{"id": {id}, "owner": {inviterID}}); err != nil {
			return nil, err
		}
		spaces = append(spaces, id)
	}
	before, err := e.stats(spaces)
	if err != nil {
		return nil, err
	}
	app := emulator.AppFor(bots[0].url+"/chat/events", map[int64]string{1: "invite"}, false)
	startAt := time.Now()
	for i, space := range spaces {
		var emails []string
		for n := i; n < q.People; n += q.Spaces {
			emails = append(emails, fmt.Sprintf("%s-%d@%s", tag, n, loadDomain))
		}
		ev := app.MessageEvents(emulator.Message{User: emulator.Person{ID: inviterID, Email: inviter, DisplayName: "Alice Load"},
			Space: emulator.Space{ID: space, Type: emulator.SpaceTypeSpace}, Name: "spaces/" + space + "/messages/" + tag,
			Text: "/invite " + strings.Join(emails, ", ")})[0]
		body, _ := json.Marshal(ev)
		bot := bots[i%len(bots)]
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, bot.url+"/chat/events", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+bot.token)
		resp, err := e.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("send /invite: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("send /invite: status %d", resp.StatusCode)
		}
	}
	var st map[string]int
	killed := false
	deadline := startAt.Add(e.o.Duration + 10*q.Window + 5*time.Minute)
	for {
		if st, err = e.stats(spaces); err != nil {
			return nil, err
		}
		if kill && !killed && st["joined"] >= q.People/2 {
			_ = bots[0].proc.cmd.Process.Kill() // kill -9
			_ = bots[0].proc.cmd.Wait()
			killed = true
			if instances == 1 {
				// The one instance starts again on the same store and
				// takes its invitations over once their lease expires.
				p, _, err := startBot(e.bin, e.botEnv(extra...), e.logs)
				if err != nil {
					return nil, fmt.Errorf("restart after the kill: %w", err)
				}
				bots[0] = &target{name: "bot", url: p.url, proc: p}
			}
		}
		// Shares of 20 or fewer finish within the request, with no
		// progress message to wait for.
		background := (q.People+q.Spaces-1)/q.Spaces > 20
		if st["joined"] >= q.People && (!background || st["finished"] >= q.Spaces) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(startAt)
	calls := st["creates"] - before["creates"]
	run := &quotaRun{People: q.People, Seconds: took.Seconds(), LeastS: q.least().Seconds(), Calls: calls,
		Refused429: st["refused"], Writes: st["accepted"], Lost: q.People - st["joined"], Again: max(calls-q.People, 0)}
	if run.LeastS > 0 {
		run.Ratio = run.Seconds / run.LeastS
	}
	switch {
	case kill && instances == 1:
		run.Note = "restarted at once on the same store; it takes its invitations over once their lease expires (INVITE_RESCUE_AFTER)"
	case kill:
		run.Note = "the killed instance's invitations are taken over once their lease expires (INVITE_RESCUE_AFTER)"
	}
	return run, nil
}

// freshDatabase creates an empty database beside admin's for one run, and
// a function that drops it.
func freshDatabase(admin, tag string) (string, func(), error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("invite_load_%s_%d", tag, time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	}, nil
}

// stats reads the emulator's counts for spaces.
func (e *env) stats(spaces []string) (map[string]int, error) {
	raw, err := e.adminGet("stats", url.Values{"spaces": {strings.Join(spaces, ",")}})
	if err != nil {
		return nil, err
	}
	st := map[string]int{}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, fmt.Errorf("emulator stats: %w", err)
	}
	return st, nil
}
