package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// Person is someone in the emulated directory.
type Person struct {
	// ID is the numeric account id: the Chat user is "users/" + ID, and it is
	// the id_token's sub.
	ID          string
	Email       string
	DisplayName string
	// AutoAccept adds the person at once; otherwise they are invited and must
	// accept.
	AutoAccept bool
}

// Domain is the part of the email after the @.
func (p *Person) Domain() string {
	_, d, _ := strings.Cut(p.Email, "@")
	return strings.ToLower(d)
}

// state is everything the emulator remembers; guarded by Emulator.mu.
type state struct {
	people  map[string]*Person // by id
	byEmail map[string]*Person // by lower-case email
	order   []string           // ids in the order added

	clients map[string]*client
	codes   map[string]*authCode
	refresh map[string]*refreshGrant
	access  map[string]*accessGrant
	granted map[string]map[string]bool // client|user → scopes granted so far

	consent      *Consent
	failRevoke   bool
	tokenCalls   int
	refreshCalls int

	chat *chatState

	secrets map[string]string // Secret Manager: version name → value

	serviceAccounts map[string]*serviceAccount // by email
	quota           *quotaState
	messages        map[string]*appMessage // the app's messages, by name

	autoSeq      int
	configured   []string // config-complete tokens seen
	onConfigured func(token string)
}

func newState() *state {
	return &state{
		people: map[string]*Person{}, byEmail: map[string]*Person{},
		clients: map[string]*client{}, codes: map[string]*authCode{},
		refresh: map[string]*refreshGrant{}, access: map[string]*accessGrant{},
		granted: map[string]map[string]bool{},
		chat:    newChatState(),
	}
}

// AddPerson adds (or replaces) a person in the directory.
func (e *Emulator) AddPerson(p Person) *Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	cp := p
	if _, exists := e.state.people[p.ID]; !exists {
		e.state.order = append(e.state.order, p.ID)
	}
	e.state.people[p.ID] = &cp
	e.state.byEmail[strings.ToLower(p.Email)] = &cp
	return &cp
}

// People lists the directory in the order people were added.
func (e *Emulator) People() []Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Person, 0, len(e.state.order))
	for _, id := range e.state.order {
		out = append(out, *e.state.people[id])
	}
	return out
}

// PersonByEmail finds a person by email, case-insensitively.
func (e *Emulator) PersonByEmail(email string) (Person, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.state.byEmail[strings.ToLower(email)]
	if !ok {
		return Person{}, false
	}
	return *p, true
}

func randomToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (e *Emulator) expired(t time.Time) bool { return !e.now().Before(t) }
