package commands

import (
	"context"
	"time"
)

// Op is what a membership change does.
type Op int

// Ops, as stored.
const (
	Add    Op = iota // spaces.members.create
	Remove           // spaces.members.delete
)

// Invitation is an /invite too large to finish while Chat waits: its
// targets and their outcomes are stored before work starts, and a
// background job works through them within Google's quotas, reporting in a
// progress message it updates, so nothing is lost to a restart.
type Invitation struct {
	ID string
	// Op: the invitation adds its targets, or removes them (/remove).
	Op          Op
	MessageName string // the command's message
	User        string // who started it: users/{id}
	Space       string // where the command came from, and where progress shows
	SpaceName   string // its display name, for the card
	Private     bool
	// AddOn: the app is an add-on, so buttons name the endpoint URL.
	AddOn bool
	// ProgressMessage is the app's message that shows progress
	// (spaces/…/messages/client-…).
	ProgressMessage string
	// Trace is the trace of the request that started it (Cloud Logging's
	// field), under which its background work logs.
	Trace     string
	Stopped   bool
	Finished  bool
	CreatedAt time.Time
	Targets   []Planned
}

// Planned is one (space, target) of an invitation.
type Planned struct {
	Seq    int
	Space  string
	Target Target
	// State: Pending, Sent (the call may have gone out: checked before it
	// is made again) or Done.
	State     PlanState
	Outcome   string // Outcome.String() once done
	Detail    string
	APIStatus int
}

// PlanState is how far one planned target got.
type PlanState int

// Plan states, as stored.
const (
	Pending PlanState = iota
	Sent
	Done
)

// InvitationStore keeps invitations (stored with their job by Jobs.Start).
// The storage package implements it.
type InvitationStore interface {
	// GetInvitation returns the invitation with its targets in order.
	GetInvitation(ctx context.Context, id string) (*Invitation, error)
	MarkSent(ctx context.Context, id string, seq int) error
	RecordOutcome(ctx context.Context, id string, p Planned) error
	SetProgressMessage(ctx context.Context, id, message string) error
	// StopInvitation marks it stopped: what is done stays done.
	StopInvitation(ctx context.Context, id string) error
	// StopReason reports whether it was stopped, and why: "" for its Stop
	// button, else the reason StopUserInvitations gave.
	StopReason(ctx context.Context, id string) (stopped bool, reason string, err error)
	// StopUserInvitations stops every unfinished invitation of user (as at
	// sign-out, on whichever instance works them), saying why; it returns
	// how many it stopped.
	StopUserInvitations(ctx context.Context, user, reason string) (int, error)
	FinishInvitation(ctx context.Context, id string) error
	// ResumeInvitations counts one more start for each invitation still to
	// work and gives their ids with the starts each has seen.
	ResumeInvitations(ctx context.Context) (map[string]int, error)
}
