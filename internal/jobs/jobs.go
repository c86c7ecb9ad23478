// Package jobs runs work that outlives a request (large invitations) on
// River (github.com/riverqueue/river), a job queue kept in the bot's own
// database: SQLite through River's SQLite driver, PostgreSQL through its
// database/sql driver, so a job survives restarts and, on PostgreSQL, any
// instance picks it up. It knows nothing of what the work is.
//
// River takes a job over from a dead instance only once the job's time
// limit has passed, checked every 30 s. So each running slice also holds a
// lease in the database that it renews every LeaseFor/4; every instance
// looks for expired leases as often, and queues a takeover of the job
// (the same id): a crash or kill -9 costs about LeaseFor, not minutes. A
// slice that finds the lease held by a live slice (of any instance, this
// one included) ends, so however many copies of a job River holds (a
// takeover, then River's own rescue of the original), one works at a time.
//
// An idle instance costs next to nothing: River is told of every job this
// instance queues as it queues it (an in-process signal: River's poll-only
// mode, with neither LISTEN/NOTIFY nor the SQLite driver's 50 ms outbox
// poll), each next slice is a job queued by the slice before, and River's
// poll for jobs queued elsewhere (retries, River's own rescues) is slow.
// Every job starts from a queueing: an instance's own /invite, its
// takeover of a dead instance's job, or its resumption at start.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Work does one slice of a job: it returns ErrMore to be called again for
// the same id, nil when the job is done, another error to be retried later.
type Work func(ctx context.Context, id string) error

// ErrMore asks for the job to be run again at once (a slice is bounded so
// that a stuck job is told from a long one).
var ErrMore = errors.New("more to do")

// Leases are the jobs' leases, kept in the database (the storage package
// implements them). Times are the instances' clocks.
type Leases interface {
	// TakeLease gives id's lease to owner until until, unless another
	// owner's lease is still valid at now; it reports whether owner has it.
	TakeLease(ctx context.Context, id, owner string, now, until time.Time) (bool, error)
	// RenewLease extends owner's lease; false when it is no longer owner's.
	RenewLease(ctx context.Context, id, owner string, until time.Time) (bool, error)
	// ReleaseLease ends owner's lease: dropped when the job is done, or
	// released for the job's next slice.
	ReleaseLease(ctx context.Context, id, owner string, done bool) error
	// ExpiredLeases lists the jobs whose holder stopped renewing before
	// now, with when their lease expired.
	ExpiredLeases(ctx context.Context, now time.Time) (map[string]time.Time, error)
}

// Config tunes the queue; zero values mean the defaults.
type Config struct {
	// SliceTimeout bounds one slice (default 60 s); River runs a slice
	// whose instance died again just after it, whatever the lease says.
	SliceTimeout time.Duration
	// Leases and LeaseFor: a slice whose instance stopped renewing its
	// lease for LeaseFor (default 15 s) is taken over by a live instance.
	Leases   Leases
	LeaseFor time.Duration
	// Poll is how often an idle instance looks for jobs it was not told
	// of (default 10 s): a retry of a failed slice, River's rescue of a
	// stuck one. Jobs this instance queues start at once.
	Poll    time.Duration
	Workers int
	Logger  *slog.Logger
	// CleanEvery is how often finished jobs older than KeepFinished are
	// deleted (default a minute, the first time a CleanEvery after Start).
	CleanEvery time.Duration
	// KeepFinished is how long River keeps a finished job (completed,
	// cancelled or discarded) before deleting it; zero: deleted at its
	// next cleaning (every 30 s, by the leader instance).
	KeepFinished time.Duration
}

// defaultPoll is River's poll for jobs this instance was not told of. Each
// poll is a few queries (River itself adds two every 2 s in poll-only
// mode, and its leader's upkeep every 5 s): an idle instance stays within
// a couple of milliseconds of CPU a second.
const defaultPoll = 10 * time.Second

