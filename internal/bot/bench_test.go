package bot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	chat "google.golang.org/api/chat/v1"

	"github.com/chatinvite/invitebot/internal/chatapi"
	"github.com/chatinvite/invitebot/internal/logging"
)

// fakeMembers answers every create at once, so a benchmark measures the
// bot's own work per event.
type fakeMembers struct{}

func (fakeMembers) CreateMembership(_ context.Context, _, space string, m *chat.Membership) (*chat.Membership, error) {
	return &chat.Membership{Name: space + "/members/x", State: "JOINED", Member: &chat.User{Name: m.Member.Name, DisplayName: "Someone", Type: "HUMAN"}}, nil
}

func (fakeMembers) DeleteMembership(context.Context, string, string) (*chat.Membership, error) {
	return &chat.Membership{}, nil
}

func (fakeMembers) GetMembership(context.Context, string, string) (*chat.Membership, error) {
	return &chat.Membership{Role: "ROLE_MANAGER"}, nil
}

func (fakeMembers) ListMembers(context.Context, string, string, chatapi.ListOptions, func(*chat.Membership) error) error {
	return nil
}

// BenchmarkInviteEvent is one signed /invite of one new person through the
// whole handler (verification with a reused token, decoding, parsing, the
// consented user's cached token, the remembered result, the card, the
// reply, both log lines at info to a discarding writer), with the Chat API
// call faked: the bot's own work per event. Google's quota is lifted, as
// the load harness lifts it: past 300 events the pacer would otherwise
// wait for the next window, which is Google's limit, not the bot's work.
func BenchmarkInviteEvent(b *testing.B) {
	h := startBotWith(b, map[string]string{"QUOTA_MEMBERSHIP_WRITES_PER_MINUTE": "1000000", "QUOTA_SPACE_WRITES_PER_MINUTE": "1000000"},
		Deps{Members: fakeMembers{}, Logger: logging.New(io.Discard, slog.LevelInfo)})
	h.grant(alice)
	token := "Bearer " + h.emu.ChatToken(h.cfg.ChatAudience)
	handler := h.bot.Handler()
	bodies := make([][]byte, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Building the event and the request is Chat's work, not the bot's.
		b.StopTimer()
		if len(bodies) <= i {
			bodies = append(bodies, chatEvent{User: alice, Space: "AAA", Args: fmt.Sprintf(" p%d@example.com", i),
				Message: fmt.Sprintf("spaces/AAA/messages/bench-%d-%d", time.Now().UnixNano(), i)}.JSON())
		}
		req := httptest.NewRequest(http.MethodPost, "/chat/events", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", token)
		rec := httptest.NewRecorder()
		b.StartTimer()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"1 added"`)) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		i++
	}
}
