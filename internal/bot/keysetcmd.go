package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// keysetUsage lists the keyset subcommands.
const keysetUsage = `Usage: bot keyset new -file PATH      write a new token keyset (JSON) to a new file PATH, mode 0600
       bot keyset new                 print a new token keyset on standard output
       bot keyset rotate [-file PATH]  add a new primary key to the keyset file (TOKEN_KEYSET_FILE, or PATH);
                                       old grants still decrypt
       bot keyset prune [-file PATH]   remove every key but the primary: grants sealed with the others can no
                                       longer be opened (their users are asked to consent again)
With TOKEN_KEYSET_KMS_KEY the keyset is read and written encrypted by that Cloud KMS key.`

// keysetCommand runs "bot keyset new" (write a new keyset to a file only its
// owner reads, or print it) or "bot keyset
// rotate" (add a new primary key to the keyset file it is told: it never
// guesses which file holds the keys that seal every grant).
func keysetCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, keysetUsage)
		return nil
	}
	var file string
	switch {
	case len(args) == 1 && args[0] == "new":
	case len(args) == 3 && args[0] == "new" && (args[1] == "-file" || args[1] == "--file") && args[2] != "":
		file = args[2]
	case len(args) == 1 && (args[0] == "rotate" || args[0] == "prune"):
	case len(args) == 3 && (args[0] == "rotate" || args[0] == "prune") && (args[1] == "-file" || args[1] == "--file") && args[2] != "":
		file = args[2]
	default:
		fmt.Fprintln(stderr, keysetUsage)
		return fmt.Errorf("%w: keyset %s", ErrUsage, strings.Join(args, " "))
	}
	cfg, err := config.LoadKeyset(getenv)
	if err != nil {
		return err
	}
	master, err := masterKey(ctx, cfg.KeysetKMSKey, endpoints.For(cfg.EmulatorURL), endpoints.Client(20*time.Second))
	if err != nil {
		return err
	}
	if args[0] == "new" {
		h, err := tokencrypt.NewKeyset()
		if err != nil {
			return err
		}
		if file == "" {
			return tokencrypt.Write(stdout, h, master)
		}
		return writeNewKeyset(file, h, master, stdout)
	}
	path := file
	if path == "" {
		path = cfg.KeysetFile
	}
	if path == "" {
		return fmt.Errorf("keyset %s: which keyset? Set TOKEN_KEYSET_FILE or pass -file PATH (the bot generates %s beside its SQLite store)",
			args[0], filepath.Join(cfg.DataDir, GeneratedKeysetName))
	}
	h, err := tokencrypt.ReadFile(path, master)
	if err != nil {
		return err
	}
	if args[0] == "prune" {
		return pruneKeyset(path, h, master, stdout)
	}
	rotated, err := tokencrypt.Rotate(h)
	if err != nil {
		return err
	}
	if err := tokencrypt.WriteFile(path, rotated, master); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rotated %s: new primary key %d; %d keys in all. Restart the bot instances to encrypt with it.\n",
		path, rotated.KeysetInfo().GetPrimaryKeyId(), len(rotated.KeysetInfo().GetKeyInfo()))
	return nil
}

// writeNewKeyset writes a new keyset to path, readable by its owner only. It
// never replaces a file: an existing one may hold the keys of every grant.
func writeNewKeyset(path string, h *keyset.Handle, master tokencrypt.MasterKey, stdout io.Writer) error {
	var buf bytes.Buffer
	if err := tokencrypt.Write(&buf, h, master); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("keyset new: %s exists; it may hold the keys of every grant, so it is left as it is (choose another path)", path)
	}
	if err != nil {
		return fmt.Errorf("keyset new: %w", err)
	}
	// Exactly 0600 whatever the umask, so the owner can also rotate it.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keyset new: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keyset new: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("keyset new: %w", err)
	}
	fmt.Fprintf(stdout, "Wrote a new keyset to %s (mode 0600).\n", path)
	return nil
}

// pruneKeyset keeps only the primary key: the last step of a rotation, once
// every grant still in use has been sealed again with the new key.
func pruneKeyset(path string, h *keyset.Handle, master tokencrypt.MasterKey, stdout io.Writer) error {
	info := h.KeysetInfo()
	m := keyset.NewManagerFromHandle(h)
	removed := 0
	for _, k := range info.GetKeyInfo() {
		if k.GetKeyId() == info.GetPrimaryKeyId() {
			continue
		}
		if err := m.Delete(k.GetKeyId()); err != nil {
			return fmt.Errorf("keyset prune: remove key %d: %w", k.GetKeyId(), err)
		}
		removed++
	}
	pruned, err := m.Handle()
	if err != nil {
		return fmt.Errorf("keyset prune: %w", err)
	}
	if removed > 0 {
		if err := tokencrypt.WriteFile(path, pruned, master); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Pruned %s: removed %d old keys; primary key %d kept. Restart the bot instances to use it.\n",
		path, removed, info.GetPrimaryKeyId())
	return nil
}
