package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Print writes the report as text or JSON.
func (r *Report) Print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "Invite load harness · %s · %s · bot LOG_LEVEL=%s · emulated API latency %.0f ms\n\n",
		r.Machine, r.GoVersion, r.BotLogLevel, r.APILatencyMs)
	table := func(title string, phases []phase, goroutines bool) {
		if len(phases) == 0 {
			return
		}
		fmt.Fprintln(w, title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := "target\tevents\terrors\tevents/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tCPU s/1k ev\tpeak RSS MB\t"
		if goroutines {
			head += "peak goroutines\t"
		}
		fmt.Fprintln(tw, head)
		for _, p := range phases {
			line := fmt.Sprintf("%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.1f\t%.3f\t%.1f\t", p.Target, p.Events, p.Errors, p.EventsPerSec,
				p.P50ms, p.P90ms, p.P99ms, p.MaxMs, p.CPUPer1000, p.PeakRSSMB)
			if goroutines {
				line += fmt.Sprintf("%d\t", p.PeakGoroutines)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
		for _, p := range phases {
			if p.FirstError != "" {
				fmt.Fprintf(w, "  first error from %s: %s\n", p.Target, p.FirstError)
			}
		}
		fmt.Fprintln(w)
	}
	table(fmt.Sprintf("Throughput (closed loop, %d in flight; targets take turns over %d rounds)", r.Concurrency, r.Rounds), r.Throughput, false)
	for _, x := range r.Ratios {
		cpu := "too little CPU to compare (a longer run)"
		if x.CPU > 0 {
			cpu = fmt.Sprintf("%.2f", x.CPU)
		}
		fmt.Fprintf(w, "bot / %s: throughput %.2f, CPU per event %s\n", x.Baseline, x.Throughput, cpu)
	}
	if len(r.Ratios) > 0 {
		fmt.Fprintln(w)
	}
	table(fmt.Sprintf("Fixed rate (%.0f events/s, latency from each event's scheduled time)", r.FixedRatePerS), r.FixedRate, false)
	table(fmt.Sprintf("Slow Google (%.0f ms per API call, %d events in flight at once; fresh processes)", r.SlowLatencyMs, r.SlowInFlight), r.Slow, true)
	for _, p := range r.Slow {
		fmt.Fprintf(w, "%s: p99 %.1f ms above the injected %.0f ms\n", p.Target, p.P99ms-r.SlowLatencyMs, r.SlowLatencyMs)
	}
	if len(r.Slow) > 0 {
		fmt.Fprintln(w)
	}
	if r.ColdStartMs.SQLite > 0 || r.ColdStartMs.Postgres > 0 {
		fmt.Fprintf(w, "Cold start (exec to first 200 on /healthz, median of restarts): SQLite %.1f ms", r.ColdStartMs.SQLite)
		if r.ColdStartMs.Postgres > 0 {
			fmt.Fprintf(w, ", PostgreSQL %.1f ms", r.ColdStartMs.Postgres)
		}
		fmt.Fprintln(w)
		if r.ColdStartMs.IdleRSSMB > 0 {
			fmt.Fprintf(w, "Idle RSS (SQLite, right after the first 200 on /healthz, median): %.1f MB\n", r.ColdStartMs.IdleRSSMB)
		}
	}
	for _, n := range r.ColdStartNotes {
		fmt.Fprintln(w, "  "+n)
	}
	for _, x := range r.Idle {
		fmt.Fprintf(w, "Idle CPU (%s, app credentials, over %.0f s): %.2f ms a second\n", x.Store, x.Seconds, x.CPUMsPerSec)
	}
	if len(r.QuotaPhase) > 0 {
		q := r.QuotaOptions
		fmt.Fprintf(w, "\nQuota phase (%d people across %d spaces, each space's share in one /invite; the emulator allows %d message writes per space and %d membership writes per project per %v, and answers in %v)\n",
			q.People, q.Spaces, q.SpaceWrites, q.ProjectWrites, q.Window, q.Latency)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\ts\tleast s\tratio\tmembership calls\twrites\t429s\tlost\tcalls made again\t")
		for _, x := range r.QuotaPhase {
			ratio := "–" // the quotas allow it all at once
			if x.LeastS > 0 {
				ratio = fmt.Sprintf("%.2f", x.Ratio)
			}
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%d\t%d\t%d\t%d\t%d\t\n", x.Mode, x.Seconds, x.LeastS, ratio, x.Calls, x.Writes, x.Refused429, x.Lost, x.Again)
		}
		tw.Flush()
		for _, x := range r.QuotaPhase {
			if x.Note != "" {
				fmt.Fprintf(w, "  %s: %s\n", x.Mode, x.Note)
			}
		}
	}
	if r.Promises != nil {
		r.Promises.print(w, r.QuotaOptions)
	}
	fmt.Fprintf(w, "\nerrors in all: %d · process logs: %s\n", r.ErrorsTotal, r.LogsFolder)
	return nil
}
