package commands

import "github.com/chatinvite/invitebot/internal/membership"

// cardLook is how an outcome shows on a card: the heading of its section
// and the icon beside each line.
var cardLook = [membership.OutcomeCount]struct{ title, icon string }{
	membership.Added:          {"Added", "PERSON"},
	membership.Invited:        {"Invited: they must accept", "EMAIL"},
	membership.Removed:        {"Removed", "PERSON"},
	membership.AlreadyInvited: {"Already invited: waiting for them to accept", "EMAIL"},
	membership.AlreadyMember:  {"Already a member", "STAR"},
	membership.NotAMember:     {"Not a member", "DESCRIPTION"},
	membership.NotFound:       {"Not found", "DESCRIPTION"},
	membership.NotAllowed:     {"Not allowed", "MULTIPLE_PEOPLE"},
	membership.Invalid:        {"Invalid", "DESCRIPTION"},
	membership.Failed:         {"Failed", "BOOKMARK"},
	membership.NotTried:       {"Not tried", "CLOCK"},
}

// sectionTitle heads the card section listing targets with outcome o.
func sectionTitle(o membership.Outcome) string { return cardLook[o].title }

// icon is the Chat knownIcon shown beside each target with outcome o.
func icon(o membership.Outcome) string { return cardLook[o].icon }

// Result is one (space, target) attempt.
type Result struct {
	Target  membership.Target
	Space   string
	Outcome membership.Outcome
	// Detail is the resolved name (when the API returned one) or the reason.
	Detail    string
	APIStatus int
	Attempts  int
}
