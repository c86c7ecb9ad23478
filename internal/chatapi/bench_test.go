package chatapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/emulator"
)

func benchEmulator(b *testing.B) (*emulator.Emulator, string, *http.Client) {
	emu, err := emulator.Start("", emulator.WithAdmin(), emulator.WithAutoPeople("load.example"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emu.Close() })
	emu.AddPerson(emulator.Person{ID: "1", Email: "a@load.example", AutoAccept: true})
	emu.AddSpace(emulator.Space{ID: "S", Domain: "load.example"})
	emu.AddMember("S", "1", emulator.RoleOwner)
	// The emulator speaks plain HTTP/1.1, as the bot's client does.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	resp, err := client.Get(emu.URL() + "/_emulator/access-token?" + url.Values{"email": {"a@load.example"}, "scope": {emulator.ScopeMemberships}}.Encode())
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return emu, string(tok), client
}

// BenchmarkCreateMembershipChatV1 is one spaces.members.create through the
// chat/v1 client (emulator included).
func BenchmarkCreateMembershipChatV1(b *testing.B) {
	emu, tok, client := benchEmulator(b)
	c, err := New(context.Background(), emu.URL()+"/", client)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := c.CreateMembership(context.Background(), tok, "spaces/S", &chat.Membership{Member: &chat.User{Name: fmt.Sprintf("users/v%d@load.example", i), Type: "HUMAN"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateMembershipRaw is the same call as a plain POST, as the load
// harness's baseline makes it (emulator included).
func BenchmarkCreateMembershipRaw(b *testing.B) {
	emu, tok, client := benchEmulator(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := `{"member":{"name":"users/r` + fmt.Sprint(i) + `@load.example","type":"HUMAN"}}`
		req, _ := http.NewRequest(http.MethodPost, emu.URL()+"/v1/spaces/S/members", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(out), "JOINED") {
			b.Fatalf("%d %s", resp.StatusCode, out)
		}
	}
}
