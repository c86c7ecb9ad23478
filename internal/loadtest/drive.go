package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatinvite/invitebot/internal/emulator"
)

func goroutines(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, runtime.NumGoroutine()) }

// target is a server under load.
type target struct {
	name     string
	url      string // base URL; events go to /chat/events
	debugURL string // where /debug/goroutines answers
	proc     *proc
	token    string // Chat bearer token
	// ok checks a 200 answer's body.
	ok func(body []byte) bool
}

// loadApp is the bot as the emulated Chat knows it in the harness.
var loadApp = emulator.ChatApp{Commands: []emulator.SlashCommand{{ID: 1, Name: "/invite"}}}

// eventBody is a classic /invite of one new person, as Chat sends it.
func eventBody(run string, i int) []byte {
	email := fmt.Sprintf("u%s-%d@%s", run, i, loadDomain)
	evs := loadApp.MessageEvents(emulator.Message{
		User:  emulator.Person{ID: inviterID, Email: inviter, DisplayName: "Alice Load"},
		Space: emulator.Space{ID: loadSpace, DisplayName: "Load"},
		Name:  "spaces/" + loadSpace + "/messages/" + run + "-" + strconv.Itoa(i),
		Text:  "/invite " + email, ConfigCompleteURL: "https://chat.google.com/api/bot_config_complete?token=x",
	})
	body, err := json.Marshal(evs[0])
	if err != nil {
		panic(err) // a map of strings and numbers always encodes
	}
	return body
}

// phase is what one load phase measured on one target.
type phase struct {
	Target         string  `json:"target"`
	Events         int     `json:"events"`
	Errors         int     `json:"errors"`
	Seconds        float64 `json:"seconds"`
	EventsPerSec   float64 `json:"events_per_sec"`
	P50ms          float64 `json:"p50_ms"`
	P90ms          float64 `json:"p90_ms"`
	P99ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	CPUPer1000     float64 `json:"cpu_seconds_per_1000_events"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	PeakGoroutines int     `json:"peak_goroutines,omitempty"`
	FirstError     string  `json:"first_error,omitempty"`

	lat []time.Duration // sorted; kept to merge rounds
	cpu float64         // CPU seconds spent
}

// merge adds round o (of the same target) to p.
func (p phase) merge(o phase) phase {
	if p.Events == 0 {
		return o
	}
	m := phase{Target: p.Target, Events: p.Events + o.Events, Errors: p.Errors + o.Errors, Seconds: p.Seconds + o.Seconds,
		cpu: p.cpu + o.cpu, PeakRSSMB: max(p.PeakRSSMB, o.PeakRSSMB), PeakGoroutines: max(p.PeakGoroutines, o.PeakGoroutines),
		FirstError: p.FirstError, lat: slices.Concat(p.lat, o.lat)}
	if m.FirstError == "" {
		m.FirstError = o.FirstError
	}
	slices.Sort(m.lat)
	m.summarise()
	return m
}

// summarise derives the rates and percentiles from the raw figures.
func (p *phase) summarise() {
	if p.Events == 0 || len(p.lat) == 0 {
		return
	}
	pct := func(q float64) float64 { return float64(p.lat[min(len(p.lat)-1, int(q*float64(len(p.lat))))]) / 1e6 }
	p.EventsPerSec = float64(p.Events) / p.Seconds
	p.P50ms, p.P90ms, p.P99ms, p.MaxMs = pct(0.50), pct(0.90), pct(0.99), float64(p.lat[len(p.lat)-1])/1e6
	p.CPUPer1000 = p.cpu / float64(p.Events) * 1000
}

// load sends n events to t: closed loop with concurrency workers when rate
// is 0, else open loop at rate events/s (latency counted from each event's
// scheduled time, so a stall is not hidden).
func load(ctx context.Context, client *http.Client, t *target, run string, n, concurrency int, rate float64, maxDuration time.Duration, watchGoroutines bool) phase {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = eventBody(run, i)
	}
	lat := make([]time.Duration, n)
	var errs atomic.Int64
	var firstErr atomic.Value
	send := func(i int, scheduled time.Time) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/chat/events", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+t.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !t.ok(body) {
				err = fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
			}
		}
		lat[i] = time.Since(scheduled)
		if err != nil {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}
	}

	peak := 0
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	if watchGoroutines && t.debugURL != "" {
		go func() {
			defer close(watched)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				if g := fetchInt(client, t.debugURL+"/debug/goroutines"); g > peak {
					peak = g
				}
				select {
				case <-stopWatch:
					return
				case <-tick.C:
				}
			}
		}()
	} else {
		close(watched)
	}

	cpu0 := t.proc.cpuSeconds()
	start := time.Now()
	stopAt := start.Add(maxDuration)
	var wg sync.WaitGroup
	taken := atomic.Int64{} // events started; they form the prefix [0, taken)
	if rate <= 0 {
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && time.Now().Before(stopAt) {
					i := int(taken.Add(1)) - 1
					if i >= n {
						taken.Add(-1)
						return
					}
					send(i, time.Now())
				}
			}()
		}
	} else {
		interval := time.Duration(float64(time.Second) / rate)
		for i := range n {
			at := start.Add(time.Duration(i) * interval)
			if at.After(stopAt) || ctx.Err() != nil {
				break
			}
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			taken.Add(1)
			wg.Add(1)
			go func() { defer wg.Done(); send(i, at) }()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	n = int(taken.Load())
	lat = lat[:n]
	cpu := t.proc.cpuSeconds() - cpu0
	close(stopWatch)
	<-watched

	if n == 0 {
		return phase{Target: t.name}
	}
	slices.Sort(lat)
	ph := phase{
		Target: t.name, Events: n, Errors: int(errs.Load()), Seconds: elapsed.Seconds(), cpu: cpu, lat: lat,
		PeakRSSMB: t.proc.peakRSSMB(), PeakGoroutines: peak,
	}
	ph.summarise()
	if e, ok := firstErr.Load().(string); ok {
		ph.FirstError = e
	}
	return ph
}

func fetchInt(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