// inProcess is River's driver without its listener, so that River runs in
// poll-only mode and tells its producer of every job this client inserts
// (River does that only for drivers without a listener). The SQLite
// driver's listener polls an outbox table every 50 ms (most of an idle
// instance's CPU); the database/sql driver for PostgreSQL has none.
type inProcess struct {
	riverdriver.Driver[*sql.Tx]
}

func (inProcess) SupportsListener() bool { return false }

// Queue is a running job queue. River runs only while a job is waiting or
// running in the database: its own loops (its completer ticks every 50 ms)
// would otherwise cost an idle instance a few milliseconds of CPU a second.
// A job queued here starts River at once; the search for expired leases,
// every LeaseFor/4, starts it for a job queued elsewhere (a retry, another
// instance's job left behind) and stops it once nothing is left.
type Queue struct {
	client   *river.Client[*sql.Tx]
	db       *sql.DB
	leases   Leases
	leaseFor time.Duration
	now      func() time.Time
	log      *slog.Logger
	stop     context.CancelFunc
	swept    chan struct{}
	// keepFinished is how long a finished job is kept; cleaned is when
	// this instance last deleted older ones, every cleanEvery.
	keepFinished time.Duration
	cleanEvery   time.Duration
	cleaned      time.Time

	// mu orders starting and stopping River with queueing, so that a job
	// queued here never finds River stopping.
	mu      sync.Mutex
	runCtx  context.Context // nil until Start
	running bool
}

// New migrates River's tables in db (sqlite or postgres; for SQLite, a pool
// of one connection, as River's driver asks) and builds the queue.
func New(ctx context.Context, db *sql.DB, dialect string, work Work, cfg Config) (*Queue, error) {
	var driver riverdriver.Driver[*sql.Tx]
	switch dialect {
	case "sqlite":
		driver = inProcess{riversqlite.New(db)}
	case "postgres":
		driver = inProcess{riverdatabasesql.New(db)}
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", dialect)
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrate: %w", err)
	}
	if cfg.SliceTimeout <= 0 {
		cfg.SliceTimeout = time.Minute
	}
	if cfg.Leases == nil {
		return nil, errors.New("jobs: no leases")
	}
	if cfg.LeaseFor <= 0 {
		cfg.LeaseFor = 15 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = defaultPoll
	}
	if cfg.Workers <= 0 {
		// Slices mostly wait for quota slots: many may run at once.
		cfg.Workers = 32
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{work: work, leases: cfg.Leases, leaseFor: cfg.LeaseFor, now: time.Now})
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.SliceTimeout,
		RescueStuckJobsAfter: cfg.SliceTimeout + time.Second,
		FetchPollInterval:    cfg.Poll,
		FetchCooldown:        min(cfg.Poll, 100*time.Millisecond),
		PollOnly:             true,
		Logger:               cfg.Logger,
		// River reads zero as its defaults (a day, a week).
		CompletedJobRetentionPeriod: max(cfg.KeepFinished, time.Nanosecond),
		CancelledJobRetentionPeriod: max(cfg.KeepFinished, time.Nanosecond),
		DiscardedJobRetentionPeriod: max(cfg.KeepFinished, time.Nanosecond),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{client: client, db: db, leases: cfg.Leases, leaseFor: cfg.LeaseFor, now: time.Now, log: log, keepFinished: cfg.KeepFinished, cleanEvery: cmp.Or(cfg.CleanEvery, time.Minute)}, nil
}

// Start runs jobs, and the search for expired leases, until Stop.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	q.runCtx = ctx
	q.mu.Unlock()
	q.cleaned = q.now()
	if err := q.settle(ctx); err != nil {
		return err
	}
	ctx, q.stop = context.WithCancel(ctx)
	q.swept = make(chan struct{})
	go func() {
		defer close(q.swept)
		t := time.NewTicker(q.leaseFor / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// Errors are tried again at the next tick (River logs its own).
			if err := q.TakeOverExpired(ctx); err != nil {
				q.log.Warn("search for expired leases", "error", err)
			}
			if err := q.settle(ctx); err != nil && ctx.Err() == nil {
				q.log.Warn("start or stop the job queue", "error", err)
			}
			if err := q.deleteFinished(ctx); err != nil && ctx.Err() == nil {
				q.log.Warn("delete finished jobs", "error", err)
			}
		}
	}()
	return nil
}

