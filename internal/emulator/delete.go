package emulator

import (
	"net/http"
	"slices"
	"strings"
)

// memberID is a membership's id in its resource name: Google's pattern is
// spaces/{space}/members/{member} with no further slash, so a group's
// membership ("groups/ID" here) is named by an id of its own.
func memberID(key string) string {
	if id, ok := strings.CutPrefix(key, groupMemberPath); ok {
		return "group-" + id
	}
	return key
}

// handleDeleteMember is spaces.members.delete with user authentication
// (developers.google.com/workspace/chat/delete-members; chat/v1 discovery
// document): the member named by id, by email (an alias for a person), as
// the group membership's id, or "app" (which needs chat.memberships.app).
// Anyone may remove themselves; removing someone else takes a space
// manager (ROLE_MANAGER) or assistant manager, and removing a space manager
// a space manager ("To delete memberships for space managers, the requester
// must be a space manager"). It is a membership write of the project.
func (e *Emulator) handleDeleteMember(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("member")
	scope := ScopeMemberships
	if ref == appMemberID {
		scope = ScopeMembershipsApp
	}
	admin := useAdminAccess(r)
	var caller *Person
	ok := false
	if admin {
		// With administrator access (adminaccess.go): no membership or
		// role of the caller's is needed; app memberships are refused.
		caller, ok = e.adminCaller(w, r, ScopeAdminMemberships)
	} else {
		caller, _, ok = e.caller(w, r, scope)
	}
	if !ok || !e.wait(w, r, ref) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state.chat.spaces[r.PathValue("space")]
	callerM := (*Membership)(nil)
	if s != nil {
		callerM = s.members[caller.ID]
	}
	if admin && s != nil && (s.Domain == "" || s.Domain == caller.Domain()) {
		callerM = &Membership{Key: AdminActor, State: StateJoined, Role: RoleOwner}
	}
	if s == nil || callerM == nil {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Space not found.")
		return
	}
	if admin && ref == appMemberID {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Deleting app memberships in a space isn't supported using admin access.")
		return
	}
	key := ref
	switch {
	case strings.HasPrefix(ref, "group-"):
		key = groupMemberPath + strings.TrimPrefix(ref, "group-")
	case strings.Contains(ref, "@"):
		if p := e.state.byEmail[strings.ToLower(ref)]; p != nil {
			key = p.ID
		}
	}
	m := s.members[key]
	if m == nil {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Membership not found.")
		return
	}
	manager := callerM.State == StateJoined && (callerM.Role == RoleOwner || callerM.Role == RoleManager)
	switch {
	case key == caller.ID:
	case !manager:
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "Only space managers can remove other members.")
		return
	case m.Role == RoleOwner && callerM.Role != RoleOwner:
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "Only a space manager can remove a space manager.")
		return
	}
	if !e.spend(w, s.ID, true) {
		return
	}
	e.state.chat.deletes++
	if e.state.chat.removedBy == nil {
		e.state.chat.removedBy = map[string]string{}
	}
	e.state.chat.removedBy[s.ID+" "+key] = caller.ID
	if admin {
		e.state.chat.removedBy[s.ID+" "+key] = AdminActor
	}
	out := e.membershipJSON(s.ID, m)
	delete(s.members, key)
	s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
	writeJSON(w, out)
}

// MemberDeletes counts spaces.members.delete calls that removed someone.
func (e *Emulator) MemberDeletes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.deletes
}

// RemovedBy is who last removed member key (a person id, "app" or
// "groups/ID") from space spaceID: "" if nobody did through the API.
func (e *Emulator) RemovedBy(spaceID, key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.removedBy[spaceID+" "+key]
}
