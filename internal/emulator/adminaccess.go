package emulator

import (
	"net/http"
	"strings"
)

// Administrator access to memberships, as Google documents it
// (https://developers.google.com/workspace/chat/admin-overview; the
// useAdminAccess parameter of spaces.members.create, delete, get and list
// in the chat/v1 discovery document): with useAdminAccess=true the method
// "runs using the user's Google Workspace administrator privileges"; the
// caller must hold the "Manage Chat and spaces conversations" privilege
// (https://support.google.com/a/answer/13369245) and the token the scope
// chat.admin.memberships (get and list also take .readonly), and need not
// be a member of the space. Not supported with it: creating app
// memberships or memberships of users outside the administrator's
// organization (create), deleting app memberships (delete), listing app
// memberships (list, whose filter must then be member.type = "HUMAN" or
// member.type != "BOT"). Google does not document the status of those
// refusals; the emulator answers 400 INVALID_ARGUMENT, as for an argument
// the method does not support, and 403 PERMISSION_DENIED without the
// privilege or the scope. Chat shows the change as made by "the
// organization's administrator": such memberships are AddedBy AdminActor.

// Admin scopes, as Google names them.
const (
	ScopeAdminMemberships         = "https://www.googleapis.com/auth/chat.admin.memberships"
	ScopeAdminMembershipsReadonly = "https://www.googleapis.com/auth/chat.admin.memberships.readonly"
)

// AdminActor is who Chat names for a change made with administrator
// access: not the administrator, "the organization's administrator".
const AdminActor = "admin"

// SetAdmin gives (or takes away) person id's "Manage Chat and spaces
// conversations" privilege.
func (e *Emulator) SetAdmin(id string, privileged bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.chat.admins == nil {
		e.state.chat.admins = map[string]bool{}
	}
	e.state.chat.admins[id] = privileged
}

// IsAdmin reports whether person id holds the privilege.
func (e *Emulator) IsAdmin(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.admins[id]
}

// useAdminAccess reports whether the request asks for administrator access.
func useAdminAccess(r *http.Request) bool {
	return strings.EqualFold(r.URL.Query().Get("useAdminAccess"), "true")
}

// adminCaller authenticates a call with useAdminAccess=true: a token with
// one of scopes, of an account with the privilege; else it answers 403.
func (e *Emulator) adminCaller(w http.ResponseWriter, r *http.Request, scopes ...string) (*Person, bool) {
	p, _, ok := e.caller(w, r, scopes...)
	if !ok {
		return nil, false
	}
	if !e.IsAdmin(p.ID) {
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have the administrator privilege to manage Chat spaces.")
		return nil, false
	}
	return p, true
}

// adminListFilterOK: with admin access, list's filter must be
// member.type = "HUMAN" or member.type != "BOT".
func adminListFilterOK(filter string) bool {
	f := strings.Join(strings.Fields(filter), " ")
	return strings.Contains(f, `member.type = "HUMAN"`) || strings.Contains(f, `member.type != "BOT"`)
}
