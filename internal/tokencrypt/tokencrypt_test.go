package tokencrypt

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestBoundToUser(t *testing.T) {
	h, err := NewKeyset()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Encrypt([]byte("refresh-token"), "users/1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("refresh-token")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	if pt, err := c.Decrypt(ct, "users/1"); err != nil || string(pt) != "refresh-token" {
		t.Fatalf("decrypt: %q %v", pt, err)
	}
	if _, err := c.Decrypt(ct, "users/2"); err == nil {
		t.Fatal("a ciphertext decrypted for another user")
	}
}

func TestRotateKeepsOldCiphertexts(t *testing.T) {
	h, _ := NewKeyset()
	old, _ := New(h)
	ct, _ := old.Encrypt([]byte("x"), "users/1")
	rotated, err := Rotate(h)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.KeysetInfo().GetPrimaryKeyId() == h.KeysetInfo().GetPrimaryKeyId() || len(rotated.KeysetInfo().GetKeyInfo()) != 2 {
		t.Fatalf("rotation did not add a new primary: %v", rotated.KeysetInfo())
	}
	c, _ := New(rotated)
	if pt, err := c.Decrypt(ct, "users/1"); err != nil || string(pt) != "x" {
		t.Fatalf("old ciphertext after rotation: %v", err)
	}
	fresh, _ := c.Encrypt([]byte("x"), "users/1")
	if _, err := old.Decrypt(fresh, "users/1"); err == nil {
		t.Fatal("new ciphertext not under the new primary key")
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keyset.json")
	h1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", info.Mode(), err)
	}
	h2, created, err := LoadOrCreate(path)
	if err != nil || created || h2.KeysetInfo().GetPrimaryKeyId() != h1.KeysetInfo().GetPrimaryKeyId() {
		t.Fatalf("reload: %v %v", created, err)
	}
	rotated, _ := Rotate(h2)
	if err := WriteFile(path, rotated, nil); err != nil {
		t.Fatal(err)
	}
	h3, err := ReadFile(path, nil)
	if err != nil || h3.KeysetInfo().GetPrimaryKeyId() != rotated.KeysetInfo().GetPrimaryKeyId() {
		t.Fatalf("rotated file: %v", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("rotated file mode %v", info.Mode())
	}
}
