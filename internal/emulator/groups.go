package emulator

import (
	"net/http"
	"strings"
)

// The Cloud Identity scopes groups.lookup and groups.get accept
// (https://cloud.google.com/identity/docs/reference/rest/v1/groups/lookup).
const (
	ScopeGroupsReadonly = "https://www.googleapis.com/auth/cloud-identity.groups.readonly"
	scopeGroups         = "https://www.googleapis.com/auth/cloud-identity.groups"
	scopeCloudIdentity  = "https://www.googleapis.com/auth/cloud-identity"
	scopeCloudPlatform  = "https://www.googleapis.com/auth/cloud-platform"
)

// SetGroupAddress gives group id (added with AddGroup) its email address,
// which Cloud Identity's groups.lookup resolves and Chat's
// spaces.members.create does not know as a person.
func (e *Emulator) SetGroupAddress(id, email string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.chat.groupAddr == nil {
		e.state.chat.groupAddr = map[string]string{}
	}
	e.state.chat.groupAddr[strings.ToLower(email)] = id
}

// groupByAddress is the id of the group whose address is email; runs with
// e.mu held.
func (e *Emulator) groupByAddress(email string) (string, bool) {
	id, ok := e.state.chat.groupAddr[strings.ToLower(email)]
	return id, ok
}

// GroupLookups counts the groups.lookup calls answered.
func (e *Emulator) GroupLookups() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.lookups
}

func (e *Emulator) groupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/groups:lookup", e.handleGroupLookup)
	mux.HandleFunc("GET /v1/groups/{id}", e.handleGroupGet)
}

// handleGroupLookup serves Cloud Identity's groups.lookup: GET
// /v1/groups:lookup?groupKey.id=EMAIL answers {"name":"groups/ID"}; 404 when
// no group has that address (a person's included); 403 without a Cloud
// Identity scope.
func (e *Emulator) handleGroupLookup(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := e.caller(w, r, ScopeGroupsReadonly, scopeGroups, scopeCloudIdentity, scopeCloudPlatform); !ok {
		return
	}
	key := r.URL.Query().Get("groupKey.id")
	if key == "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.")
		return
	}
	e.mu.Lock()
	e.state.chat.lookups++
	id, ok := e.groupByAddress(key)
	e.mu.Unlock()
	if !ok {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Not found")
		return
	}
	writeJSON(w, map[string]string{"name": groupMemberPath + id})
}

// handleGroupGet serves groups.get: the Group with its key and display name.
func (e *Emulator) handleGroupGet(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := e.caller(w, r, ScopeGroupsReadonly, scopeGroups, scopeCloudIdentity, scopeCloudPlatform); !ok {
		return
	}
	id := r.PathValue("id")
	e.mu.Lock()
	name, ok := e.state.chat.groups[id]
	email := ""
	for addr, gid := range e.state.chat.groupAddr {
		if gid == id {
			email = addr
		}
	}
	e.mu.Unlock()
	if !ok {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Not found")
		return
	}
	writeJSON(w, map[string]any{"name": groupMemberPath + id, "groupKey": map[string]string{"id": email}, "displayName": name})
}
