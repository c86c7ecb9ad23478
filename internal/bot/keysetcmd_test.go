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

// TestKeysetPruneKeepsOnlyThePrimary: after a rotation, prune removes the
// old key: what the new key sealed still opens, what the old one sealed no
// longer does.
func TestKeysetPruneKeepsOnlyThePrimary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyset.json")
	getenv := func(string) string { return "" }
	var out bytes.Buffer
	run := func(args ...string) {
		t.Helper()
		out.Reset()
		if err := Main(context.Background(), args, getenv, &out, &out); err != nil {
			t.Fatalf("%v: %v %s", args, err, out.String())
		}
	}
	run("keyset", "new", "-file", path)
	seal := func() []byte {
		h, err := tokencrypt.ReadFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tokencrypt.New(h)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := c.Encrypt([]byte("grant"), "users/1")
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	opens := func(ct []byte) bool {
		h, err := tokencrypt.ReadFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tokencrypt.New(h)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Decrypt(ct, "users/1")
		return err == nil
	}
	old := seal()
	run("keyset", "rotate", "-file", path)
	current := seal()
	if !opens(old) || !opens(current) {
		t.Fatal("after a rotation both keys must open their grants")
	}
	run("keyset", "prune", "-file", path)
	if !strings.Contains(out.String(), "removed 1 old keys") {
		t.Errorf("output: %q", out.String())
	}
	if opens(old) || !opens(current) {
		t.Fatal("after prune only the primary key opens")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pruned keyset mode: %v %v", fi.Mode(), err)
	}
}
