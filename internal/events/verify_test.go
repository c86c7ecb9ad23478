package events

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestTokenHashIsSHA256(t *testing.T) {
	for _, tok := range []string{"", "a", strings.Repeat("eyJ.", 300)} {
		if tokenHash(tok) != sha256.Sum256([]byte(tok)) {
			t.Fatalf("tokenHash(%q) is not its SHA-256", tok)
		}
	}
}
