package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// chatSim plays Google Chat: it keeps each space's messages, turns what a
// person types or clicks into the event Chat would send (built by the
// emulator's ChatApp, in the app's shape), signs it, posts it to the bot's
// /chat/events over HTTP, checks the answer by Chat's rules and shows it as
// Chat would.
type chatSim struct {
	emu    *emulator.Emulator
	cfg    *config.Config
	app    emulator.ChatApp
	client *http.Client

	mu       sync.Mutex
	seq      int
	messages map[string][]*message // by space id
	pending  map[string]*pending   // by config-complete token
	// seen is every space's memberships as last shown (space → member →
	// state), to tell what changed since, whoever changed it.
	seen map[string]map[string]string
}

// message is one entry of a space's stream.
type message struct {
	ID         string          `json:"id"`
	Sender     string          `json:"sender"` // person id, or "app"
	SenderName string          `json:"senderName"`
	Text       string          `json:"text,omitempty"`
	Cards      json.RawMessage `json:"cards,omitempty"`
	PrivateTo  string          `json:"privateTo,omitempty"` // person id
	ConfigURL  string          `json:"configUrl,omitempty"`
	Time       string          `json:"time"`

	// A system line's actor, verb and the names it lists, while later
	// changes of the same kind may join it.
	actor, verb string
	names       []string
}

// pending is an event waiting for its user's consent, to be sent again.
type pending struct {
	body     map[string]any
	space    string
	user     emulator.Person
	userMsg  *message
	promptID string
}

func newChatSim(emu *emulator.Emulator, cfg *config.Config, app emulator.ChatApp) *chatSim {
	return &chatSim{
		emu: emu, cfg: cfg, app: app, client: &http.Client{Timeout: 30 * time.Second},
		messages: map[string][]*message{}, pending: map[string]*pending{}, seen: snapshot(emu),
	}
}

func (c *chatSim) nextID() string {
	c.seq++
	return fmt.Sprintf("m%04d", c.seq)
}

func (c *chatSim) person(id string) emulator.Person {
	for _, p := range c.emu.People() {
		if p.ID == id {
			return p
		}
	}
	return emulator.Person{ID: id, DisplayName: "users/" + id}
}

// actor is who a system line names for a change: a person, or, for a
// change made with administrator access, "The organization's
// administrator", never the administrator's name, as Chat shows it
// (https://developers.google.com/workspace/chat/admin-overview).
func (c *chatSim) actor(id string) string {
	if id == emulator.AdminActor {
		return "The organization's administrator"
	}
	return c.person(id).DisplayName
}

func (c *chatSim) space(id string) emulator.Space {
	for _, s := range c.emu.Spaces() {
		if s.ID == id {
			return s
		}
	}
	return emulator.Space{ID: id}
}

// mentionIn is an @mention the page picked from its autocomplete.
type mentionIn struct {
	UserID string `json:"userId"`
	Text   string `json:"text"` // "@Name" as it appears in the text
}

// sendResult tells the page what to show beyond the stream.
type sendResult struct {
	Dialog *chat.GoogleAppsCardV1Card `json:"dialog,omitempty"`
	Closed bool                       `json:"closed,omitempty"`
	Status string                     `json:"status,omitempty"`
	Error  string                     `json:"error,omitempty"`
}

// send handles a message typed by userID in spaceID.
func (c *chatSim) send(userID, spaceID, text string, mentions []mentionIn) sendResult {
	user := c.person(userID)
	text = strings.TrimSpace(text)
	if text == "" {
		return sendResult{}
	}
	now := time.Now()
	c.mu.Lock()
	msg := &message{ID: c.nextID(), Sender: user.ID, SenderName: user.DisplayName, Text: text, Time: now.Format(time.RFC3339Nano)}
	c.mu.Unlock()
	var ms []emulator.Mention
	for _, m := range mentions {
		ms = append(ms, emulator.Mention{Person: c.person(m.UserID), Text: m.Text})
	}
	evs := c.app.MessageEvents(emulator.Message{
		User: user, Space: c.space(spaceID), Name: "spaces/" + spaceID + "/messages/" + msg.ID,
		Text: text, Mentions: ms, Time: now,
	})
	if len(evs) == 0 { // no command of the app: just a message
		c.add(spaceID, msg)
		return sendResult{}
	}
	var res sendResult
	for i, ev := range evs {
		var shown *message
		if i == len(evs)-1 {
			shown = msg
		}
		res = c.deliver(spaceID, user, ev, shown)
	}
	return res
}

