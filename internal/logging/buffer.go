package logging

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// BufferedWriter batches log lines into few write syscalls: a busy bot
// writes two lines per event, and one syscall each cost more than the rest
// of the logging. Lines reach w within the flush interval, when the buffer
// fills, and on Close.
type BufferedWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBufferedWriter flushes to w every interval.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				b.Flush()
				return
			}
		}
	}()
	return b
}

// Write buffers p (one whole log line, as slog writes).
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes out what is buffered.
func (b *BufferedWriter) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.buf.Flush()
}

// Close flushes and stops the flusher.
func (b *BufferedWriter) Close() error {
	close(b.stop)
	<-b.done
	return nil
}
