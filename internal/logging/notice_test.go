package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// TestNoticeSeverity: LevelNotice is written as Cloud Logging's NOTICE,
// and passes a logger set to info.
func TestNoticeSeverity(t *testing.T) {
	var b bytes.Buffer
	New(&b, slog.LevelInfo).Log(context.Background(), LevelNotice, "audited")
	var entry map[string]any
	if err := json.Unmarshal(b.Bytes(), &entry); err != nil {
		t.Fatalf("%v: %q", err, b.String())
	}
	if entry["severity"] != "NOTICE" {
		t.Fatalf("severity %v", entry["severity"])
	}
}
