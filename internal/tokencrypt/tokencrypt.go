// Package tokencrypt encrypts OAuth grants at rest with a Tink AEAD keyset.
// Each ciphertext is bound to its user's resource name as associated data,
// so a ciphertext copied to another user's row does not decrypt. Keysets
// rotate: new writes use the primary key, old ciphertexts still decrypt.
package tokencrypt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Cipher encrypts and decrypts values bound to a user.
type Cipher struct {
	aead tink.AEAD
}

// New returns a Cipher over handle.
func New(handle *keyset.Handle) (*Cipher, error) {
	a, err := aead.New(handle)
	if err != nil {
		return nil, fmt.Errorf("token keyset: %w", err)
	}
	return &Cipher{aead: a}, nil
}

// Encrypt seals plaintext bound to binding: a user's resource name for a
// grant, or another fixed label for other secrets.
func (c *Cipher) Encrypt(plaintext []byte, binding string) ([]byte, error) {
	ct, err := c.aead.Encrypt(plaintext, associated(binding))
	if err != nil {
		return nil, fmt.Errorf("encrypt for %s: %w", binding, err)
	}
	return ct, nil
}

// Decrypt opens a ciphertext sealed with the same binding.
func (c *Cipher) Decrypt(ciphertext []byte, binding string) ([]byte, error) {
	pt, err := c.aead.Decrypt(ciphertext, associated(binding))
	if err != nil {
		return nil, fmt.Errorf("decrypt for %s: %w", binding, err)
	}
	return pt, nil
}

func associated(binding string) []byte { return []byte("invite-bot/v1/" + binding) }

// MasterKey opens a keyset file that is itself encrypted (by Cloud KMS).
// Nil means the file is a cleartext keyset.
type MasterKey interface {
	tink.AEAD
}

// NewKeyset returns a fresh AES-256-GCM keyset.
func NewKeyset() (*keyset.Handle, error) {
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("new keyset: %w", err)
	}
	return h, nil
}

// Rotate adds a new AES-256-GCM key and makes it primary; the old keys stay
// so existing ciphertexts still decrypt.
func Rotate(h *keyset.Handle) (*keyset.Handle, error) {
	m := keyset.NewManagerFromHandle(h)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("add key: %w", err)
	}
	if err := m.SetPrimary(id); err != nil {
		return nil, fmt.Errorf("set primary: %w", err)
	}
	return m.Handle()
}

// Read reads a JSON keyset, decrypting it with master when it is not nil.
func Read(r io.Reader, master MasterKey) (*keyset.Handle, error) {
	reader := keyset.NewJSONReader(r)
	if master != nil {
		h, err := keyset.Read(reader, master)
		if err != nil {
			return nil, fmt.Errorf("read encrypted keyset: %w", err)
		}
		return h, nil
	}
	h, err := insecurecleartextkeyset.Read(reader)
	if err != nil {
		return nil, fmt.Errorf("read keyset: %w", err)
	}
	return h, nil
}

// Write writes h as JSON, encrypted with master when it is not nil.
func Write(w io.Writer, h *keyset.Handle, master MasterKey) error {
	writer := keyset.NewJSONWriter(w)
	if master != nil {
		if err := h.Write(writer, master); err != nil {
			return fmt.Errorf("write encrypted keyset: %w", err)
		}
		return nil
	}
	if err := insecurecleartextkeyset.Write(h, writer); err != nil {
		return fmt.Errorf("write keyset: %w", err)
	}
	return nil
}

// ReadFile reads a keyset file.
func ReadFile(path string, master MasterKey) (*keyset.Handle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open keyset: %w", err)
	}
	defer f.Close()
	h, err := Read(f, master)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// WriteFile replaces path atomically with h, readable by the owner only.
func WriteFile(path string, h *keyset.Handle, master MasterKey) error {
	var buf bytes.Buffer
	if err := Write(&buf, h, master); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keyset-*")
	if err != nil {
		return fmt.Errorf("write keyset: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write keyset: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write keyset: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write keyset: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write keyset: %w", err)
	}
	return nil
}

// LoadOrCreate reads the keyset at path, or, when the file does not exist,
// creates one there (mode 0600). created reports which happened.
func LoadOrCreate(path string) (h *keyset.Handle, created bool, err error) {
	h, err = ReadFile(path, nil)
	if err == nil {
		return h, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if h, err = NewKeyset(); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create keyset folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // Another instance created it first.
		h, err = ReadFile(path, nil)
		return h, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create keyset: %w", err)
	}
	defer f.Close()
	if err := Write(f, h, nil); err != nil {
		return nil, false, err
	}
	return h, true, f.Sync()
}

// KMSOpener resolves a gcp-kms:// key URI to a master key. It is injected so
// the package does not depend on a Cloud KMS client.
type KMSOpener func(ctx context.Context, keyURI string) (MasterKey, error)
