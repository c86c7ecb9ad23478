package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/logging"
)

// Dispatcher answers a verified, decoded event. It turns its own failures
// into a Reply a person can read: the handler has nothing better to say.
type Dispatcher interface {
	Dispatch(ctx context.Context, ev *Event) Reply
}

// Handler serves Chat's POSTs: verify, then decode, then dispatch, then
// encode the reply in the event's shape. endpoint is the app's endpoint URL
// as configured in Chat, which add-on card buttons must name.
func Handler(v *Verifier, d Dispatcher, endpoint string) http.Handler {
	// One line per rejected request, sampled under a flood.
	rejections := logging.NewSampler(5, 20)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		log := logging.From(ctx)
		token, err := BearerToken(r)
		if err == nil {
			err = v.Verify(ctx, token)
		}
		if err != nil {
			// Answer now and drop the connection: an unverified caller's
			// body is never read, and the server must not wait for it.
			w.Header().Set("Connection", "close")
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			status, level, msg := http.StatusUnauthorized, slog.LevelWarn, "rejected chat request"
			if errors.Is(err, jwks.ErrUnavailable) {
				status, level, msg = http.StatusServiceUnavailable, slog.LevelError, "could not fetch Google's signing keys, so no Chat request can be verified"
			}
			if ok, dropped := rejections.Allow(v.now()); ok {
				attrs := []slog.Attr{slog.String("check", err.Error()), slog.String("remote", r.RemoteAddr)}
				if dropped > 0 {
					attrs = append(attrs, slog.Int64("similar_lines_dropped_before", dropped))
				}
				log.LogAttrs(ctx, level, msg, attrs...)
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read request body", http.StatusBadRequest)
			return
		}
		ev, err := Decode(body)
		if err != nil {
			log.Warn("undecodable chat event", "error", err.Error())
			http.Error(w, "malformed event", http.StatusBadRequest)
			return
		}
		ev.endpoint = endpoint
		out, err := Encode(ev, d.Dispatch(ctx, ev))
		if err != nil {
			log.Error("encode reply", "error", err.Error())
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(out)
	})
}
