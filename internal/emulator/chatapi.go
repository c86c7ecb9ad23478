package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Space types and membership states and roles, as the Chat API names them.
const (
	SpaceTypeSpace  = "SPACE"
	SpaceTypeGroup  = "GROUP_CHAT"
	SpaceTypeDM     = "DIRECT_MESSAGE"
	StateJoined     = "JOINED"
	StateInvited    = "INVITED"
	RoleMember      = "ROLE_MEMBER"
	RoleOwner       = "ROLE_MANAGER"
	RoleManager     = "ROLE_ASSISTANT_MANAGER"
	appMemberID     = "app"
	appUserName     = "users/app"
	appDisplayName  = "Invite"
	groupRoleNone   = "MEMBERSHIP_ROLE_UNSPECIFIED"
	groupMemberPath = "groups/"
)

// Space is an emulated Chat space.
type Space struct {
	ID          string // the part after spaces/
	DisplayName string
	Type        string // SPACE, GROUP_CHAT or DIRECT_MESSAGE
	// Domain is the organisation the space belongs to; people from other
	// domains may join only when ExternalAllowed.
	Domain          string
	ExternalAllowed bool
}

// Membership is one member of a space as the emulator holds it.
type Membership struct {
	// Key is the member id: a person id, "app", or "groups/ID".
	Key   string
	State string
	Role  string
	// AddedBy is the person id of whoever made it with the API ("" when
	// seeded), for the lines Chat shows: "Ana added Dan".
	AddedBy string
	// Created is when the membership was made (Membership.createTime); it
	// does not change when an invitation is accepted.
	Created time.Time
}

// Fault makes the next Times calls that name a target answer after Latency,
// then fail with Status (429, 503, or any other code) when it is set, or
// answer 200 with the body null when NullBody is.
type Fault struct {
	Status   int
	Times    int
	Latency  time.Duration
	NullBody bool
}

type chatSpace struct {
	Space
	members map[string]*Membership
	order   []string
}

type chatState struct {
	spaces map[string]*chatSpace
	groups map[string]string // id → display name
	// groupAddr is each group's email address → id (SetGroupAddress);
	// lookups counts Cloud Identity's groups.lookup calls.
	groupAddr map[string]string
	lookups   int
	faults    map[string]*Fault // by target as named in the request, lower-case
	latency   time.Duration
	creates   int
	deletes   int
	// removedBy is who removed a member, by "space key".
	removedBy map[string]string
	// lastCreate is when each caller (person id) last had a
	// spaces.members.create call decided.
	lastCreate map[string]time.Time
	waiting    int // calls being delayed now
	// spaceReads counts spaces.get and spaces.list calls answered.
	spaceReads int
	// admins hold the "Manage Chat and spaces conversations" privilege.
	admins map[string]bool
}

func newChatState() *chatState {
	return &chatState{spaces: map[string]*chatSpace{}, groups: map[string]string{}, faults: map[string]*Fault{}}
}

// AddSpace creates a space.
func (e *Emulator) AddSpace(s Space) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.Type == "" {
		s.Type = SpaceTypeSpace
	}
	e.state.chat.spaces[s.ID] = &chatSpace{Space: s, members: map[string]*Membership{}}
}

// Spaces lists the spaces by id.
func (e *Emulator) Spaces() []Space {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Space, 0, len(e.state.chat.spaces))
	for _, s := range e.state.chat.spaces {
		out = append(out, s.Space)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddMember makes person id (or "app", or "groups/ID") a joined member with role.
func (e *Emulator) AddMember(spaceID, key, role string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.state.chat.spaces[spaceID]; s != nil {
		s.put(&Membership{Key: key, State: StateJoined, Role: role, Created: e.now()})
	}
}

func (s *chatSpace) put(m *Membership) {
	if _, ok := s.members[m.Key]; !ok {
		s.order = append(s.order, m.Key)
	}
	s.members[m.Key] = m
}

// Members lists a space's memberships in the order they were made.
func (e *Emulator) Members(spaceID string) []Membership {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state.chat.spaces[spaceID]
	if s == nil {
		return nil
	}
	out := make([]Membership, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.members[k])
	}
	return out
}

// Accept turns person id's invitation to spaceID into a joined membership.
func (e *Emulator) Accept(spaceID, personID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state.chat.spaces[spaceID]
	if s == nil || s.members[personID] == nil || s.members[personID].State != StateInvited {
		return false
	}
	s.members[personID].State = StateJoined
	return true
}

