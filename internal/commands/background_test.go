package commands_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
	"github.com/chatinvite/invitebot/internal/storage"
)

type tokens struct{ commands.Authority }

func (tokens) AccessToken(context.Context, string, []string) (string, error) { return "token", nil }

// chatNoOne is a Chat where nobody is a member yet and every addition
// succeeds.
type chatNoOne struct{ creates atomic.Int32 }

func (c *chatNoOne) CreateMembership(_ context.Context, _, _ string, m *chat.Membership) (*chat.Membership, error) {
	c.creates.Add(1)
	return &chat.Membership{Member: m.Member, State: "JOINED"}, nil
}

func (c *chatNoOne) DeleteMembership(context.Context, string, string) (*chat.Membership, error) {
	return &chat.Membership{}, nil
}

func (c *chatNoOne) GetMembership(context.Context, string, string) (*chat.Membership, error) {
	return nil, errors.New("not found")
}

func (c *chatNoOne) ListMembers(context.Context, string, string, chatapi.ListOptions, func(*chat.Membership) error) error {
	return nil
}

func newStore(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type messages struct{}

func (messages) CreateMessage(context.Context, string, string, *chat.Message) (string, error) {
	return "", nil
}
func (messages) UpdateMessage(context.Context, string, *chat.Message) error { return nil }

// TestResumedTargetGivesBackItsSlot: a target whose call never completed
// (its instance died between taking a quota slot and Google counting the
// call) is not a member when the invitation resumes; the slot it took is
// given back, so the quota is not short by one for a whole window. Here
// the quota is one write an hour: without the refund, the target would
// wait an hour.
func TestResumedTargetGivesBackItsSlot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := newStore(t)
	inv := &membership.Invitation{ID: "inv1", User: "users/1", Space: "spaces/AAA", ProgressMessage: "spaces/AAA/messages/client-inv-inv1",
		CreatedAt: time.Now(), Targets: []membership.Planned{{Seq: 0, Space: "spaces/AAA", Target: membership.Target{Kind: membership.TargetUser, Name: "users/42", Typed: "users/42"}}}}
	if err := db.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	pacer := quota.NewPacer(60, 1, time.Hour, nil)
	// The instance that died: it marked the target sent and took the slot.
	if err := db.MarkSent(ctx, inv.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := pacer.Membership(ctx, quota.Turn{Tag: "inv1/0"}); err != nil {
		t.Fatal(err)
	}
	members := &chatNoOne{}
	work := commands.Background(commands.Deps{Auth: tokens{}, Members: members, Now: time.Now, Invitations: db,
		AppMessages: messages{}, Jobs: nil, Pacer: pacer, Policy: commands.Policy{MaxTargets: 10}})
	if err := work(ctx, inv.ID); err != nil {
		t.Fatalf("resume: %v (the slot was not given back)", err)
	}
	got, err := db.GetInvitation(ctx, inv.ID)
	if err != nil || !got.Finished || got.Targets[0].Outcome != membership.Added.String() || members.creates.Load() != 1 {
		t.Fatalf("after the resume: %+v, %v, %d calls", got, err, members.creates.Load())
	}
}

// chatBarrier lets calls through only once `want` are in flight together,
// and records the most in flight at once.
type chatBarrier struct {
	chatNoOne
	want     int32
	inFlight atomic.Int32
	most     atomic.Int32
	reached  chan struct{}
	once     sync.Once
}

func (c *chatBarrier) CreateMembership(ctx context.Context, token, space string, m *chat.Membership) (*chat.Membership, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		most := c.most.Load()
		if n <= most || c.most.CompareAndSwap(most, n) {
			break
		}
	}
	if n >= c.want {
		c.once.Do(func() { close(c.reached) })
	}
	select {
	case <-c.reached:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.chatNoOne.CreateMembership(ctx, token, space, m)
}

// TestLargeInvitationCallsConcurrently: Chat takes a fraction of a second
// per call, so one call at a time would stay far below the quota: up to
// Concurrency calls are under way at once, never more.
func TestLargeInvitationCallsConcurrently(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := newStore(t)
	inv := &membership.Invitation{ID: "inv2", User: "users/1", Space: "spaces/AAA", ProgressMessage: "spaces/AAA/messages/client-inv-inv2", CreatedAt: time.Now()}
	for i := range 24 {
		inv.Targets = append(inv.Targets, membership.Planned{Seq: i, Space: "spaces/AAA",
			Target: membership.Target{Kind: membership.TargetUser, Name: fmt.Sprintf("users/%d", 100+i), Typed: "x"}})
	}
	if err := db.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	members := &chatBarrier{want: 4, reached: make(chan struct{})}
	work := commands.Background(commands.Deps{Auth: tokens{}, Members: members, Now: time.Now, Invitations: db, Concurrency: 4,
		AppMessages: messages{}, Pacer: quota.NewPacer(60, 300, time.Minute, nil), Policy: commands.Policy{MaxTargets: 100}})
	if err := work(ctx, inv.ID); err != nil {
		t.Fatalf("work: %v (calls made one at a time never reach 4 at once)", err)
	}
	got, err := db.GetInvitation(ctx, inv.ID)
	if err != nil || !got.Finished || members.creates.Load() != 24 {
		t.Fatalf("after the work: finished %v, %v, %d calls", got != nil && got.Finished, err, members.creates.Load())
	}
	for _, p := range got.Targets {
		if p.Outcome != membership.Added.String() {
			t.Fatalf("target %d: %s", p.Seq, p.Outcome)
		}
	}
	if most := members.most.Load(); most > 4 {
		t.Fatalf("%d calls at once, more than Concurrency (4)", most)
	}
}
