package events

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/chatinvite/invitebot/internal/logging"
)

// Dispatcher answers a verified, decoded event. It turns its own failures
// into a Reply a person can read: the handler has nothing better to say.
type Dispatcher interface {
	Dispatch(ctx context.Context, ev *Event) Reply
}

// Handler serves Chat's POSTs: verify, then decode, then dispatch, then
// encode the reply in the event's shape.
func Handler(v *Verifier, d Dispatcher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		log := logging.From(ctx)
		token, err := BearerToken(r)
		if err == nil {
			err = v.Verify(ctx, token)
		}
		if err != nil {
			log.Warn("rejected chat request", "check", err.Error())
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := readBody(r)
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
		buf := replyBuffers.Get().(*[]byte)
		defer replyBuffers.Put(buf)
		out, err := appendReply((*buf)[:0], ev, d.Dispatch(ctx, ev))
		if err != nil {
			log.Error("encode reply", "error", err.Error())
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if cap(out) <= maxPooledReply {
			*buf = out
		}
		w.Header()["Content-Type"] = jsonContentType
		_, _ = w.Write(out)
	})
}

// jsonContentType is shared by every reply; net/http only reads it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// replyBuffers hold replies while they are written: the bytes are not
// needed once the response has them.
var replyBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledReply = 64 << 10

// readBody reads the request body, sized by Content-Length when it is given
// (the server's MaxBytesReader still bounds it).
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= 1<<20 {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(r.Body)
}
