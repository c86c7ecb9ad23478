// Package httpserver runs the bot's HTTP server: timeouts, a body cap, panic
// recovery, request logs for Cloud Logging, and a graceful stop.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/chatinvite/invitebot/internal/logging"
)

// MaxBodyBytes caps every request body; a larger body answers 413.
const MaxBodyBytes = 1 << 20

// ShutdownGrace is how long in-flight requests get after a stop signal:
// Cloud Run and App Engine allow 10 s after SIGTERM.
const ShutdownGrace = 9 * time.Second

// New returns a server for handler with timeouts suited to Chat's 30 s limit.
func New(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      35 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves on ln until ctx ends, then stops accepting and waits up to
// ShutdownGrace for in-flight requests.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Middleware wraps next with the body cap, panic recovery and request logs:
// a line per server error (5xx), and per request at debug level. A 4xx is
// the handler's to log: it knows why it refused, and one line per refused
// request is enough.
// project is the Cloud project id used to format trace ids ("" if unknown).
func Middleware(next http.Handler, logger *slog.Logger, project string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqLog := logger
		ctx := r.Context()
		if trace := logging.TraceField(r.Header.Get("X-Cloud-Trace-Context"), project); trace != "" {
			reqLog = logger.With(logging.TraceKey, trace)
			ctx = logging.WithTrace(ctx, trace)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
		r = r.WithContext(logging.With(ctx, reqLog))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				reqLog.Error("handler panicked", "panic", fmt.Sprint(p), "path", r.URL.Path)
				if !rec.wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			// App Engine and Cloud Run log every request already: the
			// app's own line is for failures, or everything at debug.
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelError
			}
			if !reqLog.Enabled(r.Context(), level) {
				return
			}
			reqLog.LogAttrs(r.Context(), level, "request", slog.Attr{Key: "httpRequest", Value: slog.GroupValue(
				slog.String("requestMethod", r.Method),
				slog.String("requestUrl", r.URL.Path),
				slog.Int("status", rec.status),
				slog.String("latency", strconv.FormatFloat(time.Since(start).Seconds(), 'f', 6, 64)+"s"),
				slog.String("userAgent", r.UserAgent()),
			)})
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.wrote = true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