// AddGroup adds a Google Group that can be added to named spaces.
func (e *Emulator) AddGroup(id, displayName string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.chat.groups[id] = displayName
}

// GroupName is a group's display name ("" when unknown).
func (e *Emulator) GroupName(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.groups[id]
}

// InjectFault makes calls naming target ("users/x@y", "users/123",
// "groups/g", "users/app"; "spaces/S/members" for listing S's members)
// fail or slow down.
func (e *Emulator) InjectFault(target string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.chat.faults[strings.ToLower(target)] = &f
}

// SetLatency delays every Chat API answer by d.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.chat.latency = d
}

// CallsWaiting counts the Chat API calls being delayed right now (by
// SetLatency or a fault's Latency).
func (e *Emulator) CallsWaiting() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.waiting
}

// MemberCreates counts spaces.members.create calls that reached a decision.
func (e *Emulator) MemberCreates() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.creates
}

func (e *Emulator) chatRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/spaces/{space}", e.handleGetSpace)
	mux.HandleFunc("GET /v1/spaces", e.handleListSpaces)
	mux.HandleFunc("POST /v1/spaces/{space}/members", e.handleCreateMember)
	mux.HandleFunc("GET /v1/spaces/{space}/members/{member}", e.handleGetMember)
	mux.HandleFunc("GET /v1/spaces/{space}/members", e.handleListMembers)
	mux.HandleFunc("DELETE /v1/spaces/{space}/members/{member}", e.handleDeleteMember)
	mux.HandleFunc("POST /v1/spaces/{space}/messages", e.handleCreateMessage)
	mux.HandleFunc("PATCH /v1/spaces/{space}/messages/{message}", e.handleUpdateMessage)
	mux.HandleFunc("PUT /v1/spaces/{space}/messages/{message}", e.handleUpdateMessage)
}

// caller authenticates the bearer token and checks it carries one of scopes.
func (e *Emulator) caller(w http.ResponseWriter, r *http.Request, scopes ...string) (*Person, []string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request is missing required authentication credential.")
		return nil, nil, false
	}
	p, granted, ok := e.tokenInfo(token)
	if !ok {
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
		return nil, nil, false
	}
	for _, s := range scopes {
		if slices.Contains(granted, s) {
			return p, granted, true
		}
	}
	googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "Request had insufficient authentication scopes.")
	return nil, nil, false
}

// wait applies the global latency and a target's fault; it reports false
// (having answered) when the fault fails the call.
func (e *Emulator) wait(w http.ResponseWriter, r *http.Request, target string) bool {
	e.mu.Lock()
	delay := e.state.chat.latency
	var status int
	null := false
	if f := e.state.chat.faults[strings.ToLower(target)]; f != nil && f.Times > 0 {
		f.Times--
		delay += f.Latency
		status, null = f.Status, f.NullBody
	}
	e.mu.Unlock()
	if delay > 0 {
		e.mu.Lock()
		e.state.chat.waiting++
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			e.state.chat.waiting--
			e.mu.Unlock()
		}()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		}
	}
	if null {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write([]byte("null"))
		return false
	}
	switch status {
	case http.StatusTooManyRequests:
		googleError(w, status, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Membership write requests'.")
		return false
	case http.StatusServiceUnavailable:
		googleError(w, status, "UNAVAILABLE", "The service is currently unavailable.")
		return false
	case 0:
		return true
	}
	googleError(w, status, "INTERNAL", "Internal error encountered.")
	return false
}

type wireUser struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	// Email is given for people who are members of the space (the User
	// resource: "populated … within Membership resources, provided the
	// user is a member of the space").
	Email string `json:"email,omitempty"`
	Type  string `json:"type,omitempty"`
}

type wireMembership struct {
	Name        string    `json:"name,omitempty"`
	State       string    `json:"state,omitempty"`
	Role        string    `json:"role,omitempty"`
	Member      *wireUser `json:"member,omitempty"`
	GroupMember *struct {
		Name string `json:"name"`
	} `json:"groupMember,omitempty"`
	CreateTime string `json:"createTime,omitempty"`
}

