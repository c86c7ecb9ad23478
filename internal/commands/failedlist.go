package commands

// The dialog that lists, a page at a time, everyone a large invitation did
// not add, when its final card cannot hold them all.

import (
	"context"
	"fmt"
	"strconv"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// failedPerPage lines a page: at most 254-character addresses cut to
// maxShownRunes and reasons to maxDetailRunes, a page stays well within
// Chat's 32,000 bytes.
const failedPerPage = 50

func failedListParams(invitation string, page int) map[string]string {
	return map[string]string{"command": "invite", "step": "failed", "invitation": invitation, "page": strconv.Itoa(page)}
}

// failedList answers the final card's "Show all … not added" button, and
// the dialog's own Previous and Next: one page of those not added, with
// why. Only the person who started the invitation sees it, as only they
// saw its card when it was private.
func (iv *Invite) failedList(ctx context.Context, ev *events.Event) events.Reply {
	if iv.Invitations == nil {
		return events.Reply{Private: true, Text: "That list is no longer kept here."}
	}
	inv, err := iv.Invitations.GetInvitation(ctx, ev.Parameters["invitation"])
	switch {
	case err != nil:
		return events.Reply{Private: true, Text: "That list is no longer kept here."}
	case inv.Private && inv.User != ev.User.Name:
		return events.Reply{Private: true, Text: "Only the person who started this invitation can see its list."}
	}
	results, spaces, _ := outcomesOf(inv)
	var failed []Result
	for _, r := range results {
		if isFailure(r.Outcome) {
			failed = append(failed, r)
		}
	}
	pages := max((len(failed)+failedPerPage-1)/failedPerPage, 1)
	page, _ := strconv.Atoi(ev.Parameters["page"])
	page = min(max(page, 0), pages-1)
	shown := failed[page*failedPerPage : min((page+1)*failedPerPage, len(failed))]
	here := events.Space{Name: inv.Space, DisplayName: inv.SpaceName}
	var sections []*chat.GoogleAppsCardV1Section
	for o := membership.Outcome(0); o < membership.OutcomeCount; o++ {
		var group []Result
		for _, r := range shown {
			if r.Outcome == o {
				group = append(group, r)
			}
		}
		if len(group) > 0 {
			sections = append(sections, section(sectionTitle(o), compactLines(group, here, len(spaces) > 1)...))
		}
	}
	var buttons []*chat.GoogleAppsCardV1Button
	if page > 0 {
		buttons = append(buttons, &chat.GoogleAppsCardV1Button{Text: "Previous",
			OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(failedListParams(inv.ID, page-1), false)}})
	}
	if page < pages-1 {
		buttons = append(buttons, &chat.GoogleAppsCardV1Button{Text: "Next",
			OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(failedListParams(inv.ID, page+1), false)}})
	}
	buttons = append(buttons, &chat.GoogleAppsCardV1Button{Text: "Done",
		OnClick: &chat.GoogleAppsCardV1OnClick{Action: ev.Action(map[string]string{"command": "invite", "step": "close"}, false)}})
	sections = append(sections, &chat.GoogleAppsCardV1Section{Widgets: []*chat.GoogleAppsCardV1Widget{
		{ButtonList: &chat.GoogleAppsCardV1ButtonList{Buttons: buttons}}}})
	return events.Reply{Dialog: &chat.GoogleAppsCardV1Card{
		Header: &chat.GoogleAppsCardV1CardHeader{
			Title:    fmt.Sprintf("Not %s: %d", doneWord(inv.Op), len(failed)),
			Subtitle: fmt.Sprintf("Page %d of %d", page+1, pages),
		},
		Sections: sections,
	}}
}
