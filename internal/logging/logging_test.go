package logging

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestFromNeverFallsBackToTheDefault: a context without the bot's logger
// logs nothing, rather than plain text through slog's default logger at
// whatever level; a context with one logs through it.
func TestFromNeverFallsBackToTheDefault(t *testing.T) {
	var def bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	From(context.Background()).Error("lost")
	if def.Len() != 0 {
		t.Fatalf("logged through slog's default: %s", def.String())
	}
	var own bytes.Buffer
	From(With(context.Background(), New(&own, slog.LevelWarn))).Info("below the level")
	From(With(context.Background(), New(&own, slog.LevelWarn))).Warn("kept")
	if got := own.String(); strings.Contains(got, "below the level") || !strings.Contains(got, `"severity":"WARNING"`) || def.Len() != 0 {
		t.Fatalf("the carried logger wrote %q (default %q)", got, def.String())
	}
}