func (e *Emulator) handleCreateMember(w http.ResponseWriter, r *http.Request) {
	e.noteMembershipCall(r)
	var body wireMembership
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	target := ""
	switch {
	case body.Member != nil:
		target = body.Member.Name
	case body.GroupMember != nil:
		target = body.GroupMember.Name
	}
	scope := ScopeMemberships
	if target == appUserName {
		scope = ScopeMembershipsApp
	}
	admin := useAdminAccess(r)
	var caller *Person
	ok := false
	if admin {
		caller, ok = e.adminCaller(w, r, ScopeAdminMemberships)
	} else {
		caller, _, ok = e.caller(w, r, scope)
	}
	if !ok || !e.wait(w, r, target) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.spend(w, r.PathValue("space"), true) {
		return
	}
	e.state.chat.creates++
	if e.state.chat.lastCreate == nil {
		e.state.chat.lastCreate = map[string]time.Time{}
	}
	e.state.chat.lastCreate[caller.ID] = time.Now()
	status, code, msg, m := e.create(caller, r.PathValue("space"), body, target, admin)
	if status != http.StatusOK {
		googleError(w, status, code, msg)
		return
	}
	e.writeMembership(w, r.PathValue("space"), m)
}

// create decides a spaces.members.create call; runs with e.mu held.
func (e *Emulator) create(caller *Person, spaceID string, body wireMembership, target string, admin bool) (int, string, string, *Membership) {
	s := e.state.chat.spaces[spaceID]
	if s == nil || (admin && s.Domain != "" && s.Domain != caller.Domain()) {
		return 404, "NOT_FOUND", "Space not found.", nil
	}
	if cm := s.members[caller.ID]; !admin && (cm == nil || cm.State != StateJoined) {
		return 403, "PERMISSION_DENIED", "The caller is not a member of this space.", nil
	}
	if admin && target == appUserName {
		return 400, "INVALID_ARGUMENT", "Creating app memberships isn't supported using admin access.", nil
	}
	if s.Type == SpaceTypeDM {
		return 403, "PERMISSION_DENIED", "Members can't be added to a direct message.", nil
	}
	var key string
	var state = StateJoined
	role := RoleMember
	switch {
	case target == "":
		return 400, "INVALID_ARGUMENT", "Membership must name a member or a group.", nil
	case target == appUserName:
		if body.Member.Type != "BOT" {
			return 400, "INVALID_ARGUMENT", "The app must be added with type BOT.", nil
		}
		key = appMemberID
	case strings.HasPrefix(target, groupMemberPath):
		if s.Type != SpaceTypeSpace {
			return 400, "INVALID_ARGUMENT", "Google Groups can only be added to named spaces.", nil
		}
		id := strings.TrimPrefix(target, groupMemberPath)
		if _, ok := e.state.chat.groups[id]; !ok {
			return 404, "NOT_FOUND", "Group not found.", nil
		}
		key, role = target, groupRoleNone
	case strings.HasPrefix(target, "users/"):
		ref := strings.TrimPrefix(target, "users/")
		var p *Person
		byEmail := strings.Contains(ref, "@")
		if _, isGroup := e.groupByAddress(ref); byEmail && isGroup {
			// A group's address names no account: Chat adds a group only
			// as groupMember groups/{id}.
			return 404, "NOT_FOUND", "User not found.", nil
		}
		if byEmail {
			p = e.state.byEmail[strings.ToLower(ref)]
			if p == nil {
				p = e.autoPerson(ref)
			}
		} else {
			p = e.state.people[ref]
		}
		if p == nil {
			return 404, "NOT_FOUND", "User not found.", nil
		}
		external := p.Domain() != caller.Domain()
		if external && admin {
			return 400, "INVALID_ARGUMENT", "Creating memberships for users outside the administrator's Google Workspace organization isn't supported using admin access.", nil
		}
		if external && !byEmail {
			return 404, "NOT_FOUND", "User not found. Users outside the organisation must be named by email.", nil
		}
		if external && !s.ExternalAllowed {
			return 403, "PERMISSION_DENIED", "This space doesn't allow people outside the organisation.", nil
		}
		key = p.ID
		if !p.AutoAccept {
			state = StateInvited
		}
	default:
		return 400, "INVALID_ARGUMENT", "Invalid member name.", nil
	}
	if _, exists := s.members[key]; exists {
		return 409, "ALREADY_EXISTS", "Membership already exists.", nil
	}
	m := &Membership{Key: key, State: state, Role: role, AddedBy: caller.ID, Created: e.now()}
	if admin {
		m.AddedBy = AdminActor
	}
	s.put(m)
	return 200, "", "", m
}

