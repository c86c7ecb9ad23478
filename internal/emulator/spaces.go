package emulator

// spaces.get and spaces.list with user authentication, as the chat/v1
// discovery document and Google's reference describe them
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/get,
// https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/list):
// either needs chat.spaces.readonly or chat.spaces (403 otherwise); a user
// sees only the spaces they are a member of; spaces.list pages with
// pageSize (100 when unset, at most 1,000, negative rejected) and
// pageToken, and filters on the space type with "OR" between terms
// (space_type = "SPACE", spaceType = "GROUP_CHAT"); any other filter is
// INVALID_ARGUMENT.

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The scopes spaces.get and spaces.list accept from a user.
const (
	ScopeSpacesReadonly = "https://www.googleapis.com/auth/chat.spaces.readonly"
	ScopeSpaces         = "https://www.googleapis.com/auth/chat.spaces"
)

type wireSpace struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	SpaceType   string `json:"spaceType"`
}

// spaceResource is a Space resource as spaces.get returns it.
func spaceResource(s *chatSpace) wireSpace {
	return wireSpace{Name: "spaces/" + s.ID, DisplayName: s.DisplayName, SpaceType: s.Type}
}

// SpaceReads counts spaces.get and spaces.list calls answered 200.
func (e *Emulator) SpaceReads() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.spaceReads
}

func (e *Emulator) handleGetSpace(w http.ResponseWriter, r *http.Request) {
	caller, _, ok := e.caller(w, r, ScopeSpacesReadonly, ScopeSpaces)
	if !ok {
		return
	}
	e.mu.Lock()
	s := e.state.chat.spaces[r.PathValue("space")]
	if s == nil || s.members[caller.ID] == nil {
		e.mu.Unlock()
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Space not found.")
		return
	}
	e.state.chat.spaceReads++
	out := spaceResource(s)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}

var spaceTypeTerm = regexp.MustCompile(`^(?:space_type|spaceType)\s*=\s*"(SPACE|GROUP_CHAT|DIRECT_MESSAGE)"$`)

// spaceTypeFilter reads a spaces.list filter: the space types it allows
// (nil: every type), or false when Google would reject it.
func spaceTypeFilter(f string) (map[string]bool, bool) {
	if strings.TrimSpace(f) == "" {
		return nil, true
	}
	types := map[string]bool{}
	for _, term := range strings.Split(f, " OR ") {
		m := spaceTypeTerm.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil {
			return nil, false
		}
		types[m[1]] = true
	}
	return types, true
}

func (e *Emulator) handleListSpaces(w http.ResponseWriter, r *http.Request) {
	caller, _, ok := e.caller(w, r, ScopeSpacesReadonly, ScopeSpaces)
	if !ok {
		return
	}
	q := r.URL.Query()
	types, ok := spaceTypeFilter(q.Get("filter"))
	if !ok {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid filter: only the space type may be filtered on.")
		return
	}
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if size < 0 {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "pageSize must not be negative.")
		return
	}
	if size == 0 {
		size = 100
	}
	size = min(size, 1000)
	from, _ := strconv.Atoi(q.Get("pageToken"))
	e.mu.Lock()
	var mine []*chatSpace
	for _, s := range e.state.chat.spaces {
		if s.members[caller.ID] != nil && (types == nil || types[s.Type]) {
			mine = append(mine, s)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID < mine[j].ID })
	out := struct {
		Spaces        []wireSpace `json:"spaces,omitempty"`
		NextPageToken string      `json:"nextPageToken,omitempty"`
	}{}
	for i := from; i < len(mine); i++ {
		if len(out.Spaces) == size {
			out.NextPageToken = strconv.Itoa(i)
			break
		}
		out.Spaces = append(out.Spaces, spaceResource(mine[i]))
	}
	e.state.chat.spaceReads++
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}
