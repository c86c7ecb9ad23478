package commands

// The form's space picker.
//
// The /invite form offers the user's own named spaces (spaces.list with
// the user's token, filtered to space_type = "SPACE":
// https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces/list)
// as a multiselect menu (SelectionInput of type MULTI_SELECT, static items,
// "Up to 100 items":
// https://developers.google.com/workspace/chat/api/reference/rest/v1/cards#selectioninput),
// beside the free-text field, whose spaces are still read. The picks
// arrive as the input's several stringInputs values, and are added to the
// spaces typed. Without the read-only spaces scope the form shows the text
// field and a line offering that permission alone: opening the form never
// asks for it.

import (
	"context"
	"html"
	"slices"
	"strings"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/events"
)

const (
	// pickInput names the picker's input.
	pickInput = "pick"
	// maxPickerSpaces: a SelectionInput holds up to 100 static items.
	maxPickerSpaces = 100
)

// formSpaces are the spaces a submitted form names: those typed, then
// those picked (ParseInvite reads a space named twice once).
func formSpaces(ev *events.Event) string {
	var parts []string
	if typed := strings.TrimSpace(ev.FormValue("spaces")); typed != "" {
		parts = append(parts, typed)
	}
	for _, p := range ev.FormInputs[pickInput] {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// withSpacePicker puts the picker (or the offer of its permission) after
// the form's Spaces field.
func (iv *Invite) withSpacePicker(ctx context.Context, ev *events.Event, form *chat.GoogleAppsCardV1Card) *chat.GoogleAppsCardV1Card {
	add := iv.spacePicker(ctx, ev)
	if len(add) == 0 || form == nil || len(form.Sections) == 0 {
		return form
	}
	sec := form.Sections[len(form.Sections)-1]
	for i, w := range sec.Widgets {
		if w.TextInput != nil && w.TextInput.Name == "spaces" {
			sec.Widgets = slices.Insert(sec.Widgets, i+1, add...)
			return form
		}
	}
	return form
}

// spacePicker is the picker of the user's spaces, or the line offering the
// permission to list them; nothing when spaces cannot be read at all.
func (iv *Invite) spacePicker(ctx context.Context, ev *events.Event) []*chat.GoogleAppsCardV1Widget {
	sr := iv.spaceReader()
	if sr == nil {
		return nil
	}
	token, err := iv.Auth.AccessToken(ctx, ev.User.Name, []string{ScopeSpacesRead})
	if consentRequired(err) {
		return iv.pickerOffer(ctx, ev)
	}
	if err != nil {
		logFrom(ctx).Warn("token to list the user's spaces", "error", err.Error())
		return nil
	}
	ctx, cancel := iv.whileChatWaits(ctx, spaceNamesWait)
	defer cancel()
	picked := ev.FormInputs[pickInput]
	var items []*chat.GoogleAppsCardV1SelectionItem
	err = sr.ListSpaces(ctx, token, chatapi.NamedSpacesFilter, maxPickerSpaces, func(s *chat.Space) error {
		label := s.DisplayName
		if label == "" {
			label = s.Name
		}
		if s.Name == ev.Space.Name {
			label += " (this space)"
		}
		items = append(items, &chat.GoogleAppsCardV1SelectionItem{Text: label, Value: s.Name, Selected: slices.Contains(picked, s.Name)})
		return nil
	})
	if chatapi.InsufficientScope(err) {
		return iv.pickerOffer(ctx, ev)
	}
	if err != nil {
		logFrom(ctx).Warn("list the user's spaces; the form has the text field only", "error", err.Error())
		return nil
	}
	if len(items) == 0 {
		return nil
	}
	return []*chat.GoogleAppsCardV1Widget{{SelectionInput: &chat.GoogleAppsCardV1SelectionInput{
		Name: pickInput, Label: "Or pick your spaces", Type: "MULTI_SELECT", Items: items,
		// Unset, Chat allows 3.
		MultiSelectMaxSelectedItems: int64(len(items)),
	}}}
}

// pickerOffer is the line offering the permission the picker needs: a
// consent link for that scope alone (the person has authorized Invite
// already, or the form would not open).
func (iv *Invite) pickerOffer(ctx context.Context, ev *events.Event) []*chat.GoogleAppsCardV1Widget {
	link, err := consentLink(ctx, iv.Auth, ev.User.Name, "", []string{ScopeSpacesRead}, "pick spaces from a list in the form")
	if err != nil {
		logFrom(ctx).Warn("consent link for the space picker", "error", err.Error())
		return nil
	}
	return []*chat.GoogleAppsCardV1Widget{
		paragraph(html.EscapeString("To pick from a list of your spaces, and see other spaces by their names, allow Invite to see your spaces, then open the form again.")),
		{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: []*chat.GoogleAppsCardV1Button{{
			Text: "Allow listing my spaces", OnClick: &chat.GoogleAppsCardV1OnClick{OpenLink: &chat.GoogleAppsCardV1OpenLink{Url: link}},
		}}}},
	}
}
