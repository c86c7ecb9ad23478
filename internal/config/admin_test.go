package config

import (
	"slices"
	"strings"
	"testing"
)

// TestAdminAccessNamesTheOrganization: INVITE_ADMIN_ACCESS is off by
// default; on, it lists the organization's domains ("as admin" adds only
// their people); anything else is refused with what to write.
func TestAdminAccessNamesTheOrganization(t *testing.T) {
	base := map[string]string{"BOT_BASE_URL": "https://invite.example.com/", "GOOGLE_OAUTH_CLIENT_ID": "id", "GOOGLE_OAUTH_CLIENT_SECRET": "s"}
	c, err := Load(env(base), testCommands)
	if err != nil || len(c.InviteAdminDomains) != 0 {
		t.Fatalf("default: %v %v", c.InviteAdminDomains, err)
	}
	base["INVITE_ADMIN_ACCESS"] = " Example.com, @example.co.uk "
	c, err = Load(env(base), testCommands)
	if err != nil || !slices.Equal(c.InviteAdminDomains, []string{"example.com", "example.co.uk"}) {
		t.Fatalf("domains: %v %v", c.InviteAdminDomains, err)
	}
	base["INVITE_ADMIN_ACCESS"] = "true"
	if _, err := Load(env(base), testCommands); err == nil || !strings.Contains(err.Error(), "list your organization's email domains") {
		t.Fatalf("true: %v", err)
	}
}
