package bot

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// keysetCommand runs "bot keyset new" (print a new keyset) or "bot keyset
// rotate" (add a new primary key to TOKEN_KEYSET_FILE, or to the keyset
// generated beside the SQLite store). With TOKEN_KEYSET_KMS_KEY the keyset
// is written encrypted by that Cloud KMS key.
func keysetCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "new" && args[0] != "rotate") {
		fmt.Fprintln(stderr, "Usage: bot keyset new      print a new token keyset (JSON) on standard output\n       bot keyset rotate   add a new primary key to TOKEN_KEYSET_FILE; old tokens still decrypt")
		return ErrUsage
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
		return tokencrypt.Write(stdout, h, master)
	}
	path := cfg.KeysetFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, GeneratedKeysetName)
	}
	h, err := tokencrypt.ReadFile(path, master)
	if err != nil {
		return err
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
