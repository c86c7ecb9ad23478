package storage

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkPutResults writes remembered results as the batch writer does,
// 100 rows to a transaction, into SQLite; one op is one row.
func BenchmarkPutResults(b *testing.B) {
	db, err := Open(context.Background(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	result := bytes.Repeat([]byte("x"), 160) // about a one-person remembered result
	expires := time.Now().Add(time.Hour)
	batch := make([]pendingResult, 0, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		batch = append(batch, pendingResult{message: fmt.Sprintf("spaces/AAA/messages/%d", i), user: "users/1", result: result, expires: expires})
		i++
		if len(batch) == cap(batch) {
			if err := db.putResults(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}
