package commands_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"
	"google.golang.org/api/googleapi"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
	"github.com/chatinvite/invitebot/internal/storage"
)

// grantAuth is an Authority whose grant can be withdrawn mid-work, as
// /logout on another instance, or Google refusing it, would.
type grantAuth struct {
	commands.Authority
	gone      atomic.Bool
	forgotten atomic.Int32
}

type consentNeeded struct{}

func (consentNeeded) Error() string         { return "consent required" }
func (consentNeeded) ConsentRequired() bool { return true }

func (a *grantAuth) AccessToken(context.Context, string, []string) (string, error) {
	if a.gone.Load() {
		return "", consentNeeded{}
	}
	return "token", nil
}

func (a *grantAuth) Forget(context.Context, string) error {
	a.forgotten.Add(1)
	a.gone.Store(true)
	return nil
}

// chatHook is a Chat that runs hook before answering each creation (the
// n-th, from 1) with the answer hook gives: nil is success.
type chatHook struct {
	chatNoOne
	calls atomic.Int32
	hook  func(n int32, m *chat.Membership) error
}

func (c *chatHook) CreateMembership(ctx context.Context, token, space string, m *chat.Membership) (*chat.Membership, error) {
	n := c.calls.Add(1)
	if c.hook != nil {
		if err := c.hook(n, m); err != nil {
			return nil, err
		}
	}
	return c.chatNoOne.CreateMembership(ctx, token, space, m)
}

// countingSlots counts the quota slots held: taken, less given back.
type countingSlots struct {
	quota.Slots
	mu   sync.Mutex
	held map[string]int
}

func newCountingSlots() *countingSlots {
	return &countingSlots{Slots: quota.NewMemorySlots(time.Now), held: map[string]int{}}
}

func (s *countingSlots) Reserve(ctx context.Context, bucket string, limit int, window time.Duration, tag string) (quota.Slot, error) {
	slot, err := s.Slots.Reserve(ctx, bucket, limit, window, tag)
	if err == nil && slot.Taken && strings.Contains(bucket, "memberships") {
		s.mu.Lock()
		s.held[tag]++
		s.mu.Unlock()
	}
	return slot, err
}

func (s *countingSlots) Refund(ctx context.Context, bucket, tag string) error {
	s.mu.Lock()
	delete(s.held, tag)
	s.mu.Unlock()
	return s.Slots.Refund(ctx, bucket, tag)
}

func (s *countingSlots) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.held {
		n += c
	}
	return n
}

// storeInvitation stores an invitation of n people for users/1.
func storeInvitation(t *testing.T, db *storage.DB, id string, n int) {
	t.Helper()
	inv := &membership.Invitation{ID: id, User: "users/1", Space: "spaces/AAA", ProgressMessage: "spaces/AAA/messages/client-inv-" + id, CreatedAt: time.Now()}
	for i := range n {
		inv.Targets = append(inv.Targets, membership.Planned{Seq: i, Space: "spaces/AAA",
			Target: membership.Target{Kind: membership.TargetUser, Name: fmt.Sprintf("users/%d", 100+i), Typed: fmt.Sprintf("p%d", i)}})
	}
	if err := db.CreateInvitation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
}

// outcomes counts an invitation's outcomes as "outcome: detail".
func outcomes(t *testing.T, db *storage.DB, id string) (map[string]int, bool) {
	t.Helper()
	inv, err := db.GetInvitation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range inv.Targets {
		key := p.Outcome
		if p.Outcome == membership.NotTried.String() || p.Outcome == membership.Failed.String() {
			key += ": " + p.Detail
		}
		out[key]++
	}
	return out, inv.Finished
}

