// Package membership is the vocabulary of membership changes: what a
// change does (add or remove), its targets, the outcomes Chat's answers
// mean, and the invitation record that large changes are stored as, with
// the store that keeps it. It holds no card, Chat event or API code: the
// commands package runs changes, the storage package keeps them.
package membership

import (
	"context"
	"time"
)

// TargetKind says what a target names.
type TargetKind int

// Target kinds.
const (
	TargetUser  TargetKind = iota // a person, by email or id
	TargetGroup                   // a Google Group
	TargetApp                     // this Chat app itself
)

// Target is one thing to add, as typed and as the Chat API names it.
type Target struct {
	Kind TargetKind
	// Typed is what the user wrote (a mention's display text for @mentions).
	Typed string
	// Name is the API name: users/{id}, users/{email}, groups/{id}, users/app.
	Name string
	// Email is set (lower-cased) when the target was named by email.
	Email string
}

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
	// Admin: every call runs with the user's Google Workspace administrator
	// privileges (useAdminAccess=true), as "/invite … as admin" asked.
	Admin bool
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
	// FinishedAt is when it finished (zero while it runs): Undo is offered
	// for a while after.
	FinishedAt time.Time
	// UserDisplay is the starter's display name, for others who click its
	// buttons.
	UserDisplay string
	// UndoOf is the invitation this one undoes ("" for none): at most one
	// undo an invitation, whoever clicks and on whichever instance.
	UndoOf string
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

// InvitationStore keeps invitations (stored with their job by the
// commands package's Jobs.Start).
// The storage package implements it.
type InvitationStore interface {
	// GetInvitation returns the invitation with its targets in order.
	GetInvitation(ctx context.Context, id string) (*Invitation, error)
	MarkSent(ctx context.Context, id string, seq int) error
	// RecordOutcome stores p's outcome, and its target as resolved (a
	// group named by its address becomes the group).
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

// Outcome is what really happened to one target in one space.
type Outcome int

// Outcomes, in the order the result card lists them.
const (
	Added Outcome = iota
	Invited
	Removed
	AlreadyInvited
	AlreadyMember
	NotAMember
	NotFound
	NotAllowed
	Invalid
	Failed
	NotTried
	// OutcomeCount is how many outcomes there are.
	OutcomeCount
)

// names are the outcomes' labels, as stored and logged.
var names = [OutcomeCount]string{
	Added: "added", Invited: "invited", Removed: "removed", AlreadyInvited: "already invited",
	AlreadyMember: "already a member", NotAMember: "not a member", NotFound: "not found", NotAllowed: "not allowed",
	Invalid: "invalid", Failed: "failed", NotTried: "not tried",
}

// String is the outcome's lower-case label, used in headers and logs.
func (o Outcome) String() string { return names[o] }

// OutcomeNamed is the outcome whose label is name.
func OutcomeNamed(name string) (Outcome, bool) {
	for o, n := range names {
		if n == name {
			return Outcome(o), true
		}
	}
	return 0, false
}
