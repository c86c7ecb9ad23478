package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/events"
	"github.com/chatinvite/invitebot/internal/httpserver"
	"github.com/chatinvite/invitebot/internal/jwks"
)

// RoleEnv names the role a re-executed harness binary plays.
const RoleEnv = "INVITE_LOADTEST_ROLE"

// The load scenario's world.
const (
	loadDomain   = "load.example"
	inviter      = "alice@" + loadDomain
	inviterID    = "1001"
	loadSpace    = "AAA"
	clientID     = "load.apps.googleusercontent.com"
	clientSecret = "load-secret"
)

// RunRole runs the role named by $INVITE_LOADTEST_ROLE and reports whether
// there was one.
func RunRole() (bool, error) {
	switch os.Getenv(RoleEnv) {
	case "":
		return false, nil
	case "emulator":
		return true, runEmulator()
	case "baseline":
		return true, runBaseline()
	default:
		return true, fmt.Errorf("unknown role %q", os.Getenv(RoleEnv))
	}
}

func untilSignal() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}

func runEmulator() error {
	emu, err := emulator.Start("127.0.0.1:0", emulator.WithAdmin(), emulator.WithAutoPeople(loadDomain))
	if err != nil {
		return err
	}
	defer emu.Close()
	emu.AddPerson(emulator.Person{ID: inviterID, Email: inviter, DisplayName: "Alice Load", AutoAccept: true})
	emu.AddSpace(emulator.Space{ID: loadSpace, DisplayName: "Load", Domain: loadDomain})
	emu.AddMember(loadSpace, inviterID, emulator.RoleOwner)
	emu.SetConsent(&emulator.Consent{Account: inviter})
	fmt.Printf("URL %s\n", emu.URL())
	ctx, cancel := untilSignal()
	defer cancel()
	<-ctx.Done()
	return nil
}

// runBaseline is the bare minimum a Chat app doing this work needs: verify
// the token the same way, make the one spaces.members.create call, answer a
// fixed message. No store, no parsing, no cards, no logs.
func runBaseline() error {
	google := endpoints.Emulator(os.Getenv("GOOGLE_EMULATOR_URL"))
	// Reach the emulator the way the bot does.
	client := endpoints.Client(30 * time.Second)
	v, err := events.NewVerifier(events.VerifierConfig{
		Audience:   os.Getenv("CHAT_AUDIENCE"),
		GoogleKeys: jwks.New(google.Certs, client, nil),
	})
	if err != nil {
		return err
	}
	token := os.Getenv("ACCESS_TOKEN")
	create := rawCreate(client, google.ChatAPI+"v1/spaces/"+loadSpace+"/members", token)
	if os.Getenv("BASELINE_CLIENT") == "chatv1" {
		if create, err = chatV1Create(client, google.ChatAPI, token); err != nil {
			return err
		}
	}
	reply := []byte(`{"text":"done"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, err := events.BearerToken(r)
		if err == nil {
			err = v.Verify(r.Context(), bearer)
		}
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var ev struct {
			Message struct {
				ArgumentText string `json:"argumentText"`
			} `json:"message"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if err := create(r.Context(), "users/"+trim(ev.Message.ArgumentText)); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("URL http://%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.Handle("/chat/events", h)
	mux.HandleFunc("/debug/goroutines", goroutines)
	ctx, cancel := untilSignal()
	defer cancel()
	return httpserver.Serve(ctx, httpserver.New(mux), ln)
}

func trim(s string) string { return string(bytes.TrimSpace([]byte(s))) }

// rawCreate makes the call as a plain POST: the least a server can do.
func rawCreate(client *http.Client, url, token string) func(context.Context, string) error {
	return func(ctx context.Context, member string) error {
		body, _ := json.Marshal(map[string]any{"member": map[string]string{"name": member, "type": "HUMAN"}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("chat api answered %s", resp.Status)
		}
		return nil
	}
}

// chatV1Create makes the call through chat/v1, the client the bot must use.
func chatV1Create(client *http.Client, endpoint, token string) (func(context.Context, string) error, error) {
	c, err := chatapi.New(context.Background(), endpoint, client)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, member string) error {
		_, err := c.CreateMembership(ctx, token, "spaces/"+loadSpace, &chat.Membership{Member: &chat.User{Name: member, Type: "HUMAN"}})
		return err
	}, nil
}