// settle runs River while a job is waiting or running in the database,
// and stops it when none is.
func (q *Queue) settle(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var pending bool
	err := q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))`).Scan(&pending)
	if err != nil {
		return fmt.Errorf("jobs waiting: %w", err)
	}
	if pending {
		return q.wake()
	}
	if q.running {
		// Nothing runs, unless River fetched another instance's job since
		// the count: that slice is cancelled and goes on later.
		if err := q.client.StopAndCancel(ctx); err != nil {
			return fmt.Errorf("stop the idle job queue: %w", err)
		}
		q.running = false
	}
	return nil
}

// deleteFinished deletes, once every cleanEvery, up to 500 finished jobs
// older than keepFinished. River's own cleaner does so only while River
// runs, and River runs only while there is work.
func (q *Queue) deleteFinished(ctx context.Context) error {
	now := q.now()
	if now.Sub(q.cleaned) < q.cleanEvery {
		return nil
	}
	q.cleaned = now
	list, err := q.client.JobList(ctx, river.NewJobListParams().
		States(rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded).First(500))
	if err != nil {
		return fmt.Errorf("list finished jobs: %w", err)
	}
	var ids []int64
	for _, j := range list.Jobs {
		if j.FinalizedAt != nil && !j.FinalizedAt.After(now.Add(-q.keepFinished)) {
			ids = append(ids, j.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := q.client.JobDeleteMany(ctx, river.NewJobDeleteManyParams().IDs(ids...).First(len(ids))); err != nil {
		return fmt.Errorf("delete finished jobs: %w", err)
	}
	return nil
}

// wake starts River unless it runs, or the queue is not started. The
// caller holds mu.
func (q *Queue) wake() error {
	if q.running || q.runCtx == nil {
		return nil
	}
	if err := q.client.Start(q.runCtx); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	q.running = true
	return nil
}

// TakeOverExpired queues a takeover of every job whose holder stopped
// renewing its lease (its instance died, or stalls).
func (q *Queue) TakeOverExpired(ctx context.Context) error {
	expired, err := q.leases.ExpiredLeases(ctx, q.now())
	if err != nil {
		return fmt.Errorf("expired leases: %w", err)
	}
	for id, at := range expired {
		res, err := q.queue(ctx, args{ID: id, Takeover: at.UnixMilli()})
		if err != nil {
			return fmt.Errorf("take over %s: %w", id, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			q.log.Warn("taking over a job whose instance stopped renewing its lease", "job", id, "lease_expired_at", at)
		}
	}
	return nil
}

// Stop stops fetching jobs, cancels the slices running (they are run again
// later) and waits for them to return, or for ctx.
func (q *Queue) Stop(ctx context.Context) error {
	if q.stop != nil {
		q.stop()
		<-q.swept
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.runCtx = nil
	if !q.running {
		return nil
	}
	q.running = false
	return q.client.StopAndCancel(ctx)
}

// Enqueue adds the job for id, unless one is already waiting or running.
func (q *Queue) Enqueue(ctx context.Context, id string) error {
	return q.insert(ctx, args{ID: id})
}

// EnqueueTx adds the job for id within tx, so that it is committed with
// whatever else tx writes (River's transactional insert). River is told of
// it at the insert, before the commit, and may fetch too early: once tx is
// committed, Enqueue the same id (a duplicate, skipped) to have River
// running and fetching.
func (q *Queue) EnqueueTx(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := q.client.InsertTx(ctx, tx, args{ID: id}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}

func (q *Queue) insert(ctx context.Context, a args) error {
	if _, err := q.queue(ctx, a); err != nil {
		return fmt.Errorf("enqueue %s: %w", a.ID, err)
	}
	return nil
}

// queue inserts a job and makes sure River runs to start it: River tells
// its producer of the insert at once.
func (q *Queue) queue(ctx context.Context, a args) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	res, err := q.client.Insert(ctx, a, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return nil, err
	}
	return res, q.wake()
}
