package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

const getResultSQL = `SELECT result FROM command_results WHERE message_name = $1 AND expires_at > $2`

// putRowSizes are the row counts of the prepared INSERTs that write a batch,
// largest first: a batch of 100 takes one of 64, one of 32 and one of 4.
// One statement per row cost more than the rows themselves.
var putRowSizes = [...]int{64, 32, 16, 8, 4, 2, 1}

// putResultsSQL inserts n results, each replacing any of the same message.
// A batch never names a message twice, which PostgreSQL would refuse.
// SQLite gets anonymous parameters: the driver looks each numbered one up
// by name, in a list as long as the statement.
func putResultsSQL(d Dialect, n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO command_results (message_name, user_name, result, expires_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if d == SQLite {
			b.WriteString("(?, ?, ?, ?)")
		} else {
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d)", 4*i+1, 4*i+2, 4*i+3, 4*i+4)
		}
	}
	b.WriteString(` ON CONFLICT (message_name) DO UPDATE SET user_name = excluded.user_name, result = excluded.result, expires_at = excluded.expires_at`)
	return b.String()
}

// maxPendingResults bounds the results waiting to be written; past it the
// oldest are dropped (a later re-delivery then runs the command again,
// which Chat answers with "already a member").
const maxPendingResults = 10000

type pendingResult struct {
	message, user string
	result        []byte
	expires       time.Time
}

// resultWriter writes remembered results in batches, one transaction per
// batch (group commit): every event stores its result, and one commit per
// event costs more than the rest of the write. Results not yet written are
// answered from memory.
type resultWriter struct {
	db *DB

	mu      sync.Mutex
	pending map[string]pendingResult
	queue   []string        // messages to write, in order
	queued  map[string]bool // messages in queue
	kick    chan struct{}
	urgent  chan struct{} // Flush: write now, without waiting for the pace
	stop    chan struct{}
	done    chan struct{}
	flushed *sync.Cond
	writing bool
	failing bool // the last batch could not be written
	closing sync.Once

	// known, with SQLite only, holds every unexpired message name in the
	// table: SQLite serves one instance, so a name it lacks was never
	// stored and the read is skipped. Nil with PostgreSQL, where other
	// instances write too. Each name is kept as 32 bits of its hash, with
	// the latest expiry of the names sharing them in Unix seconds, rounded
	// up: 8 bytes a name and no pointers for the garbage collector to
	// follow. A collision can only make a name look stored, which costs a
	// read (at 500,000 names, one look-up in some 8,600).
	known map[uint32]uint32
	seed  maphash.Seed
	puts  int
	swept time.Time // when known last lost its expired names
	// indexing collects the names put while the index loads (the load
	// reads the table as it was when it began); nil otherwise.
	indexing    map[uint32]uint32
	stopIndex   context.CancelFunc
	indexLoaded chan struct{} // closed when the load has ended (nil: none began)
}

// knownSweepEvery spaces the sweeps of the name index: results live ten
// minutes, and a sweep reads every name.
const knownSweepEvery = time.Minute

// maxKnown bounds the SQLite name index; past it, look-ups go to the table.
const maxKnown = 500_000

