package sandbox

import (
	"fmt"

	"github.com/chatinvite/invitebot/internal/emulator"
)

// The sandbox's people: owners, managers and members, one who must accept
// invitations, one with no spaces yet, one from another organisation, and
// an administrator of example.com (the "Manage Chat and spaces
// conversations" privilege) who is in IT Desk only, so "as admin" reaches
// Launch without being a member of it.
var people = []emulator.Person{
	{ID: "1001", Email: "ana@example.com", DisplayName: "Ana Owner", AutoAccept: true},
	{ID: "1002", Email: "max@example.com", DisplayName: "Max Manager", AutoAccept: true},
	{ID: "1003", Email: "mia@example.com", DisplayName: "Mia Member", AutoAccept: true},
	{ID: "1004", Email: "ivan@example.com", DisplayName: "Ivan Invitee", AutoAccept: false},
	{ID: "1005", Email: "dan@example.com", DisplayName: "Dan Newcomer", AutoAccept: true},
	{ID: "1006", Email: "lea@example.com", DisplayName: "Lea Lurker", AutoAccept: false},
	{ID: sandboxAdmin, Email: "ada@example.com", DisplayName: "Ada Admin", AutoAccept: true},
	{ID: "2001", Email: "eve@partner.example", DisplayName: "Eve External", AutoAccept: true},
	{ID: "2002", Email: "olu@partner.example", DisplayName: "Olu Outside", AutoAccept: true},
	{ID: "2003", Email: "sam@elsewhere.example", DisplayName: "Sam Elsewhere", AutoAccept: true},
}

func seed(emu *emulator.Emulator) {
	for _, p := range people {
		emu.AddPerson(p)
	}
	emu.AddGroup("eng", "Engineering")
	emu.SetGroupAddress("eng", "eng@example.com")
	emu.SetAdmin(sandboxAdmin, true)
	emu.AddSpace(emulator.Space{ID: "itdesk", DisplayName: "IT Desk", Domain: "example.com"})
	emu.AddMember("itdesk", sandboxAdmin, emulator.RoleOwner)
	emu.AddMember("itdesk", "app", emulator.RoleMember)
	emu.AddSpace(emulator.Space{ID: "launch", DisplayName: "Launch", Domain: "example.com"})
	emu.AddMember("launch", "1001", emulator.RoleOwner)
	emu.AddMember("launch", "1002", emulator.RoleManager)
	emu.AddMember("launch", "1003", emulator.RoleMember)
	emu.AddMember("launch", "app", emulator.RoleMember)

	emu.AddSpace(emulator.Space{ID: "partners", DisplayName: "Partners", Domain: "example.com", ExternalAllowed: true})
	emu.AddMember("partners", "1002", emulator.RoleOwner)
	emu.AddMember("partners", "1001", emulator.RoleManager) // so Ana may Undo a copy into it
	emu.AddMember("partners", "app", emulator.RoleMember)

	emu.AddSpace(emulator.Space{ID: "design", DisplayName: "Design", Domain: "example.com"})
	emu.AddMember("design", "1003", emulator.RoleOwner)
	emu.AddMember("design", "1001", emulator.RoleMember)
	emu.AddMember("design", "app", emulator.RoleMember)

	// Alumni: 150 people of the organisation, two of others and the
	// Engineering group, to copy with "/invite members of spaces/alumni"
	// (into Partners, which lets people of other organisations in).
	emu.AddSpace(emulator.Space{ID: "alumni", DisplayName: "Alumni", Domain: "example.com", ExternalAllowed: true})
	emu.AddMember("alumni", "1001", emulator.RoleMember)
	emu.AddMember("alumni", "app", emulator.RoleMember)
	emu.AddMember("alumni", "2002", emulator.RoleMember)
	emu.AddMember("alumni", "2003", emulator.RoleMember)
	emu.AddMember("alumni", "groups/eng", "")
	for i := range alumni {
		p := emulator.Person{ID: fmt.Sprintf("3%03d", i), Email: fmt.Sprintf("alum%d@example.com", i), DisplayName: fmt.Sprintf("Alum %d", i), AutoAccept: true}
		emu.AddPerson(p)
		emu.AddMember("alumni", p.ID, emulator.RoleMember)
	}
}

// sandboxAdmin is Ada Admin's id.
const sandboxAdmin = "1007"

// alumni is how many people the Alumni space holds.
const alumni = 150
