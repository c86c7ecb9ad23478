package commands

import "slices"

// consentScopes are the scopes a consent prompt asks for: what the command
// needs now, and every scope the form needs (formScopes), so that "/invite"
// alone right after a first consent opens the form without asking again,
// and the read-only spaces scope its picker reads the user's spaces with
// (which also names other spaces in cards). Only formScopes are required
// to open the form: a grant from before the picker still opens it, with a
// line offering the picker's permission. A scope asked for only when first
// needed (the groups lookup) is added by the command that needs it, never
// here.
func consentScopes(needed []string) []string {
	out := slices.Clone(needed)
	for _, s := range append(slices.Clone(formScopes), ScopeSpacesRead) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
