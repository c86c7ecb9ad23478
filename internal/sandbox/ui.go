package sandbox

import (
	"cmp"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"

	chat "google.golang.org/api/chat/v1"
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
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	writeJSON(w, c.click(in.User, in.Space, in.Action, in.DialogEventType, in.Inputs))
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
	before := c.snapshot()
	accepted := c.emu.Accept(in.Space, in.User)
	c.systemLines(c.person(in.User), before)
	writeJSON(w, map[string]bool{"accepted": accepted})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
