package commands

import "slices"

// consentScopes are the scopes a consent prompt asks for: what the command
// needs now, and every scope the form needs (formScopes), so that "/invite"
// alone right after a first consent opens the form without asking again.
// A scope asked for only when first needed (the groups lookup) is added by
// the command that needs it, never here.
func consentScopes(needed []string) []string {
	out := slices.Clone(needed)
	for _, s := range formScopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
