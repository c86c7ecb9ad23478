package sandbox

import (
	"cmp"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

//go:embed static
var staticFS embed.FS

func (c *chatSim) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /{$}", http.FileServerFS(static))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/state", c.handleState)
	mux.HandleFunc("POST /api/send", c.handleSend)
	mux.HandleFunc("POST /api/click", c.handleClick)
	mux.HandleFunc("POST /api/accept", c.handleAccept)
}

type personView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Domain string `json:"domain"`
}

type spaceView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	MyState string `json:"myState"`
	MyRole  string `json:"myRole"`
}

// peopleGroup is a space's people (or those in no space), for the page's
// acting-user list.
type peopleGroup struct {
	Label  string   `json:"label"`
	People []string `json:"people"` // person ids
}

// peopleBySpace groups people by the spaces they are in (joined or
// invited): the space shown first, then the others by name, then those in
// no space. Someone in two spaces is listed under both.
func (c *chatSim) peopleBySpace(shown string) []peopleGroup {
	known := map[string]bool{}
	for _, p := range c.emu.People() {
		known[p.ID] = true
	}
	var groups []peopleGroup
	placed := map[string]bool{}
	spaces := c.emu.Spaces()
	slices.SortStableFunc(spaces, func(a, b emulator.Space) int {
		switch {
		case a.ID == shown:
			return -1
		case b.ID == shown:
			return 1
		}
		return strings.Compare(cmp.Or(a.DisplayName, a.ID), cmp.Or(b.DisplayName, b.ID))
	})
	for _, s := range spaces {
		g := peopleGroup{Label: cmp.Or(s.DisplayName, s.ID)}
		for _, m := range c.emu.Members(s.ID) {
			if known[m.Key] {
				g.People = append(g.People, m.Key)
				placed[m.Key] = true
			}
		}
		if len(g.People) > 0 {
			groups = append(groups, g)
		}
	}
	rest := peopleGroup{Label: "In no space yet"}
	for _, p := range c.emu.People() {
		if !placed[p.ID] {
			rest.People = append(rest.People, p.ID)
		}
	}
	if len(rest.People) > 0 {
		groups = append(groups, rest)
	}
	return groups
}

type commandView struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type memberView struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Kind  string `json:"kind"` // person, group, app
	State string `json:"state"`
	Role  string `json:"role"`
}

func (c *chatSim) handleState(w http.ResponseWriter, r *http.Request) {
	user, space := r.URL.Query().Get("user"), r.URL.Query().Get("space")
	c.observe() // what the app did in the background since the last look
	out := struct {
		People   []personView  `json:"people"`
		Spaces   []spaceView   `json:"spaces"`
		Members  []memberView  `json:"members"`
		Messages []*message    `json:"messages"`
		AddOn    bool          `json:"addOn"`
		Commands []commandView `json:"commands"`
		// Org is the acting user's organization, for the page to explain
		// an empty list of spaces.
		Org string `json:"org"`
		// Groups is the acting-user list: people by space.
		Groups []peopleGroup `json:"groups"`
	}{}
	for _, cmd := range c.app.Commands {
		out.Commands = append(out.Commands, commandView{cmd.Name, cmd.Description})
	}
	names := map[string]string{}
	for _, p := range c.emu.People() {
		names[p.ID] = p.DisplayName
		out.People = append(out.People, personView{p.ID, p.DisplayName, p.Email, p.Domain()})
		if p.ID == user {
			out.Org = p.Domain()
		}
	}
	visible := false
	for _, s := range c.emu.Spaces() {
		for _, m := range c.emu.Members(s.ID) {
			if m.Key == user {
				name := s.DisplayName
				if name == "" {
					name = s.ID
				}
				out.Spaces = append(out.Spaces, spaceView{s.ID, name, s.Type, m.State, m.Role})
				visible = visible || s.ID == space
			}
		}
	}
	if !visible { // Chat shows members only of a space one is in
		space = ""
	}
	for _, m := range c.emu.Members(space) {
		v := memberView{Key: m.Key, State: m.State, Role: m.Role, Kind: "person", Name: names[m.Key]}
		switch {
		case m.Key == "app":
			v.Kind, v.Name = "app", "Invite (app)"
		case strings.HasPrefix(m.Key, "groups/"):
			v.Kind, v.Name = "group", cmp.Or(c.emu.GroupName(strings.TrimPrefix(m.Key, "groups/")), m.Key)
		}
		out.Members = append(out.Members, v)
	}
	out.Messages = c.visible(space, user)
	out.Groups = c.peopleBySpace(space)
	out.AddOn = c.app.AddOn
	writeJSON(w, out)
}

func (c *chatSim) handleSend(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User     string      `json:"user"`
		Space    string      `json:"space"`
		Text     string      `json:"text"`
		Mentions []mentionIn `json:"mentions"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	writeJSON(w, c.send(in.User, in.Space, in.Text, in.Mentions))
}

func (c *chatSim) handleClick(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User            string                       `json:"user"`
		Space           string                       `json:"space"`
		Action          *chat.GoogleAppsCardV1Action `json:"action"`
		DialogEventType string                       `json:"dialogEventType"`
		Inputs          map[string]string            `json:"inputs"`
		Picks           map[string][]string          `json:"picks"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	writeJSON(w, c.clickWith(in.User, in.Space, in.Action, in.DialogEventType, in.Inputs, in.Picks))
}

func (c *chatSim) handleAccept(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User  string `json:"user"`
		Space string `json:"space"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	c.observe()
	accepted := c.emu.Accept(in.Space, in.User)
	c.observe()
	writeJSON(w, map[string]bool{"accepted": accepted})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
