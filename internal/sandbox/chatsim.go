package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/emulator"
)

// chatSim plays Google Chat: it keeps each space's messages, turns what a
// person types into the event Chat would send, signs it, posts it to the
// bot's /chat/events over HTTP, and shows the answer as Chat would.
type chatSim struct {
	emu    *emulator.Emulator
	cfg    *config.Config
	client *http.Client

	mu       sync.Mutex
	seq      int
	messages map[string][]*message // by space id
	pending  map[string]*pending   // by config-complete token
	// dialogs waits for the page: a re-sent message (after consent) that
	// Chat answers with a dialog opens it for its user.
	dialogs map[string]*chat.GoogleAppsCardV1Card
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
}

// pending is an event waiting for its user's consent, to be sent again.
type pending struct {
	body     map[string]any
	space    string
	userMsg  *message
	promptID string
}

func newChatSim(emu *emulator.Emulator, cfg *config.Config, _ http.Handler) *chatSim {
	return &chatSim{
		emu: emu, cfg: cfg, client: &http.Client{Timeout: 30 * time.Second},
		messages: map[string][]*message{}, pending: map[string]*pending{}, dialogs: map[string]*chat.GoogleAppsCardV1Card{},
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

func (c *chatSim) spaceJSON(spaceID string) map[string]any {
	for _, s := range c.emu.Spaces() {
		if s.ID == spaceID {
			return map[string]any{"name": "spaces/" + s.ID, "displayName": s.DisplayName, "spaceType": s.Type, "type": map[string]string{
				emulator.SpaceTypeSpace: "ROOM", emulator.SpaceTypeGroup: "ROOM", emulator.SpaceTypeDM: "DM"}[s.Type]}
		}
	}
	return map[string]any{"name": "spaces/" + spaceID}
}

func userJSON(p emulator.Person) map[string]any {
	return map[string]any{"name": "users/" + p.ID, "displayName": p.DisplayName, "type": "HUMAN", "domainId": "d-" + p.Domain()}
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
	c.mu.Lock()
	msg := &message{ID: c.nextID(), Sender: user.ID, SenderName: user.DisplayName, Text: text, Time: time.Now().Format(time.RFC3339)}
	c.mu.Unlock()
	cmdID, cmdName, args := c.command(text)
	if cmdID == 0 {
		// Chat sends a plain message to an app only when it is mentioned.
		c.add(spaceID, msg)
		return sendResult{}
	}
	annotations := []map[string]any{{"type": "SLASH_COMMAND", "startIndex": 0, "length": len([]rune(cmdName)),
		"slashCommand": map[string]any{"bot": map[string]any{"name": "users/app", "displayName": "Invite", "type": "BOT"},
			"commandId": fmt.Sprint(cmdID), "commandName": cmdName, "triggersDialog": cmdName == "/invite" && strings.TrimSpace(args) == "", "type": "INVOKE"}}}
	for _, m := range mentions {
		i := strings.Index(text, m.Text)
		if i < 0 || !strings.HasPrefix(m.Text, "@") {
			continue
		}
		p := c.person(m.UserID)
		annotations = append(annotations, map[string]any{"type": "USER_MENTION", "startIndex": len([]rune(text[:i])), "length": len([]rune(m.Text)),
			"userMention": map[string]any{"type": "MENTION", "user": userJSON(p)}})
	}
	space := c.spaceJSON(spaceID)
	body := map[string]any{
		"type": "MESSAGE", "eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"user": userJSON(user), "space": space,
		"message": map[string]any{
			"name": "spaces/" + spaceID + "/messages/" + msg.ID, "sender": userJSON(user), "space": space,
			"text": text, "argumentText": args, "annotations": annotations,
			"slashCommand": map[string]any{"commandId": fmt.Sprint(cmdID)},
			"createTime":   time.Now().UTC().Format(time.RFC3339Nano),
		},
		"common": map[string]any{"hostApp": "CHAT", "userLocale": "en"},
	}
	return c.deliver(spaceID, user, body, msg)
}

// command recognises "/name args" by COMMAND_IDS, as Chat's configuration would.
func (c *chatSim) command(text string) (int64, string, string) {
	if !strings.HasPrefix(text, "/") {
		return 0, "", ""
	}
	name, rest, _ := strings.Cut(text, " ")
	for id, cmd := range c.cfg.CommandIDs {
		if "/"+cmd == strings.ToLower(name) {
			if rest != "" {
				rest = " " + rest
			}
			return id, name, rest
		}
	}
	return 0, "", ""
}

// deliver posts an event and shows the answer. userMsg (may be nil) is the
// person's message, shown once Chat would show it.
func (c *chatSim) deliver(spaceID string, user emulator.Person, body map[string]any, userMsg *message) sendResult {
	token := fmt.Sprintf("cfg-%d", time.Now().UnixNano())
	body["configCompleteRedirectUrl"] = c.emu.ConfigCompleteURL(token)
	reply, err := c.post(body)
	if err != nil {
		if userMsg != nil {
			c.add(spaceID, userMsg)
		}
		return sendResult{Error: err.Error()}
	}
	ar := reply.ActionResponse
	switch {
	case ar != nil && ar.Type == "REQUEST_CONFIG":
		// Chat shows the message to its author only, with a private
		// "Configure" prompt, until the outside flow completes.
		prompt := &message{Sender: "app", SenderName: "Invite", PrivateTo: user.ID, ConfigURL: ar.Url, Time: time.Now().Format(time.RFC3339)}
		c.mu.Lock()
		prompt.ID = c.nextID()
		p := &pending{body: body, space: spaceID, userMsg: userMsg, promptID: prompt.ID}
		if userMsg != nil {
			userMsg.PrivateTo = user.ID
			c.messages[spaceID] = append(c.messages[spaceID], userMsg)
		}
		c.messages[spaceID] = append(c.messages[spaceID], prompt)
		c.pending[token] = p
		c.mu.Unlock()
		return sendResult{Closed: true}
	case ar != nil && ar.Type == "DIALOG" && ar.DialogAction != nil && ar.DialogAction.Dialog != nil:
		return sendResult{Dialog: ar.DialogAction.Dialog.Body}
	case ar != nil && ar.Type == "DIALOG" && ar.DialogAction != nil && ar.DialogAction.ActionStatus != nil:
		return sendResult{Closed: true, Status: ar.DialogAction.ActionStatus.UserFacingMessage}
	}
	if userMsg != nil {
		c.add(spaceID, userMsg)
	}
	if reply.Text != "" || len(reply.CardsV2) > 0 {
		out := &message{Sender: "app", SenderName: "Invite", Text: reply.Text, Time: time.Now().Format(time.RFC3339)}
		if len(reply.CardsV2) > 0 {
			out.Cards, _ = json.Marshal(reply.CardsV2)
		}
		if reply.PrivateMessageViewer != nil {
			out.PrivateTo = strings.TrimPrefix(reply.PrivateMessageViewer.Name, "users/")
		}
		c.mu.Lock()
		out.ID = c.nextID()
		c.mu.Unlock()
		c.add(spaceID, out)
	}
	return sendResult{Closed: true, Status: reply.Text}
}

func (c *chatSim) add(spaceID string, m *message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.messages[spaceID] = append(c.messages[spaceID], m)
}

// post signs body as Chat does and sends it to the bot.
func (c *chatSim) post(body map[string]any) (*chat.Message, error) {
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
	var m chat.Message
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("the app's answer is not a Chat message: %w", err)
	}
	return &m, nil
}

// configured runs when a browser reaches the config-complete URL: Chat
// erases the prompt, makes the message public and sends it again.
func (c *chatSim) configured(token string) {
	c.mu.Lock()
	p, ok := c.pending[token]
	if ok {
		delete(c.pending, token)
		stream := c.messages[p.space][:0]
		for _, m := range c.messages[p.space] {
			if m.ID != p.promptID && (p.userMsg == nil || m != p.userMsg) {
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
	user := c.person(strings.TrimPrefix(p.body["user"].(map[string]any)["name"].(string), "users/"))
	if res := c.deliver(p.space, user, p.body, p.userMsg); res.Dialog != nil {
		c.mu.Lock()
		c.dialogs[user.ID] = res.Dialog
		c.mu.Unlock()
	}
}

// takeDialog returns (once) a dialog waiting for userID.
func (c *chatSim) takeDialog(userID string) *chat.GoogleAppsCardV1Card {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dialogs[userID]
	delete(c.dialogs, userID)
	return d
}

// dialogAction sends a dialog's submit or cancel as Chat does.
func (c *chatSim) dialogAction(userID, spaceID, action, function string, inputs map[string]string) sendResult {
	user := c.person(userID)
	eventType := "SUBMIT_DIALOG"
	if action == "cancel" {
		eventType = "CANCEL_DIALOG"
	}
	formInputs := map[string]any{}
	for k, v := range inputs {
		formInputs[k] = map[string]any{"stringInputs": map[string]any{"value": []string{v}}}
	}
	body := map[string]any{
		"type": "CARD_CLICKED", "eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"isDialogEvent": true, "dialogEventType": eventType,
		"user": userJSON(user), "space": c.spaceJSON(spaceID),
		"action": map[string]any{"actionMethodName": function},
		"common": map[string]any{"hostApp": "CHAT", "invokedFunction": function, "formInputs": formInputs},
	}
	return c.deliver(spaceID, user, body, nil)
}

// visible returns the stream of a space as userID sees it.
func (c *chatSim) visible(spaceID, userID string) []*message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*message
	for _, m := range c.messages[spaceID] {
		if m.PrivateTo == "" || m.PrivateTo == userID {
			out = append(out, m)
		}
	}
	return out
}
