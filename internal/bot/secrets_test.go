package bot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// TestSecretsByReference: the OAuth client secret, DATABASE_URL and the
// keyset may come from Secret Manager (sm://…, read from the emulator) or
// from files (NAME_FILE), so none sits in plain text in app.yaml.
func TestSecretsByReference(t *testing.T) {
	emu, err := emulator.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	h, _ := tokencrypt.NewKeyset()
	var keyset bytes.Buffer
	if err := tokencrypt.Write(&keyset, h, nil); err != nil {
		t.Fatal(err)
	}
	emu.AddSecret("invite-prod", "oauth-client-secret", "s3cret-from-secret-manager\n")
	emu.AddSecret("invite-prod", "token-keyset", keyset.String())
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"BOT_BASE_URL": "http://127.0.0.1:8080", "GOOGLE_OAUTH_CLIENT_ID": "id",
		"GOOGLE_EMULATOR_URL": emu.URL(), "BOT_DATA_DIR": t.TempDir()}
	load := func(extra map[string]string) (string, string, error) {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range extra {
			vars[k] = v
		}
		cfg, err := LoadConfig(context.Background(), func(k string) string { return vars[k] })
		if err != nil {
			return "", "", err
		}
		return cfg.OAuthClientSecret, cfg.KeysetJSON, nil
	}

	secret, ks, err := load(map[string]string{
		"GOOGLE_OAUTH_CLIENT_SECRET": "sm://projects/invite-prod/secrets/oauth-client-secret/versions/latest",
		"TOKEN_KEYSET":               "sm://projects/invite-prod/secrets/token-keyset/versions/1",
	})
	if err != nil || secret != "s3cret-from-secret-manager" || ks != strings.TrimRight(keyset.String(), "\n") {
		t.Fatalf("from Secret Manager: %q, keyset %d bytes, %v", secret, len(ks), err)
	}
	if secret, _, err = load(map[string]string{"GOOGLE_OAUTH_CLIENT_SECRET_FILE": secretFile}); err != nil || secret != "s3cret-from-a-file" {
		t.Fatalf("from a file: %q %v", secret, err)
	}
	for name, extra := range map[string]map[string]string{
		"missing secret": {"GOOGLE_OAUTH_CLIENT_SECRET": "sm://projects/invite-prod/secrets/nope/versions/latest"},
		"bad reference":  {"GOOGLE_OAUTH_CLIENT_SECRET": "sm://invite-prod/oauth"},
		"both":           {"GOOGLE_OAUTH_CLIENT_SECRET": "x", "GOOGLE_OAUTH_CLIENT_SECRET_FILE": secretFile},
		"missing file":   {"GOOGLE_OAUTH_CLIENT_SECRET_FILE": "/nonexistent/secret"},
	} {
		_, _, err := load(extra)
		if err == nil || !strings.Contains(err.Error(), "GOOGLE_OAUTH_CLIENT_SECRET") {
			t.Errorf("%s: err %v, want it to name the setting", name, err)
		}
	}

	// A bot runs on the keyset from Secret Manager.
	vars := map[string]string{"GOOGLE_OAUTH_CLIENT_SECRET": "sm://projects/invite-prod/secrets/oauth-client-secret/versions/latest",
		"TOKEN_KEYSET": "sm://projects/invite-prod/secrets/token-keyset/versions/latest"}
	for k, v := range base {
		vars[k] = v
	}
	cfg, err := LoadConfig(context.Background(), func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(context.Background(), cfg, Deps{Logger: logging.Discard()})
	if err != nil {
		t.Fatalf("start on a keyset from Secret Manager: %v", err)
	}
	b.Close()
	if _, err := os.Stat(filepath.Join(base["BOT_DATA_DIR"], GeneratedKeysetName)); err == nil {
		t.Fatal("a keyset was generated although one was given")
	}
}