func newResultWriter(db *DB) *resultWriter {
	w := &resultWriter{db: db, seed: maphash.MakeSeed(), pending: map[string]pendingResult{}, queued: map[string]bool{}, kick: make(chan struct{}, 1),
		urgent: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.flushed = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// commitEvery paces the batches: under load a commit per kick would hold a
// few results each, and the commit, not the rows, is what costs. Results
// wait at most this long (answered from memory meanwhile) unless Flush or
// Close wants them.
const commitEvery = 10 * time.Millisecond

// Expired results are deleted every resultSweepEvery, at most
// resultSweepChunks × resultSweepChunk rows a time (the rest wait for the
// next sweep), so the writer never stops for long.
const (
	resultSweepEvery  = 30 * time.Second
	resultSweepChunk  = 5000
	resultSweepChunks = 20
)

func (w *resultWriter) loop() {
	defer close(w.done)
	pace := time.NewTimer(commitEvery)
	defer pace.Stop()
	sweep := time.NewTicker(resultSweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-w.kick:
		case <-sweep.C:
			if _, err := w.db.sweepResults(time.Now()); err != nil {
				w.db.logger().Warn("delete expired results; trying again later", "error", err.Error())
			}
			continue
		case <-w.stop:
			w.writeBatch()
			return
		}
		w.writeBatch()
		pace.Reset(commitEvery)
		select {
		case <-pace.C:
		case <-w.urgent:
		case <-w.stop:
			w.writeBatch()
			return
		}
	}
}

// writeBatch writes everything queued in one transaction. On failure the
// batch stays pending and is retried with the next one.
func (w *resultWriter) writeBatch() {
	w.mu.Lock()
	names := w.queue
	w.queue = nil
	batch := make([]pendingResult, 0, len(names))
	for _, n := range names {
		delete(w.queued, n)
		if p, ok := w.pending[n]; ok {
			batch = append(batch, p)
		}
	}
	w.writing = true
	w.mu.Unlock()

	err := w.db.putResults(batch)

	w.mu.Lock()
	defer w.mu.Unlock()
	w.writing = false
	if err != nil {
		if !w.failing { // once per outage, not once per batch
			w.db.logger().Warn("write remembered results; trying again with each batch", "error", err.Error())
		}
		w.failing = true
		for _, n := range names {
			if !w.queued[n] {
				w.queued[n] = true
				w.queue = append(w.queue, n)
			}
		}
	} else {
		if w.failing {
			w.db.logger().Info("remembered results are written again")
		}
		w.failing = false
		for _, p := range batch {
			if cur, ok := w.pending[p.message]; ok && &cur.result[0] == &p.result[0] {
				delete(w.pending, p.message)
			}
		}
	}
	w.flushed.Broadcast()
}

func (w *resultWriter) put(p pendingResult) {
	w.mu.Lock()
	if !w.queued[p.message] {
		w.queued[p.message] = true
		w.queue = append(w.queue, p.message)
	}
	w.pending[p.message] = p
	if w.known != nil {
		w.puts++
		if w.puts%1024 == 0 {
			if now := time.Now(); now.Sub(w.swept) >= knownSweepEvery {
				w.swept = now
				cutoff := knownExpiry(now)
				for k, exp := range w.known {
					if exp < cutoff {
						delete(w.known, k)
					}
				}
			}
		}
		if len(w.known) < maxKnown {
			know(w.known, w.nameKey(p.message), knownExpiry(p.expires))
		} else {
			w.known = nil // too many to index: fall back to reading the table
		}
	} else if w.indexing != nil && len(w.indexing) < maxKnown {
		know(w.indexing, w.nameKey(p.message), knownExpiry(p.expires))
	}
	for len(w.queue) > maxPendingResults {
		delete(w.pending, w.queue[0])
		delete(w.queued, w.queue[0])
		w.queue = w.queue[1:]
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// get answers from memory: the pending result, or (found=false,
// stored=false) when the SQLite index says the table cannot hold it.
func (w *resultWriter) get(message string, now time.Time) (result []byte, found, maybeStored bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.pending[message]; ok && now.Before(p.expires) {
		return p.result, true, true
	}
	if w.known != nil {
		exp, ok := w.known[w.nameKey(message)]
		return nil, false, ok && knownExpiry(now) <= exp
	}
	return nil, false, true
}

// startIndex loads the name index in the background (SQLite only): the
// server answers at once, and until the index is in place every look-up
// reads the table, as it would without one. The names of some 200,000
// remembered results take over 100 ms to read.
func (w *resultWriter) startIndex(db *DB) {
	ctx, cancel := context.WithCancel(context.Background())
	w.stopIndex = cancel
	w.indexLoaded = make(chan struct{})
	w.beginIndex()
	go func() {
		defer close(w.indexLoaded)
		known, err := w.readIndex(ctx, db)
		if err != nil {
			if ctx.Err() == nil {
				db.logger().Warn("load the index of remembered results; reading them from the table instead", "error", err.Error())
			}
			w.mu.Lock()
			w.indexing = nil
			w.mu.Unlock()
			return
		}
		w.installIndex(known)
	}()
}

// beginIndex drops the index and starts collecting the names put from now on.
func (w *resultWriter) beginIndex() {
	w.mu.Lock()
	w.known, w.indexing = nil, map[uint32]uint32{}
	w.mu.Unlock()
}

// readIndex reads the unexpired message names of the table (nil when there
// are too many to index).
func (w *resultWriter) readIndex(ctx context.Context, db *DB) (map[uint32]uint32, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT message_name, expires_at FROM command_results WHERE expires_at > $1`, millis(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("index results: %w", err)
	}
	defer rows.Close()
	known := map[uint32]uint32{}
	for rows.Next() {
		if len(known) >= maxKnown {
			return nil, nil // too many to index: look-ups read the table
		}
		var name sql.RawBytes
		var exp int64
		if err := rows.Scan(&name, &exp); err != nil {
			return nil, fmt.Errorf("index results: %w", err)
		}
		know(known, uint32(maphash.Bytes(w.seed, name)), knownExpiry(fromMillis(exp)))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index results: %w", err)
	}
	return known, nil
}

// installIndex puts the names read in place, with those put meanwhile
// (nil: too many to index).
func (w *resultWriter) installIndex(known map[uint32]uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if known == nil {
		w.indexing = nil
		return
	}
	for k, exp := range w.indexing {
		know(known, k, exp)
	}
	w.indexing = nil
	if len(known) < maxKnown {
		w.known = known
	}
}

// nameKey is a message name's key in the index.
func (w *resultWriter) nameKey(name string) uint32 { return uint32(maphash.String(w.seed, name)) }

// knownExpiry is t in Unix seconds, rounded up.
func knownExpiry(t time.Time) uint32 { return uint32((millis(t) + 999) / 1000) }

// know records that a name with key k may be stored until exp, keeping the
// latest expiry of the names that share k.
func know(known map[uint32]uint32, k, exp uint32) {
	if exp > known[k] {
		known[k] = exp
	}
}

// pendingCount is how many results are not yet written.
func (w *resultWriter) pendingCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// flush waits until everything queued before it is written (or failed).
func (w *resultWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 || w.writing {
		select {
		case w.kick <- struct{}{}:
		default:
		}
		select {
		case w.urgent <- struct{}{}:
		default:
		}
		w.flushed.Wait()
	}
}

func (w *resultWriter) close() {
	if w.indexLoaded != nil {
		w.stopIndex()
		<-w.indexLoaded
	}
	w.closing.Do(func() { close(w.stop) })
	<-w.done
}

// sweepResults deletes results expired at now, in chunks; it returns how
// many it deleted.
func (db *DB) sweepResults(now time.Time) (int64, error) {
	query := `DELETE FROM command_results WHERE message_name IN
		(SELECT message_name FROM command_results WHERE expires_at <= $1 LIMIT $2)`
	if db.dialect == Postgres {
		// Instances sweep at once: each takes rows the others have not locked.
		query = `DELETE FROM command_results WHERE message_name IN
			(SELECT message_name FROM command_results WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	}
	var deleted int64
	for range resultSweepChunks {
		res, err := db.w.Exec(query, millis(now), resultSweepChunk)
		if err != nil {
			return deleted, fmt.Errorf("delete expired results: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return deleted, fmt.Errorf("delete expired results: %w", err)
		}
		deleted += n
		if n < resultSweepChunk {
			break
		}
	}
	return deleted, nil
}

func (db *DB) putResults(batch []pendingResult) error {
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put results: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var inTx [len(putRowSizes)]*sql.Stmt
	args := make([]any, 0, 4*putRowSizes[0])
	for rest := batch; len(rest) > 0; {
		i := 0
		for putRowSizes[i] > len(rest) {
			i++
		}
		if inTx[i] == nil {
			inTx[i] = tx.StmtContext(ctx, db.stmt.putResults[i])
		}
		args = args[:0]
		for _, p := range rest[:putRowSizes[i]] {
			args = append(args, p.message, p.user, p.result, millis(p.expires))
		}
		if _, err := inTx[i].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("put results: %w", err)
		}
		rest = rest[putRowSizes[i]:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put results: %w", err)
	}
	return nil
}

// GetResult returns the result remembered for a message, if it has not
// expired at now; else ErrNotFound.
func (db *DB) GetResult(ctx context.Context, messageName string, now time.Time) ([]byte, error) {
	r, found, maybeStored := db.results.get(messageName, now)
	if found {
		return r, nil
	}
	if !maybeStored {
		return nil, ErrNotFound
	}
	var result []byte
	err := db.stmt.getResult.QueryRowContext(ctx, messageName, millis(now)).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get result: %w", err)
	}
	return result, nil
}

// PutResult remembers a message's result until expiresAt. It returns at
// once: this instance answers from memory until the batch that writes it
// commits, within milliseconds; other instances see it from then on.
func (db *DB) PutResult(_ context.Context, messageName, user string, result []byte, expiresAt time.Time) error {
	if len(result) == 0 {
		return errors.New("put result: empty result")
	}
	db.results.put(pendingResult{message: messageName, user: user, result: result, expires: expiresAt})
	return nil
}

// Flush waits until every result stored so far is written.
func (db *DB) Flush() { db.results.flush() }
