// Package jobs runs work that outlives a request (large invitations) on
// River (github.com/riverqueue/river), a job queue kept in the bot's own
// database: SQLite through River's SQLite driver, PostgreSQL through its
// database/sql driver, so a job survives restarts and, on PostgreSQL, any
// instance picks it up. It knows nothing of what the work is.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Work does one slice of a job: it returns ErrMore to be called again for
// the same id, nil when the job is done, another error to be retried later.
type Work func(ctx context.Context, id string) error

// ErrMore asks for the job to be run again at once (a slice is bounded so
// that a stuck job is told from a long one).
var ErrMore = errors.New("more to do")

// Config tunes the queue; zero values mean the defaults.
type Config struct {
	// SliceTimeout bounds one slice (default 60 s); RescueAfter is when a
	// slice whose instance died is run again (at least, and by default,
	// just over SliceTimeout).
	SliceTimeout time.Duration
	RescueAfter  time.Duration
	// Poll is how often an idle instance looks for jobs (default 1 s).
	Poll    time.Duration
	Workers int
	Logger  *slog.Logger
}

type args struct {
	ID string `json:"id"`
}

func (args) Kind() string { return "invitation" }

type worker struct {
	river.WorkerDefaults[args]
	work Work
}

func (w *worker) Work(ctx context.Context, job *river.Job[args]) error {
	err := w.work(ctx, job.Args.ID)
	switch {
	case errors.Is(err, ErrMore), ctx.Err() != nil && err != nil:
		// Not a failure: the next slice (here or, after a stop, on any
		// instance) goes on where this one ended.
		return river.JobSnooze(0)
	}
	return err
}

// Queue is a running job queue.
type Queue struct {
	client *river.Client[*sql.Tx]
}

// New migrates River's tables in db (sqlite or postgres; for SQLite, a pool
// of one connection, as River's driver asks) and builds the queue.
func New(ctx context.Context, db *sql.DB, dialect string, work Work, cfg Config) (*Queue, error) {
	var driver riverdriver.Driver[*sql.Tx]
	switch dialect {
	case "sqlite":
		driver = riversqlite.New(db)
	case "postgres":
		driver = riverdatabasesql.New(db)
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
	if cfg.RescueAfter <= cfg.SliceTimeout {
		cfg.RescueAfter = cfg.SliceTimeout + time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Workers <= 0 {
		// Slices mostly wait for quota slots: many may run at once.
		cfg.Workers = 32
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker{work: work})
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.SliceTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.Poll,
		FetchCooldown:        min(cfg.Poll, 100*time.Millisecond),
		Logger:               cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client}, nil
}

// Start runs jobs until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching jobs, cancels the slices running (they are run again
// later) and waits for them to return, or for ctx.
func (q *Queue) Stop(ctx context.Context) error { return q.client.StopAndCancel(ctx) }

// Enqueue adds the job for id, unless one is already waiting or running.
func (q *Queue) Enqueue(ctx context.Context, id string) error {
	_, err := q.client.Insert(ctx, args{ID: id}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}
