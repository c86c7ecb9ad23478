// Package quota keeps the app's Chat API writes within Google's quotas
// (https://developers.google.com/workspace/chat/limits): membership writes
// per project, message writes per space, each counted over a trailing
// window on a ledger of write slots (this instance's memory, or a table
// instances share), with membership writers served in turn.
package quota

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
	turns                    turns

	mu sync.Mutex
	// freesAt is when the membership slot the writer holding the turn
	// waits for frees (the ledger's clock); zero while none waits.
	freesAt time.Time
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

// Message takes a slot for one message write (spaces.messages.create or
// patch) in space, waiting for it, or returns ctx's error.
func (p *Pacer) Message(ctx context.Context, space string) error {
	return p.wait(ctx, space, false, "")
}

// Turn says whose membership write asks for a slot: the person whose
// authorization it uses, the invitation it belongs to ("" for one answered
// while Chat waits), and a tag naming the write for Refund ("" for none).
type Turn struct {
	Who, Job, Tag string
}

// Membership takes a slot for one membership write (spaces.members.create
// or delete) in the project, waiting for it. Within this instance,
// writers take the project's slots in turn: people in turn, and each
// person's invitations in turn, so a one-person /invite started during a
// 1,000-person one waits for one slot, not for the large one's queue.
func (p *Pacer) Membership(ctx context.Context, t Turn) error {
	if p == nil {
		return nil
	}
	if err := p.turns.take(ctx, t.Who, t.Job); err != nil {
		return err
	}
	defer p.turns.done()
	return p.wait(ctx, "", true, t.Tag)
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

// MembershipWait says when the next membership slot frees, on the
// ledger's clock, while a writer of this instance waits for one: then
// every writer waits (they take their turns one at a time), and a
// progress message can say so. ok is false while none waits.
func (p *Pacer) MembershipWait() (at time.Time, ok bool) {
	if p == nil {
		return time.Time{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.freesAt, !p.freesAt.IsZero()
}

func (p *Pacer) setFreesAt(at time.Time) {
	p.mu.Lock()
	p.freesAt = at
	p.mu.Unlock()
}

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
	if membership {
		defer p.setFreesAt(time.Time{})
	}
	for {
		slot, err := p.slots.Reserve(ctx, bucket, quota, p.window, tag)
		if err != nil {
			return err
		}
		if slot.Taken {
			return ctx.Err()
		}
		if membership {
			p.setFreesAt(slot.At)
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

// turns hands the right to ask the ledger for a membership slot to one
// writer at a time, round robin over people, then over each person's jobs,
// then first come first served. The writer holding the turn waits for its
// slot; the rest queue behind it in turn order, so whoever asks gets a
// place in the next round, however many writers another has waiting.
type turns struct {
	mu     sync.Mutex
	busy   bool
	people []*person // in turn order; the front is served next
}

type person struct {
	who  string
	jobs []*job // in turn order
}

type job struct {
	id      string
	waiting []chan struct{}
}

// take waits for the turn of a writer of who's job.
func (t *turns) take(ctx context.Context, who, jobID string) error {
	t.mu.Lock()
	if !t.busy {
		t.busy = true
		t.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	t.enqueue(who, jobID, ready)
	t.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		removed := t.remove(ready)
		t.mu.Unlock()
		if !removed {
			// The turn was handed over as ctx ended: pass it on.
			<-ready
			t.done()
		}
		return ctx.Err()
	}
}

func (t *turns) enqueue(who, jobID string, ready chan struct{}) {
	i := slices.IndexFunc(t.people, func(p *person) bool { return p.who == who })
	if i < 0 {
		t.people = append(t.people, &person{who: who})
		i = len(t.people) - 1
	}
	p := t.people[i]
	j := slices.IndexFunc(p.jobs, func(j *job) bool { return j.id == jobID })
	if j < 0 {
		p.jobs = append(p.jobs, &job{id: jobID})
		j = len(p.jobs) - 1
	}
	p.jobs[j].waiting = append(p.jobs[j].waiting, ready)
}

// remove drops a waiter that gave up; false if it was already served.
func (t *turns) remove(ready chan struct{}) bool {
	for pi, p := range t.people {
		for ji, j := range p.jobs {
			if k := slices.Index(j.waiting, ready); k >= 0 {
				j.waiting = slices.Delete(j.waiting, k, k+1)
				if len(j.waiting) == 0 {
					p.jobs = slices.Delete(p.jobs, ji, ji+1)
				}
				if len(p.jobs) == 0 {
					t.people = slices.Delete(t.people, pi, pi+1)
				}
				return true
			}
		}
	}
	return false
}

// done passes the turn to the next writer: the front person's front job's
// oldest writer; that job and that person then go to the back of their
// rounds.
func (t *turns) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.people) == 0 {
		t.busy = false
		return
	}
	p := t.people[0]
	j := p.jobs[0]
	ready := j.waiting[0]
	j.waiting = j.waiting[1:]
	p.jobs = p.jobs[1:]
	if len(j.waiting) > 0 {
		p.jobs = append(p.jobs, j)
	}
	t.people = t.people[1:]
	if len(p.jobs) > 0 {
		t.people = append(t.people, p)
	}
	close(ready)
}

// held reports whether a writer holds the turn.
func (t *turns) held() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.busy
}

// queued counts the writers waiting for a turn.
func (t *turns) queued() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.people {
		for _, j := range p.jobs {
			n += len(j.waiting)
		}
	}
	return n
}

// sleep waits d unless ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
