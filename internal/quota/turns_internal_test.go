package quota

import (
	"context"
	"sync"
	"testing"
	"time"
)

// gatedSlots gives a slot only when the test hands one out.
type gatedSlots struct{ free chan struct{} }

func (g gatedSlots) Reserve(ctx context.Context, _ string, _ int, _ time.Duration, _ string) (Slot, error) {
	select {
	case <-g.free:
		return Slot{Taken: true}, nil
	default:
		return Slot{Wait: time.Millisecond}, nil
	}
}

func (gatedSlots) Refund(context.Context, string, string) error { return nil }

// TestMembershipSlotsInTurn: while one person's large invitation has 16
// writers waiting and a second invitation of theirs 8 more, another
// person's single write gets the third slot that frees (after the writer
// holding the turn and the next of the person queued first), and the second
// invitation's first write the fourth: people in turn, then their
// invitations in turn, not first come first served.
func TestMembershipSlotsInTurn(t *testing.T) {
	g := gatedSlots{free: make(chan struct{})}
	p := NewPacer(60, 300, time.Minute, g)
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	write := func(turn Turn, name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Membership(ctx, turn); err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}()
	}
	waitQueued := func(n int) {
		for p.turns.queued() != n {
			time.Sleep(time.Millisecond)
		}
	}
	write(Turn{Who: "users/ana", Job: "big"}, "big") // holds the turn
	for p.turns.queued() != 0 || !p.turns.held() {
		time.Sleep(time.Millisecond)
	}
	for range 15 {
		write(Turn{Who: "users/ana", Job: "big"}, "big")
	}
	waitQueued(15)
	for range 8 {
		write(Turn{Who: "users/ana", Job: "second"}, "second")
	}
	waitQueued(23)
	write(Turn{Who: "users/bob"}, "bob")
	waitQueued(24)
	for range 25 {
		g.free <- struct{}{}
	}
	wg.Wait()
	if order[0] != "big" || order[1] != "big" || order[2] != "bob" || order[3] != "second" {
		t.Fatalf("slots went %v; want big, big, bob, second first", order[:5])
	}
}

// TestTurnGivenUpPassesOn: a writer whose context ends while it waits for
// its turn leaves the queue, and the turn still reaches the next one.
func TestTurnGivenUpPassesOn(t *testing.T) {
	g := gatedSlots{free: make(chan struct{})}
	p := NewPacer(60, 300, time.Minute, g)
	first := make(chan error)
	go func() { first <- p.Membership(context.Background(), Turn{Who: "a"}) }()
	for !p.turns.held() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { gaveUp <- p.Membership(ctx, Turn{Who: "b"}) }()
	for p.turns.queued() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("a writer whose context ended got a slot")
	}
	third := make(chan error)
	go func() { third <- p.Membership(context.Background(), Turn{Who: "c"}) }()
	for p.turns.queued() != 1 {
		time.Sleep(time.Millisecond)
	}
	g.free <- struct{}{}
	g.free <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-third; err != nil {
		t.Fatal(err)
	}
}
