// Package commands turns a verified Chat event into what the bot does and
// says: it routes slash commands and card clicks, runs them, builds their
// cards, and remembers each message's reply so a re-delivery is answered
// without running the command again.
package commands

import (
	"context"
	"time"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
	"github.com/chatinvite/invitebot/internal/quota"
)

// OAuth scopes commands ask users to grant (defined here only).
const (
	ScopeMemberships    = "https://www.googleapis.com/auth/chat.memberships"
	ScopeMembershipsApp = "https://www.googleapis.com/auth/chat.memberships.app"
	// ScopeAdminMemberships is asked for only when "as admin" is first used.
	ScopeAdminMemberships = "https://www.googleapis.com/auth/chat.admin.memberships"
)

// ScopeReasons say why each scope is asked for, for the page before
// Google's screen: what Invite may then do, in a person's words, never the
// scope's name.
var ScopeReasons = map[string]string{
	ScopeMemberships:      "To add people and groups to spaces, Invite acts with your own Chat permissions, never more.",
	ScopeMembershipsApp:   "To add Invite itself to a space when you ask it to, it needs your permission to add this app to spaces.",
	ScopeGroupsRead:       "To add a Google Group you name by its address, Invite needs to look groups up (it only reads their names).",
	ScopeSpacesRead:       "To list your spaces in the form and call other spaces by their names, Invite needs to see your spaces (it only reads their names).",
	ScopeAdminMemberships: "You asked Invite to act as administrator: that needs your permission to manage the members of your organization's spaces with your administrator privileges, even spaces you are not in.",
}

// Spec declares one slash command. The router, COMMAND_IDS validation, the
// help card and the README's console table all read it: adding a command is
// a file that returns a Spec, and its line in All.
type Spec struct {
	// Name is typed after the slash: /invite.
	Name string
	// Usage shows its arguments in help ("people… [to spaces…]").
	Usage string
	// Description is one line, for help and the Chat API console.
	Description string
	// Scopes are the OAuth scopes it may ask the user for.
	Scopes []string
	// Run answers an event routed to the command: the slash command itself,
	// or a click on a button whose parameters name it.
	Run func(ctx context.Context, ev *events.Event) events.Reply
}

// Deps are what the commands need from the rest of the bot.
type Deps struct {
	Auth    Authority
	Members Members
	Policy  Policy
	Now     func() time.Time
	// Deadline bounds one /invite (Chat waits 30 s at most).
	Deadline time.Duration
	// BackoffBase is the first retry delay after a 429 or 503.
	BackoffBase time.Duration
	// Concurrency bounds the API calls in flight for one command.
	Concurrency int
	// Draining is closed when the app is stopping: no new API call starts.
	Draining <-chan struct{}
	// Halted is closed when calls still in flight must be given up, so
	// every request gets its answer before the process exits.
	Halted <-chan struct{}

	// Large invitations (more than SyncMax people × spaces, or a copy of a
	// space's members) run in the background: stored in Invitations, worked
	// by Jobs, paced by Pacer, reported in a message of the app's own
	// (AppMessages, nil without app credentials: they are refused then).
	Invitations membership.InvitationStore
	Jobs        Jobs
	AppMessages AppMessages
	Pacer       *quota.Pacer
	SyncMax     int
	// Endpoint is the app's endpoint URL (add-on buttons name it).
	Endpoint string
	// ProgressEvery paces progress updates (default 5 s); SliceFor bounds
	// one slice of background work (default 40 s).
	ProgressEvery time.Duration
	SliceFor      time.Duration
	// SlotWait bounds a wait for a write slot while Chat waits (default
	// 1.5 s): past it, the answer is given and the rest done in the
	// background.
	SlotWait time.Duration
	// Groups finds a Google Group by its address (nil: addresses are only
	// ever people).
	Groups GroupFinder
	// callers remembers callers' memberships briefly (set by All).
	callers *callers
	// QuotaPerMinute is the additions a minute the project is allowed,
	// shown to users (default 300).
	QuotaPerMinute int
	// Undos keeps what Undo needs; UndoFor is how long after an invitation
	// finished its Undo button works (0, or Undos nil: no Undo).
	Undos   membership.UndoStore
	UndoFor time.Duration
	// Previews keep what a change would do until its starter clicks Start
	// or Cancel; changes of more than ConfirmOver (people × spaces), and
	// every copy of a space's members, are confirmed so (0, or no store:
	// never).
	Previews    membership.PreviewStore
	ConfirmOver int
}

// Why targets were not tried, or not answered, while the app stops.
const (
	restartingNotTried = "the app is restarting: run /invite again"
	restartingInFlight = "the app restarted before Chat answered (it may still happen): run /invite again to see"
)

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// All lists every command, in the order help shows them.
func All(d Deps) []Spec {
	d.callers = newCallers()
	specs := []Spec{
		inviteSpec(d),
		removeSpec(d),
		logoutSpec(d.Auth, d.Invitations),
	}
	return append(specs, helpSpec(specs))
}
