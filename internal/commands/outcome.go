package commands

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
	outcomeCount
)

// outcomes describes each outcome: its label (as stored and logged), the
// heading of its section on the card, and the icon beside each line.
var outcomes = [outcomeCount]struct{ name, title, icon string }{
	Added:          {"added", "Added", "PERSON"},
	Invited:        {"invited", "Invited: they must accept", "EMAIL"},
	Removed:        {"removed", "Removed", "PERSON"},
	AlreadyInvited: {"already invited", "Already invited: waiting for them to accept", "EMAIL"},
	AlreadyMember:  {"already a member", "Already a member", "STAR"},
	NotAMember:     {"not a member", "Not a member", "DESCRIPTION"},
	NotFound:       {"not found", "Not found", "DESCRIPTION"},
	NotAllowed:     {"not allowed", "Not allowed", "MULTIPLE_PEOPLE"},
	Invalid:        {"invalid", "Invalid", "DESCRIPTION"},
	Failed:         {"failed", "Failed", "BOOKMARK"},
	NotTried:       {"not tried", "Not tried", "CLOCK"},
}

// String is the outcome's lower-case label, used in headers and logs.
func (o Outcome) String() string { return outcomes[o].name }

// outcomeNamed is the outcome whose label is name.
func outcomeNamed(name string) (Outcome, bool) {
	for o, d := range outcomes {
		if d.name == name {
			return Outcome(o), true
		}
	}
	return 0, false
}

// sectionTitle heads the card section listing targets with this outcome.
func (o Outcome) sectionTitle() string { return outcomes[o].title }

// icon is the Chat knownIcon shown beside each target.
func (o Outcome) icon() string { return outcomes[o].icon }

// Result is one (space, target) attempt.
type Result struct {
	Target  Target
	Space   string
	Outcome Outcome
	// Detail is the resolved name (when the API returned one) or the reason.
	Detail    string
	APIStatus int
	Attempts  int
}