// click handles a button of one of the app's cards, or a dialog's submit
// or cancel.
func (c *chatSim) click(userID, spaceID string, action *chat.GoogleAppsCardV1Action, dialogEventType string, inputs map[string]string) sendResult {
	return c.clickWith(userID, spaceID, action, dialogEventType, inputs, nil)
}

// clickWith is click with a dialog's inputs of several values too (what a
// multiselect or checkboxes have picked).
func (c *chatSim) clickWith(userID, spaceID string, action *chat.GoogleAppsCardV1Action, dialogEventType string, inputs map[string]string, picks map[string][]string) sendResult {
	user := c.person(userID)
	ev, err := c.app.ClickEvent(emulator.Click{User: user, Space: c.space(spaceID), Action: action, DialogEventType: dialogEventType, Inputs: inputs, Picks: picks})
	if err != nil {
		return sendResult{Error: err.Error()}
	}
	return c.deliver(spaceID, user, ev, nil)
}

// reply is an app's answer, whichever shape it came in.
type reply struct {
	message   *chat.Message
	configURL string
	dialog    *chat.GoogleAppsCardV1Card
	closed    bool
	status    string
}

// deliver posts an event and shows the answer. userMsg (may be nil) is the
// person's message, shown once Chat would show it.
func (c *chatSim) deliver(spaceID string, user emulator.Person, body map[string]any, userMsg *message) sendResult {
	token := fmt.Sprintf("cfg-%d", time.Now().UnixNano())
	setConfigComplete(body, c.emu.ConfigCompleteURL(token))
	c.observe() // what changed before this event shows above it
	r, err := c.post(body)
	defer c.observe()
	if err != nil {
		if userMsg != nil {
			c.add(spaceID, userMsg)
		}
		return sendResult{Error: err.Error()}
	}
	switch {
	case r.configURL != "":
		// Chat shows the message to its author only, with a private
		// "Configure" prompt, until the outside flow completes.
		prompt := &message{Sender: "app", SenderName: "Invite", PrivateTo: user.ID, ConfigURL: r.configURL, Time: time.Now().Format(time.RFC3339Nano)}
		c.mu.Lock()
		prompt.ID = c.nextID()
		c.pending[token] = &pending{body: body, space: spaceID, user: user, userMsg: userMsg, promptID: prompt.ID}
		if userMsg != nil {
			userMsg.PrivateTo = user.ID
			c.messages[spaceID] = append(c.messages[spaceID], userMsg)
		}
		c.messages[spaceID] = append(c.messages[spaceID], prompt)
		c.mu.Unlock()
		return sendResult{Closed: true}
	case r.dialog != nil:
		return sendResult{Dialog: r.dialog}
	}
	if userMsg != nil {
		c.add(spaceID, userMsg)
	}
	if m := r.message; m != nil && (m.Text != "" || len(m.CardsV2) > 0) {
		out := &message{Sender: "app", SenderName: "Invite", Text: m.Text, Time: time.Now().Format(time.RFC3339Nano)}
		if len(m.CardsV2) > 0 {
			out.Cards, _ = json.Marshal(m.CardsV2)
		}
		if m.PrivateMessageViewer != nil {
			out.PrivateTo = strings.TrimPrefix(m.PrivateMessageViewer.Name, "users/")
		}
		c.mu.Lock()
		out.ID = c.nextID()
		c.mu.Unlock()
		c.add(spaceID, out)
		if r.status == "" {
			r.status = m.Text
		}
	}
	return sendResult{Closed: true, Status: r.status}
}

// setConfigComplete points the event at the emulator's stand-in for
// Chat's configCompleteRedirectUrl.
func setConfigComplete(body map[string]any, u string) {
	if ch, ok := body["chat"].(map[string]any); ok {
		for _, p := range ch {
			if pm, ok := p.(map[string]any); ok && pm["message"] != nil {
				pm["configCompleteRedirectUri"] = u
			}
		}
		return
	}
	if body["type"] == "MESSAGE" || body["type"] == "ADDED_TO_SPACE" {
		body["configCompleteRedirectUrl"] = u
	}
}