// TestSignOutStopsBackgroundWork: once the user's authorization is gone
// (they signed out, which stops their invitations, or the grant was
// deleted without it, or Google answered 401), the next target makes no
// call and takes no quota slot; the rest is "not tried", saying why.
func TestSignOutStopsBackgroundWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		// at the third call, before Chat answers it
		withdraw func(db *storage.DB, auth *grantAuth) error
		// the third call's answer
		third error
		why   string
		added int
	}{
		{name: "logout", why: "you signed out", added: 3, withdraw: func(db *storage.DB, auth *grantAuth) error {
			_, err := db.StopUserInvitations(context.Background(), "users/1", "you signed out")
			auth.gone.Store(true)
			return err
		}},
		{name: "grant deleted elsewhere", why: "your authorization was withdrawn: run /invite again", added: 3, withdraw: func(_ *storage.DB, auth *grantAuth) error {
			auth.gone.Store(true)
			return nil
		}},
		{name: "Google answers 401", why: "your authorization was withdrawn: run /invite again", added: 2,
			third: &googleapi.Error{Code: http.StatusUnauthorized, Message: "Request had invalid authentication credentials."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db := newStore(t)
			storeInvitation(t, db, "inv", 10)
			storeInvitation(t, db, "other", 1)
			auth := &grantAuth{}
			slots := newCountingSlots()
			members := &chatHook{hook: func(n int32, _ *chat.Membership) error {
				if n != 3 {
					return nil
				}
				if tc.withdraw != nil {
					if err := tc.withdraw(db, auth); err != nil {
						t.Error(err)
					}
				}
				return tc.third
			}}
			work := commands.Background(commands.Deps{Auth: auth, Members: members, Now: time.Now, Invitations: db, Concurrency: 1,
				AppMessages: messages{}, Pacer: quota.NewPacer(60, 300, time.Minute, slots), Policy: commands.Policy{MaxTargets: 100}})
			if err := work(ctx, "inv"); err != nil {
				t.Fatalf("work: %v", err)
			}
			got, finished := outcomes(t, db, "inv")
			want := map[string]int{"added": tc.added, "not tried: " + tc.why: 10 - tc.added}
			if !finished || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("outcomes %v (finished %v), want %v", got, finished, want)
			}
			if calls := members.calls.Load(); calls != 3 {
				t.Fatalf("%d membership calls, want 3: calls went on after the authorization was gone", calls)
			}
			if held := slots.count(); held != tc.added {
				t.Fatalf("%d quota slots held for %d additions", held, tc.added)
			}
			if tc.third != nil && auth.forgotten.Load() != 1 {
				t.Fatal("the grant Google refused was kept")
			}
			// The user's other invitation stops too, on whichever instance.
			if stopped, why, err := db.StopReason(ctx, "other"); err != nil || stopped != (tc.name != "grant deleted elsewhere") || (stopped && why != tc.why) {
				t.Fatalf("the user's other invitation: stopped %v (%q), %v", stopped, why, err)
			}
		})
	}
}

// TestSignedOutBeforeASlice: a slice that starts after the sign-out makes
// no call at all.
func TestSignedOutBeforeASlice(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := newStore(t)
	storeInvitation(t, db, "inv", 5)
	if n, err := db.StopUserInvitations(ctx, "users/1", "you signed out"); err != nil || n != 1 {
		t.Fatalf("stopped %d: %v", n, err)
	}
	auth := &grantAuth{}
	auth.gone.Store(true)
	members := &chatHook{}
	work := commands.Background(commands.Deps{Auth: auth, Members: members, Now: time.Now, Invitations: db, Concurrency: 4,
		AppMessages: messages{}, Pacer: quota.NewPacer(60, 300, time.Minute, nil), Policy: commands.Policy{MaxTargets: 100}})
	if err := work(ctx, "inv"); err != nil {
		t.Fatal(err)
	}
	if got, finished := outcomes(t, db, "inv"); !finished || got["not tried: you signed out"] != 5 || members.calls.Load() != 0 {
		t.Fatalf("outcomes %v, finished %v, %d calls", got, finished, members.calls.Load())
	}
}

// TestTransientServerErrorsAreRetried: a 500, 502 or 504 is retried like a
// 503, never a failure at the first; a target Chat keeps answering 500
// fails after a bounded number of tries.
func TestTransientServerErrorsAreRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := newStore(t)
	storeInvitation(t, db, "inv", 4)
	var mu sync.Mutex
	tries := map[string]int{}
	members := &chatHook{hook: func(_ int32, m *chat.Membership) error {
		mu.Lock()
		defer mu.Unlock()
		tries[m.Member.Name]++
		switch m.Member.Name {
		case "users/100":
			if tries[m.Member.Name] == 1 {
				return &googleapi.Error{Code: http.StatusInternalServerError}
			}
		case "users/101":
			if tries[m.Member.Name] <= 2 {
				return &googleapi.Error{Code: http.StatusBadGateway}
			}
		case "users/102":
			if tries[m.Member.Name] == 1 {
				return &googleapi.Error{Code: http.StatusGatewayTimeout}
			}
		case "users/103":
			return &googleapi.Error{Code: http.StatusInternalServerError}
		}
		return nil
	}}
	work := commands.Background(commands.Deps{Auth: &grantAuth{}, Members: members, Now: time.Now, Invitations: db, Concurrency: 4,
		BackoffBase: time.Millisecond, AppMessages: messages{}, Pacer: quota.NewPacer(60, 300, time.Minute, nil), Policy: commands.Policy{MaxTargets: 100}})
	if err := work(ctx, "inv"); err != nil {
		t.Fatal(err)
	}
	got, finished := outcomes(t, db, "inv")
	if !finished || got["added"] != 3 || got["failed: Chat answered with an error (500)"] != 1 {
		t.Fatalf("outcomes %v, finished %v", got, finished)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := tries["users/103"]; n < 2 || n > 10 {
		t.Fatalf("a target always answered 500 was tried %d times: want a few, bounded", n)
	}
}
