package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	chat "google.golang.org/api/chat/v1"
)

// appMessage is a message an app created through spaces.messages.create.
type appMessage struct {
	App     string // the service account that created it
	Message chat.Message
	Updates int
}

// AppMessages lists the messages apps created in a space, as Chat holds them.
func (e *Emulator) AppMessages(spaceID string) []chat.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []chat.Message
	for name, m := range e.state.messages {
		if strings.HasPrefix(name, "spaces/"+spaceID+"/messages/") {
			out = append(out, m.Message)
		}
	}
	slices.SortFunc(out, func(a, b chat.Message) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// appCaller authenticates an app token carrying chat.bot; only apps may
// create or update the app's messages this way.
func (e *Emulator) appCaller(w http.ResponseWriter, r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request is missing required authentication credential.")
		return "", false
	}
	app, scopes, ok := e.appTokenInfo(token)
	switch {
	case !ok:
		if _, _, user := e.tokenInfo(token); user {
			googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "This method needs app authentication (scope chat.bot) in this emulator.")
			return "", false
		}
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
		return "", false
	case !slices.Contains(scopes, ScopeChatBot):
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "Request had insufficient authentication scopes.")
		return "", false
	}
	return app, true
}

// handleCreateMessage is spaces.messages.create with app authentication:
// the app must be in the space; messageId, when given, starts with
// "client-" and names the message; privateMessageViewer is allowed.
func (e *Emulator) handleCreateMessage(w http.ResponseWriter, r *http.Request) {
	app, ok := e.appCaller(w, r)
	if !ok {
		return
	}
	var m chat.Message
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&m); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	spaceID, id := r.PathValue("space"), r.URL.Query().Get("messageId")
	if id != "" && !clientMessageID.MatchString(id) {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "messageId must start with client-, contain only lowercase letters, numbers and hyphens, and be at most 63 characters.")
		return
	}
	if why := overLimits(&m); why != "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", why)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state.chat.spaces[spaceID]
	if s == nil || s.members[appMemberID] == nil {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Space not found, or the app is not a member of it.")
		return
	}
	if !e.spend(w, spaceID, false) {
		return
	}
	if id == "" {
		id = randomToken("")[:22]
	}
	name := "spaces/" + spaceID + "/messages/" + id
	if e.state.messages == nil {
		e.state.messages = map[string]*appMessage{}
	}
	if _, exists := e.state.messages[name]; exists {
		googleError(w, http.StatusConflict, "ALREADY_EXISTS", "Message already exists.")
		return
	}
	m.Name, m.CreateTime = name, e.now().UTC().Format("2006-01-02T15:04:05.000000Z")
	m.Sender = &chat.User{Name: "users/app", Type: "BOT", DisplayName: appDisplayName}
	e.state.messages[name] = &appMessage{App: app, Message: m}
	writeJSON(w, m)
}

// handleUpdateMessage is spaces.messages.patch (and update) with app
// authentication: an app may update only the messages it created.
func (e *Emulator) handleUpdateMessage(w http.ResponseWriter, r *http.Request) {
	app, ok := e.appCaller(w, r)
	if !ok {
		return
	}
	var in chat.Message
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	mask := r.URL.Query().Get("updateMask")
	if mask == "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "updateMask is required.")
		return
	}
	name := "spaces/" + r.PathValue("space") + "/messages/" + r.PathValue("message")
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.state.messages[name]
	s := e.state.chat.spaces[r.PathValue("space")]
	switch {
	case s == nil || s.members[appMemberID] == nil:
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Space not found, or the app is not a member of it.")
		return
	case m == nil:
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Message not found.")
		return
	case m.App != app:
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED", "An app can update only the messages it created.")
		return
	}
	updated := m.Message
	for _, field := range strings.Split(mask, ",") {
		switch strings.TrimSpace(field) {
		case "text":
			updated.Text = in.Text
		case "cardsV2", "cards_v2":
			updated.CardsV2 = in.CardsV2
		default:
			googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Unsupported updateMask field "+field+".")
			return
		}
	}
	if why := overLimits(&updated); why != "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", why)
		return
	}
	if !e.spend(w, r.PathValue("space"), false) {
		return
	}
	m.Message = updated
	m.Updates++
	m.Message.LastUpdateTime = e.now().UTC().Format("2006-01-02T15:04:05.000000Z")
	writeJSON(w, m.Message)
}

// DeleteMessage deletes a message as a person in the space would (a test
// deletes the app's progress message so).
func (e *Emulator) DeleteMessage(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.state.messages, name)
}

// clientMessageID is Google's rule for a client-assigned message id: it
// "Begins with client-", "Contains up to 63 characters and only lowercase
// letters, numbers, and hyphens"
// (https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create,
// query parameter messageId).
var clientMessageID = regexp.MustCompile(`^client-[a-z0-9-]{0,56}$`)

// Chat's limits on a message: "The maximum message size, including the
// message contents, is 32,000 bytes" (spaces.messages.create), and at most
// 100 widgets in its cards.
const (
	maxMessageBytes   = 32_000
	maxMessageWidgets = 100
)

// overLimits says why Chat would refuse m, or "" when it would not.
func overLimits(m *chat.Message) string {
	b, err := json.Marshal(m)
	if err != nil {
		return "Invalid message."
	}
	if len(b) > maxMessageBytes {
		return fmt.Sprintf("Message of %d bytes: the maximum message size is %d bytes.", len(b), maxMessageBytes)
	}
	widgets := 0
	for _, c := range m.CardsV2 {
		if c != nil && c.Card != nil {
			for _, s := range c.Card.Sections {
				widgets += len(s.Widgets)
			}
		}
	}
	if widgets > maxMessageWidgets {
		return fmt.Sprintf("Cards with %d widgets: a message holds at most %d.", widgets, maxMessageWidgets)
	}
	return ""
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}
