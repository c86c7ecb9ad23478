// Package logging builds the bot's structured logger: log/slog JSON shaped for
// Cloud Logging (severity, message, trace), carried in the request context.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a JSON logger writing Cloud Logging's field names at level.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.MessageKey:
				a.Key = "message"
			case slog.LevelKey:
				a.Key = "severity"
				if lvl, ok := a.Value.Any().(slog.Level); ok {
					a.Value = slog.StringValue(severity(lvl))
				}
			case slog.TimeKey:
				a.Key = "time"
			}
			return a
		},
	}))
}

// LevelNotice is Cloud Logging's NOTICE ("normal but significant events,
// such as start up, shut down, or a configuration change";
// https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#LogSeverity):
// between INFO and WARNING, for what an audit must find.
const LevelNotice = slog.LevelInfo + 2

func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= LevelNotice:
		return "NOTICE"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

// ParseLevel reads a LOG_LEVEL value: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(s)))); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// Discard is a logger that writes nothing, for tests that do not read logs.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type ctxKey struct{}

type traceKey struct{}

// TraceKey is the field Cloud Logging correlates a request's lines by.
const TraceKey = "logging.googleapis.com/trace"

// WithTrace returns ctx carrying the request's trace (TraceField's value),
// so that work the request leaves behind can log under it too.
func WithTrace(ctx context.Context, trace string) context.Context {
	return context.WithValue(ctx, traceKey{}, trace)
}

// Trace is the trace ctx carries, or "".
func Trace(ctx context.Context) string {
	t, _ := ctx.Value(traceKey{}).(string)
	return t
}

// With returns ctx carrying logger.
func With(ctx context.Context, logger *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, logger)
}

// From returns the logger carried by ctx. Every way in (a request, a
// background job) carries the bot's own; a context without one logs
// nothing, rather than writing around LOG_LEVEL and the JSON format
// through slog's default logger.
func From(ctx context.Context) *slog.Logger {
	if l, ok := Carried(ctx); ok {
		return l
	}
	return discard
}

// Carried returns the logger carried by ctx, if there is one.
func Carried(ctx context.Context) (*slog.Logger, bool) {
	l, ok := ctx.Value(ctxKey{}).(*slog.Logger)
	return l, ok && l != nil
}

var discard = Discard()

// TraceField turns an X-Cloud-Trace-Context header ("TRACE/SPAN;o=1") into
// the value Cloud Logging correlates: projects/PROJECT/traces/TRACE, or the
// bare trace id when the project is unknown.
func TraceField(header, project string) string {
	trace, _, _ := strings.Cut(header, "/")
	if trace == "" || len(trace) > 64 {
		return ""
	}
	for _, r := range trace {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return ""
		}
	}
	if project == "" {
		return trace
	}
	return "projects/" + project + "/traces/" + trace
}