func (c *chatSim) add(spaceID string, m *message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.messages[spaceID] = append(c.messages[spaceID], m)
}

// post signs body as Chat does, sends it to the bot, and checks the answer
// by Chat's rules.
func (c *chatSim) post(body map[string]any) (*reply, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, c.cfg.BaseURL.String()+"/chat/events", bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.emu.ChatToken(c.cfg.ChatAudience))
	req.Header.Set("User-Agent", "Google-Dynamite")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the app did not answer: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the app answered %d: %s", resp.StatusCode, strings.TrimSpace(string(out)))
	}
	if err := c.app.CheckReply(body, out); err != nil {
		return nil, err
	}
	return decodeReply(out, c.app.AddOn)
}

// decodeReply reads an answer in either shape.
func decodeReply(raw []byte, addOn bool) (*reply, error) {
	if !addOn {
		var m chat.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("the app's answer is not a Chat message: %w", err)
		}
		r := &reply{message: &m}
		if ar := m.ActionResponse; ar != nil {
			switch {
			case ar.Type == "REQUEST_CONFIG":
				r.configURL = ar.Url
			case ar.Type == "DIALOG" && ar.DialogAction != nil && ar.DialogAction.Dialog != nil:
				r.dialog = ar.DialogAction.Dialog.Body
			case ar.Type == "DIALOG" && ar.DialogAction != nil && ar.DialogAction.ActionStatus != nil:
				r.closed, r.status = true, ar.DialogAction.ActionStatus.UserFacingMessage
			}
		}
		return r, nil
	}
	var a struct {
		HostAppDataAction *struct {
			ChatDataAction struct {
				CreateMessageAction *struct {
					Message *chat.Message `json:"message"`
				} `json:"createMessageAction"`
			} `json:"chatDataAction"`
		} `json:"hostAppDataAction"`
		Action *struct {
			Navigations []struct {
				PushCard      *chat.GoogleAppsCardV1Card `json:"pushCard"`
				EndNavigation *struct{ Action string }   `json:"endNavigation"`
			} `json:"navigations"`
			Notification *struct{ Text string } `json:"notification"`
		} `json:"action"`
		BasicAuthorizationPrompt *struct {
			AuthorizationURL string `json:"authorizationUrl"`
		} `json:"basicAuthorizationPrompt"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("the app's answer is not an add-on response: %w", err)
	}
	r := &reply{}
	switch {
	case a.BasicAuthorizationPrompt != nil:
		r.configURL = a.BasicAuthorizationPrompt.AuthorizationURL
	case a.Action != nil:
		for _, n := range a.Action.Navigations {
			if n.PushCard != nil {
				r.dialog = n.PushCard
			}
			if n.EndNavigation != nil {
				r.closed = true
			}
		}
		if a.Action.Notification != nil {
			r.status = a.Action.Notification.Text
		}
	case a.HostAppDataAction != nil && a.HostAppDataAction.ChatDataAction.CreateMessageAction != nil:
		r.message, r.closed = a.HostAppDataAction.ChatDataAction.CreateMessageAction.Message, true
	}
	if r.configURL == "" && r.dialog == nil && !r.closed && r.message == nil && !bytes.Equal(bytes.TrimSpace(raw), []byte("{}")) {
		return nil, errors.New("the app's answer is not an add-on response Chat knows")
	}
	return r, nil
}

// configured runs when a browser reaches the config-complete URL: Chat
// erases the prompt, makes the message public (in its place, with its
// time) and sends it again.
func (c *chatSim) configured(token string) {
	c.mu.Lock()
	p, ok := c.pending[token]
	if ok {
		delete(c.pending, token)
		stream := c.messages[p.space][:0]
		for _, m := range c.messages[p.space] {
			if m.ID != p.promptID {
				stream = append(stream, m)
			}
		}
		c.messages[p.space] = stream
		if p.userMsg != nil {
			p.userMsg.PrivateTo = ""
		}
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	c.deliver(p.space, p.user, p.body, nil)
}

// snapshot is every space's memberships.
func snapshot(emu *emulator.Emulator) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range emu.Spaces() {
		out[s.ID] = map[string]string{}
		for _, m := range emu.Members(s.ID) {
			out[s.ID][m.Key] = m.State
		}
	}
	return out
}

// observe adds, as Chat does, a line to each space whose members changed
// since it last looked, whoever changed them (a command, or the app's work
// in the background): "Ana added Dan", "Ana invited Ivan", "Ivan joined".
// Changes of one kind by one person join the space's last line while it is
// still the last ("Ana added Dan, Mia and 48 others"), so a long copy adds
// one line below another command's answer, never a wall of them.
func (c *chatSim) observe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.emu.Spaces() {
		seen := c.seen[s.ID]
		if seen == nil {
			seen = map[string]string{}
			c.seen[s.ID] = seen
		}
		present := map[string]bool{}
		for _, m := range c.emu.Members(s.ID) {
			present[m.Key] = true
			was := seen[m.Key]
			if was == m.State {
				continue
			}
			seen[m.Key] = m.State
			name := c.memberName(m.Key)
			switch {
			case was == emulator.StateInvited && m.State == emulator.StateJoined:
				c.systemLine(s.ID, name, "joined", "")
			case m.State == emulator.StateInvited:
				c.systemLine(s.ID, c.actor(m.AddedBy), "invited", name)
			default:
				c.systemLine(s.ID, c.actor(m.AddedBy), "added", name)
			}
		}
		for key := range seen { // removed: added again later, it shows again
			if !present[key] {
				delete(seen, key)
				if by := c.emu.RemovedBy(s.ID, key); by == key {
					c.systemLine(s.ID, c.memberName(key), "left", "")
				} else if by != "" {
					c.systemLine(s.ID, c.actor(by), "removed", c.memberName(key))
				}
			}
		}
	}
}

// systemLine adds "actor verb name" to a space, or joins the name to the
// space's last line when that is a line of the same actor and verb. Runs
// with c.mu held.
func (c *chatSim) systemLine(spaceID, actor, verb, name string) {
	stream := c.messages[spaceID]
	if n := len(stream); n > 0 && name != "" {
		if last := stream[n-1]; last.Sender == "system" && last.actor == actor && last.verb == verb {
			last.names = append(last.names, name)
			last.Text = actor + " " + verb + " " + listNames(last.names)
			return
		}
	}
	m := &message{ID: c.nextID(), Sender: "system", Time: time.Now().Format(time.RFC3339Nano), actor: actor, verb: verb}
	if name == "" { // "Ivan joined"
		m.Text = actor + " " + verb
	} else {
		m.names = []string{name}
		m.Text = actor + " " + verb + " " + name
	}
	c.messages[spaceID] = append(stream, m)
}

// listNames is "Dan", "Dan and Mia", "Dan, Mia and Lea", or past three
// "Dan, Mia and 48 others".
func listNames(names []string) string {
	switch n := len(names); {
	case n == 1:
		return names[0]
	case n <= 3:
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	default:
		return fmt.Sprintf("%s and %d others", strings.Join(names[:2], ", "), n-2)
	}
}

func (c *chatSim) memberName(key string) string {
	switch {
	case key == "app":
		return "Invite"
	case strings.HasPrefix(key, "groups/"):
		if n := c.emu.GroupName(strings.TrimPrefix(key, "groups/")); n != "" {
			return n
		}
		return key
	}
	return c.person(key).DisplayName
}

// visible returns the stream of a space as userID sees it: what was said
// in it, and the messages the app created through the Chat API (the
// progress of large invitations), in time order.
func (c *chatSim) visible(spaceID, userID string) []*message {
	c.mu.Lock()
	var out []*message
	for _, m := range c.messages[spaceID] {
		if m.PrivateTo == "" || m.PrivateTo == userID {
			out = append(out, m)
		}
	}
	c.mu.Unlock()
	for _, am := range c.emu.AppMessages(spaceID) {
		m := &message{ID: am.Name, Sender: "app", SenderName: "Invite", Text: am.Text, Time: am.CreateTime}
		if am.PrivateMessageViewer != nil {
			m.PrivateTo = strings.TrimPrefix(am.PrivateMessageViewer.Name, "users/")
		}
		if m.PrivateTo != "" && m.PrivateTo != userID {
			continue
		}
		m.Cards, _ = json.Marshal(am.CardsV2)
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b *message) int { return parseTime(a.Time).Compare(parseTime(b.Time)) })
	return out
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
