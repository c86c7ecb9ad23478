package bot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// TestKeysetNewWritesAPrivateFile: "bot keyset new -file" writes a keyset
// only its owner can read, whatever the umask, and never replaces a file.
func TestKeysetNewWritesAPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyset.json")
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"keyset", "new", "-file", path}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("keyset new: %v %s", err, out.String())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o, want 0600", fi.Mode().Perm())
	}
	if _, err := tokencrypt.ReadFile(path, nil); err != nil {
		t.Fatalf("the new keyset does not open: %v", err)
	}
	if !strings.Contains(out.String(), path) {
		t.Errorf("output does not name the file: %q", out.String())
	}
	before, _ := os.ReadFile(path)
	out.Reset()
	err = Main(context.Background(), []string{"keyset", "new", "-file", path}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("an existing keyset was not refused: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("an existing keyset was replaced")
	}
}
