package chatapi

import "context"

// adminKey marks a context whose membership calls run with the caller's
// Google Workspace administrator privileges.
type adminKey struct{}

// WithAdminAccess makes every membership call under ctx send
// useAdminAccess=true: the method "runs using the user's Google Workspace
// administrator privileges" (spaces.members.create, delete, get and list in
// the chat/v1 discovery document;
// https://developers.google.com/workspace/chat/admin-overview). The token
// must carry chat.admin.memberships and its account the "Manage Chat and
// spaces conversations" privilege (https://support.google.com/a/answer/13369245);
// the caller need not be a member of the space.
func WithAdminAccess(ctx context.Context) context.Context {
	return context.WithValue(ctx, adminKey{}, true)
}

// AdminAccess reports whether ctx asks for administrator access.
func AdminAccess(ctx context.Context) bool {
	on, _ := ctx.Value(adminKey{}).(bool)
	return on
}

// adminListFilter is the filter spaces.members.list requires with
// useAdminAccess: "Either member.type = "HUMAN" or member.type != "BOT" is
// required when use_admin_access is set to true" (its filter parameter).
// "!= BOT" keeps people and groups.
const adminListFilter = `member.type != "BOT"`
