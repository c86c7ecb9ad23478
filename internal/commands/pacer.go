package commands

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Pacer keeps the app's Chat API writes within Google's quotas, as
// https://developers.google.com/workspace/chat/limits lists them: membership
// writes (spaces.members.create) per project, the app's message writes
// (spaces.messages.create and patch) per space, each counted over a
// trailing window as Google counts them. Up to a quota goes at once; past
// it, a write waits until the oldest one in the window leaves it, and asks
// again. No slot is promised ahead: an instance that dies while waiting
// holds none, and a large invitation, which asks for one slot at a time,
// is never ahead of an invitation of three by more than that one.
type Pacer struct {
	spaceQuota, projectQuota int
	window                   time.Duration
	slots                    Slots
}

// Slots is the ledger of write slots the Pacer hands out. It is kept in
// the database (the storage package implements it): instances sharing
// PostgreSQL take their slots from one table, so that together they stay
// within the quotas; a SQLite instance keeps its slots in memory and
// writes each one down, so that after a restart it still knows the writes
// Google counts.
type Slots interface {
	// Reserve takes a slot for one write now if bucket has fewer than
	// quota writes in the window that ends now; otherwise it takes none
	// and says when one frees. A tag ("" for none) names the write.
	Reserve(ctx context.Context, bucket string, quota int, window time.Duration, tag string) (Slot, error)
	// Refund gives back the slot of the write tagged tag, if one was
	// taken and is still in the window: its call never reached Google.
	Refund(ctx context.Context, bucket, tag string) error
}

// Slot is the answer of Reserve: Taken, at At (the ledger's clock); or
// not, and one frees at At, Wait from now.
type Slot struct {
	Taken bool
	At    time.Time
	Wait  time.Duration
}

// NewPacer paces to spaceWrites message writes per space and
// projectMembershipWrites membership writes per project, per window
// (Google's: 60 and 300 a minute), over slots (nil: this instance's
// memory). A write reaches Google a little after its slot, and Google's
// clock is not ours: the window counted here is a twentieth longer (a
// quarter of a second at least).
func NewPacer(spaceWrites, projectMembershipWrites int, window time.Duration, slots Slots) *Pacer {
	if slots == nil {
		slots = NewMemorySlots(time.Now)
	}
	margin := max(window/20, 250*time.Millisecond)
	return &Pacer{spaceQuota: spaceWrites, projectQuota: projectMembershipWrites, window: window + margin, slots: slots}
}

// Wait takes a slot for one write, a membership write or a message write in
// space, and waits for it, or returns ctx's error.
func (p *Pacer) Wait(ctx context.Context, space string, membership bool) error {
	return p.wait(ctx, space, membership, "")
}

// WaitMembership is Wait for a membership write named by tag, whose slot
// Refund can give back.
func (p *Pacer) WaitMembership(ctx context.Context, tag string) error {
	return p.wait(ctx, "", true, tag)
}

// Refund gives back the slot of the membership write tagged tag, when its
// call is known not to have completed (its process died, or it was
// cancelled, before Google answered), so the quota it held is not lost.
func (p *Pacer) Refund(ctx context.Context, tag string) error {
	if p == nil {
		return nil
	}
	return p.slots.Refund(ctx, membershipBucket, tag)
}

const membershipBucket = "project:memberships"

func (p *Pacer) wait(ctx context.Context, space string, membership bool, tag string) error {
	if p == nil {
		return nil
	}
	bucket, quota := "space:"+space, p.spaceQuota
	if membership {
		bucket, quota = membershipBucket, p.projectQuota
	}
	if quota <= 0 {
		return ctx.Err()
	}
	for {
		slot, err := p.slots.Reserve(ctx, bucket, quota, p.window, tag)
		if err != nil {
			return err
		}
		if slot.Taken {
			return ctx.Err()
		}
		if !sleep(ctx, max(slot.Wait, time.Millisecond)) {
			return ctx.Err()
		}
	}
}

// MemorySlots is the Slots of a single instance.
type MemorySlots struct {
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string][]taken // in the order taken
	asks    int
}

type taken struct {
	at  time.Time
	tag string
}

// NewMemorySlots keeps slots in memory, on the clock now.
func NewMemorySlots(now func() time.Time) *MemorySlots {
	return &MemorySlots{now: now, buckets: map[string][]taken{}}
}

// Reserve implements Slots.
func (m *MemorySlots) Reserve(_ context.Context, bucket string, quota int, window time.Duration, tag string) (Slot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.asks++; m.asks%256 == 0 {
		// Spaces written once stay in the map until swept.
		for b, ts := range m.buckets {
			if len(ts) == 0 || !ts[len(ts)-1].at.After(now.Add(-window)) {
				delete(m.buckets, b)
			}
		}
	}
	ts := m.buckets[bucket]
	i := 0
	for i < len(ts) && !ts[i].at.After(now.Add(-window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= quota {
		m.buckets[bucket] = ts
		at := ts[len(ts)-quota].at.Add(window)
		return Slot{At: at, Wait: at.Sub(now)}, nil
	}
	m.buckets[bucket] = append(ts, taken{now, tag})
	return Slot{Taken: true, At: now}, nil
}

// Restore puts back a slot taken at at: a ledger kept in a database reads
// its slots back at start, oldest first, so that a restarted instance
// knows the writes Google still counts.
func (m *MemorySlots) Restore(bucket string, at time.Time, tag string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buckets[bucket] = append(m.buckets[bucket], taken{at, tag})
}

// Refund implements Slots.
func (m *MemorySlots) Refund(_ context.Context, bucket, tag string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buckets[bucket] = slices.DeleteFunc(m.buckets[bucket], func(t taken) bool { return tag != "" && t.tag == tag })
	return nil
}
