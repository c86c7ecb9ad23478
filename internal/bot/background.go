package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jobs"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/storage"
)

// startJobs wires large invitations: the app's own Chat client (when it has
// credentials: without them large invitations are refused), the job queue
// in the bot's database, and the resumption of invitations left unfinished
// by a stop or a crash.
func (b *Bot) startJobs(ctx context.Context, cfg *config.Config, deps Deps, cd *commands.Deps) error {
	ts, source, err := appTokens(ctx, cfg)
	switch {
	case errors.Is(err, errNoAppCredentials):
		b.log.Info("no app credentials: invitations of more than 20 people are refused (set GOOGLE_APPLICATION_CREDENTIALS, or run on Cloud Run or App Engine)")
		return nil
	case err != nil:
		return fmt.Errorf("app credentials: %w", err)
	}
	base := context.WithValue(context.Background(), oauth2.HTTPClient, endpoints.Client(20*time.Second))
	app, err := chatapi.NewApp(ctx, b.google.ChatAPI, oauth2.NewClient(base, ts))
	if err != nil {
		return err
	}
	cd.AppMessages = app
	pool, dialect := b.DB.JobPool()
	work := commands.Background(*cd)
	q, err := jobs.New(ctx, pool, dialect, func(ctx context.Context, id string) error {
		// River's job context carries no logger: the work logs, and writes
		// its audit lines, through the bot's.
		err := work(logging.With(ctx, b.log), id)
		if errors.Is(err, commands.ErrMoreWork) {
			return jobs.ErrMore
		}
		return err
	}, jobs.Config{Poll: deps.JobPoll, Leases: b.DB, LeaseFor: deps.JobRescueAfter,
		// A slice may wait up to two quota windows for its last slots.
		SliceTimeout: deps.SliceFor + 2*deps.QuotaWindow + 5*time.Second, Logger: b.log,
		KeepFinished: historyKept(cfg.HistoryDays)})
	if err != nil {
		return err
	}
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start background invitations: %w", err)
	}
	b.jobs = q
	cd.Jobs = starter{db: b.DB, q: q}
	b.closers = append(b.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return q.Stop(ctx)
	})
	resumes, err := b.DB.ResumeInvitations(ctx)
	if err != nil {
		return err
	}
	giveUp := commands.GiveUp(*cd)
	for _, id := range slices.Sorted(maps.Keys(resumes)) {
		if resumes[id] > commands.MaxResumes {
			if err := giveUp(logging.With(ctx, b.log), id); err != nil {
				b.log.Error("give up an invitation", "invitation", id, "error", err.Error())
			}
			continue
		}
		if err := q.Enqueue(ctx, id); err != nil {
			return err
		}
	}
	if len(resumes) > 0 {
		b.log.Info("resuming unfinished invitations", "count", len(resumes))
	}
	b.log.Info("large invitations run in the background", "app_credentials", source)
	return nil
}

// starter stores an invitation and queues its job in one transaction.
type starter struct {
	db *storage.DB
	q  *jobs.Queue
}

func (s starter) Start(ctx context.Context, inv *membership.Invitation) error {
	err := s.db.CreateInvitationWith(ctx, inv, func(ctx context.Context, tx *sql.Tx) error {
		return s.q.EnqueueTx(ctx, tx, inv.ID)
	})
	if err != nil {
		return err
	}
	// River heard of the insert before the commit: told again now, it
	// fetches the job at once rather than at its next poll.
	return s.q.Enqueue(ctx, inv.ID)
}

// Resume queues the work of an invitation already stored (an undo whose
// removals got no write slot while Chat waited).
func (s starter) Resume(ctx context.Context, id string) error { return s.q.Enqueue(ctx, id) }
