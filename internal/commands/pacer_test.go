package commands

import (
	"testing"
	"time"
)

// TestPacerNeverExceedsAQuota: whatever the mix, no trailing window holds
// more writes than its quota; up to the quota goes at once; a small
// invitation in another space is not held behind a large one beyond the
// project's quota.
func TestPacerNeverExceedsAQuota(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	now := start
	p := NewPacer(6, 10, time.Minute)
	p.now = func() time.Time { return now }
	var big, small []time.Time
	// A large invitation takes one slot at a time and waits for it.
	for range 12 {
		at := p.reserve("spaces/BIG", true)
		big = append(big, at)
		now = at
	}
	// A small one arrives meanwhile; the large one then asks for its next.
	for range 3 {
		small = append(small, p.reserve("spaces/SMALL", true))
	}
	for range 18 {
		at := p.reserve("spaces/BIG", true)
		big = append(big, at)
		now = at
	}
	for i := range 6 {
		if !big[i].Equal(start) {
			t.Fatalf("write %d of the first quota waits until %v", i, big[i])
		}
	}
	check := func(name string, ts []time.Time, quota int) {
		for i := range ts {
			n := 0
			for _, u := range ts {
				if !u.Before(ts[i]) && u.Before(ts[i].Add(time.Minute)) {
					n++
				}
			}
			if n > quota {
				t.Fatalf("%s: %d writes in the window from %v, quota %d", name, n, ts[i], quota)
			}
		}
	}
	check("space", big, 6)
	check("project", append(append([]time.Time(nil), big...), small...), 10)
	if !small[2].Before(big[12]) && !small[2].Equal(big[12]) {
		t.Fatalf("the small invitation (last slot %v) waits behind the large one's next (%v)", small[2], big[12])
	}
}
