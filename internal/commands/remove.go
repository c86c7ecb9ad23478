package commands

import (
	"context"
	"html"
	"strings"

	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/membership"
)

// removeSpec is /remove: the same targets as /invite, removed with the
// user's own authorization (spaces.members.delete) on the same engine:
// one policy, one membership call, the background past SyncMax.
func removeSpec(d Deps) Spec {
	iv := &Invite{Deps: d, op: membership.Remove}
	return Spec{
		Name:        "remove",
		Usage:       "people… [from spaces…] · /remove me",
		Description: "Remove people, groups or this app from this space (or others); only space managers may remove others",
		Scopes:      []string{ScopeMemberships},
		Run: func(ctx context.Context, ev *events.Event) events.Reply {
			switch ev.Parameters["step"] {
			case "stop":
				return iv.stop(ctx, ev)
			case "start", "cancel":
				return iv.decide(ctx, ev)
			}
			args, refs := MentionArgs(ev.Text, ev.ArgumentText, spans(ev.Mentions))
			if strings.TrimSpace(args) == "" {
				return events.Reply{Private: true, Cards: card("remove-usage", "Whom to remove?", "Nothing was done",
					section("", paragraph(html.EscapeString("Type /remove alice@example.com, @Bob, groups/eng [from spaces/…], or /remove me to leave."))))}
			}
			req, err := ParseRemove(args, refs)
			if err != nil {
				return events.Reply{Private: true, Cards: parseErrorCards(err)}
			}
			for i, t := range req.Targets {
				if t.Typed == selfWord {
					req.Targets[i].Name = ev.User.Name
				}
			}
			return iv.execute(ctx, ev, req)
		},
	}
}
