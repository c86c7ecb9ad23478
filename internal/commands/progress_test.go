package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
)

// TestProgressSaysItWaitsForTheQuota: while every membership write waits
// for Chat's quota, the progress message says so and when the next ones
// go; once writes go again, the line is gone.
func TestProgressSaysItWaitsForTheQuota(t *testing.T) {
	pacer := quota.NewPacer(60, 1, time.Minute, nil)
	iv := &Invite{Deps: Deps{Pacer: pacer, Now: time.Now}}
	inv := &membership.Invitation{ID: "w", User: "users/1", Space: "spaces/AAA", Targets: []membership.Planned{
		{Space: "spaces/AAA", Target: membership.Target{Kind: membership.TargetUser, Name: "users/2", Typed: "ana@example.com"}},
	}}
	text := func() string {
		var b strings.Builder
		for _, s := range iv.progressMessage(inv, false).CardsV2[0].Card.Sections {
			for _, w := range s.Widgets {
				if w.TextParagraph != nil {
					b.WriteString(w.TextParagraph.Text + "\n")
				}
			}
		}
		return b.String()
	}
	if strings.Contains(text(), "Waiting for Chat") {
		t.Fatalf("waiting before any write: %s", text())
	}
	if err := pacer.Membership(t.Context(), quota.Turn{Who: "users/1", Job: "w"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- pacer.Membership(ctx, quota.Turn{Who: "users/1", Job: "w"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(text(), "Waiting for Chat&#39;s limit: next additions in ") {
		if time.Now().After(deadline) {
			t.Fatalf("no waiting line: %s", text())
		}
		time.Sleep(time.Millisecond)
	}
	if got := text(); !strings.Contains(got, " in 63 s") && !strings.Contains(got, " in 62 s") {
		t.Fatalf("the next slot frees in about a minute (and its margin): %s", got)
	}
	inv.Op = membership.Remove
	if !strings.Contains(text(), "next removals in") {
		t.Fatalf("a removal waits for removals: %s", text())
	}
	cancel()
	<-done
	if strings.Contains(text(), "Waiting for Chat") {
		t.Fatalf("still waiting once the wait ended: %s", text())
	}
}
