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

var outcomeNames = [...]string{"added", "invited", "removed", "already invited", "already a member", "not a member", "not found", "not allowed", "invalid", "failed", "not tried"}

// String is the outcome's lower-case label, used in headers and logs.
func (o Outcome) String() string { return outcomeNames[o] }

// outcomeNamed is the outcome whose label is name.
func outcomeNamed(name string) (Outcome, bool) {
	for o, n := range outcomeNames {
		if n == name {
			return Outcome(o), true
		}
	}
	return 0, false
}

// sectionTitle heads the card section listing targets with this outcome.
func (o Outcome) sectionTitle() string {
	return [...]string{
		"Added", "Invited: they must accept", "Removed", "Already invited: waiting for them to accept", "Already a member", "Not a member", "Not found", "Not allowed", "Invalid", "Failed", "Not tried",
	}[o]
}

// icon is the Chat knownIcon shown beside each target.
func (o Outcome) icon() string {
	return [...]string{"PERSON", "EMAIL", "PERSON", "EMAIL", "STAR", "DESCRIPTION", "DESCRIPTION", "MULTIPLE_PEOPLE", "DESCRIPTION", "BOOKMARK", "CLOCK"}[o]
}

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
