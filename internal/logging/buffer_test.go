package logging

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestBufferedWriterFlushes(t *testing.T) {
	var out lockedBuffer
	w := NewBufferedWriter(&out, time.Hour) // only Flush and Close write out
	logger := New(w, 0)
	logger.Info("one")
	if out.String() != "" {
		t.Fatal("written before a flush")
	}
	w.Flush()
	if !bytes.Contains([]byte(out.String()), []byte(`"message":"one"`)) {
		t.Fatalf("after Flush: %q", out.String())
	}
	logger.Info("two")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(out.String()), []byte(`"message":"two"`)) {
		t.Fatalf("after Close: %q", out.String())
	}
}
