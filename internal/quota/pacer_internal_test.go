package quota

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestMemorySlotsForgetOldSpaces: a space written to once does not stay in
// the ledger for the life of the process.
func TestMemorySlotsForgetOldSpaces(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := NewMemorySlots(func() time.Time { return now })
	for i := range 1000 {
		if _, err := m.Reserve(context.Background(), fmt.Sprintf("space:spaces/S%d", i), 60, time.Minute, ""); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if n := len(m.buckets); n > 256+60 {
		t.Fatalf("%d spaces kept, most of them written to over a window ago", n)
	}
}