func (e *Emulator) membershipJSON(spaceID string, m *Membership) wireMembership {
	created := m.Created
	if created.IsZero() {
		created = e.now()
	}
	out := wireMembership{Name: fmt.Sprintf("spaces/%s/members/%s", spaceID, memberID(m.Key)), State: m.State, Role: m.Role,
		CreateTime: created.UTC().Format(time.RFC3339Nano)}
	switch {
	case m.Key == appMemberID:
		out.Member = &wireUser{Name: appUserName, DisplayName: appDisplayName, Type: "BOT"}
	case strings.HasPrefix(m.Key, groupMemberPath):
		out.GroupMember = &struct {
			Name string `json:"name"`
		}{m.Key}
	default:
		u := &wireUser{Name: "users/" + m.Key, Type: "HUMAN"}
		if p := e.state.people[m.Key]; p != nil {
			u.DisplayName, u.Email = p.DisplayName, p.Email
		}
		out.Member = u
	}
	return out
}

func (e *Emulator) writeMembership(w http.ResponseWriter, spaceID string, m *Membership) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(e.membershipJSON(spaceID, m))
}

// visibleSpace authenticates the caller and returns the space of the path
// if the caller is in it, with e.mu held (the caller must unlock) — or nil,
// having answered.
func (e *Emulator) visibleSpace(w http.ResponseWriter, r *http.Request) *chatSpace {
	admin := useAdminAccess(r)
	var caller *Person
	ok := false
	if admin {
		caller, ok = e.adminCaller(w, r, ScopeAdminMemberships, ScopeAdminMembershipsReadonly)
	} else {
		caller, _, ok = e.caller(w, r, ScopeMemberships)
	}
	if !ok {
		return nil
	}
	e.mu.Lock()
	s := e.state.chat.spaces[r.PathValue("space")]
	if admin && s != nil && (s.Domain == "" || s.Domain == caller.Domain()) {
		return s // an administrator sees every space of the organization
	}
	if s == nil || s.members[caller.ID] == nil {
		e.mu.Unlock()
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Space not found.")
		return nil
	}
	return s
}

func (e *Emulator) handleGetMember(w http.ResponseWriter, r *http.Request) {
	e.noteMembershipCall(r)
	s := e.visibleSpace(w, r)
	if s == nil {
		return
	}
	defer e.mu.Unlock()
	key := r.PathValue("member")
	if p := e.state.byEmail[strings.ToLower(key)]; p != nil {
		key = p.ID
	}
	m := s.members[key]
	if m == nil {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Membership not found.")
		return
	}
	e.writeMembership(w, s.ID, m)
}

func (e *Emulator) handleListMembers(w http.ResponseWriter, r *http.Request) {
	if !e.wait(w, r, "spaces/"+r.PathValue("space")+"/members") {
		return
	}
	s := e.visibleSpace(w, r)
	if s == nil {
		return
	}
	defer e.mu.Unlock()
	if useAdminAccess(r) && !adminListFilterOK(r.URL.Query().Get("filter")) {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", `With admin access, the filter must be member.type = "HUMAN" or member.type != "BOT".`)
		return
	}
	showInvited := r.URL.Query().Get("showInvited") == "true"
	showGroups := r.URL.Query().Get("showGroups") == "true"
	// Pages as Google's: 100 memberships unless pageSize says (at most
	// 1,000); nextPageToken while more remain.
	size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if size < 0 {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "pageSize must not be negative.")
		return
	}
	if size == 0 {
		size = 100
	}
	size = min(size, 1000)
	from, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
	out := struct {
		Memberships   []wireMembership `json:"memberships,omitempty"`
		NextPageToken string           `json:"nextPageToken,omitempty"`
	}{}
	seen := 0
	for _, k := range s.order {
		m := s.members[k]
		if (m.State == StateInvited && !showInvited) || (strings.HasPrefix(k, groupMemberPath) && !showGroups) ||
			(k == appMemberID && useAdminAccess(r)) {
			continue
		}
		seen++
		if seen <= from {
			continue
		}
		if len(out.Memberships) == size {
			out.NextPageToken = strconv.Itoa(from + size)
			break
		}
		out.Memberships = append(out.Memberships, e.membershipJSON(s.ID, m))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}

// RemoveMember removes a member from a space (a test resets a space so).
func (e *Emulator) RemoveMember(spaceID, key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state.chat.spaces[spaceID]
	if s == nil || s.members[key] == nil {
		return
	}
	delete(s.members, key)
	s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
}

// LastCreate is when spaces.members.create was last called in person id's
// name (zero if never).
func (e *Emulator) LastCreate(id string) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.chat.lastCreate[id]
}
