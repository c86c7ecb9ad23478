package bot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/storage/storagetest"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// logoutEvent is /logout from p, a fresh message each time.
func logoutEvent(p emulator.Person) []byte {
	return chatEvent{User: p, Space: "AAA", Command: "/logout"}.JSON()
}

func TestLogout(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	r := h.sendEvent(logoutEvent(alice))
	if !strings.Contains(r.msg.Text, "revoked it at Google") || r.msg.PrivateMessageViewer == nil {
		t.Fatalf("reply %s", r.raw)
	}
	if h.hasGrant("users/"+alice.ID) || h.emu.ActiveGrants(alice.Email) != 0 {
		t.Fatal("grant still there")
	}
	if r := h.sendEvent(logoutEvent(alice)); !strings.Contains(r.msg.Text, "nothing to remove") {
		t.Fatalf("second logout: %s", r.raw)
	}
	// The next /invite asks for consent again.
	if h.invite(alice, "AAA", " dave@example.com").configURL() == "" {
		t.Fatal("no consent prompt after logout")
	}
}

func TestLogoutWhenGoogleFails(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	h.emu.FailRevoke(true)
	r := h.sendEvent(logoutEvent(alice))
	if !strings.Contains(r.msg.Text, "could not be reached") {
		t.Fatalf("reply %s", r.raw)
	}
	if h.hasGrant("users/" + alice.ID) {
		t.Fatal("grant kept after a failed revoke")
	}
}

// postgresEnv is the settings of a bot on a fresh PostgreSQL database with a
// keyset file of its own, which every instance of the test shares.
func postgresEnv(t *testing.T) map[string]string {
	t.Helper()
	dbURL := storagetest.PostgresURL(t)
	keyset := filepath.Join(t.TempDir(), "keyset.json")
	h0, err := tokencrypt.NewKeyset()
	if err != nil {
		t.Fatal(err)
	}
	if err := tokencrypt.WriteFile(keyset, h0, nil); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"DATABASE_URL": dbURL, "TOKEN_KEYSET_FILE": keyset}
}

// TestTwoInstancesOnPostgres: consent through one instance, the re-sent
// /invite served by the other, sharing one PostgreSQL database and keyset.
func TestTwoInstancesOnPostgres(t *testing.T) {
	one := startBot(t, postgresEnv(t))
	// The second instance shares the emulator, clock, base URL and store.
	two := one.restart()

	ev := chatEvent{User: alice, Space: "AAA", Args: " dave@example.com", Message: "spaces/AAA/messages/pg"}.JSON()
	link := one.sendEvent(ev).configURL()
	if link == "" {
		t.Fatal("no prompt")
	}
	if v := one.consent(browser(t), link, emulator.Consent{Account: alice.Email}); v.location != configURL {
		t.Fatalf("consent: %d %s", v.status, v.body)
	}
	one.srv.Config.Handler = two.Handler()
	if got := one.sendEvent(ev).subtitle(t); got != "1 added" {
		t.Fatalf("second instance: %q", got)
	}
	tok, err := two.Auth.AccessToken(context.Background(), "users/"+alice.ID, inviteScopes)
	if err != nil || tok == "" {
		t.Fatalf("second instance token: %v", err)
	}
}

func TestPostgresRefusesToStartWithoutKeyset(t *testing.T) {
	err := Main(context.Background(), nil, func(k string) string {
		return map[string]string{"BOT_BASE_URL": "http://127.0.0.1:1", "GOOGLE_OAUTH_CLIENT_ID": "x", "GOOGLE_OAUTH_CLIENT_SECRET": "y",
			"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}[k]
	}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "TOKEN_KEYSET_FILE") {
		t.Fatalf("err = %v", err)
	}
}

// TestKeysetRotation: "bot keyset rotate" adds a primary key; grants sealed
// with the old key still work and are re-sealed with the new one when next
// written.
func TestKeysetRotation(t *testing.T) {
	h := startBot(t, nil)
	h.grant(alice)
	ctx := context.Background()
	path := filepath.Join(h.cfg.DataDir, GeneratedKeysetName)
	before, err := tokencrypt.ReadFile(path, nil)
	if err != nil {
		t.Fatalf("the generated keyset is not where it should be: %v", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("generated keyset mode %v", info.Mode())
	}
	var out bytes.Buffer
	env := map[string]string{"BOT_DATA_DIR": h.cfg.DataDir}
	// It refuses to guess which file holds the keys.
	if err := Main(ctx, []string{"keyset", "rotate"}, func(k string) string { return env[k] }, &out, &out); err == nil || !strings.Contains(err.Error(), "TOKEN_KEYSET_FILE") {
		t.Fatalf("rotate without a file: %v", err)
	}
	if err := Main(ctx, []string{"keyset", "rotate", "-file", path}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Rotated "+path) {
		t.Fatalf("does not name the file it rotated: %s", out.String())
	}
	after, _ := tokencrypt.ReadFile(path, nil)
	if after.KeysetInfo().GetPrimaryKeyId() == before.KeysetInfo().GetPrimaryKeyId() {
		t.Fatal("no new primary key")
	}
	old, _ := h.bot.DB.GetGrant(ctx, "users/"+alice.ID)
	b := h.restart()
	h.srv.Config.Handler = b.Handler()
	if got := h.invite(alice, "AAA", " dave@example.com").subtitle(t); got != "1 added" {
		t.Fatalf("old grant after rotation: %q", got)
	}
	h.clock.Advance(emulator.AccessTokenLifetime) // the next use refreshes, so writes the row
	if _, err := b.Auth.AccessToken(ctx, "users/"+alice.ID, inviteScopes); err != nil {
		t.Fatal(err)
	}
	fresh, _ := b.DB.GetGrant(ctx, "users/"+alice.ID)
	if keyID(fresh.RefreshToken) != after.KeysetInfo().GetPrimaryKeyId() || keyID(old.RefreshToken) != before.KeysetInfo().GetPrimaryKeyId() {
		t.Fatalf("refresh token sealed with key %d, want the new primary %d", keyID(fresh.RefreshToken), after.KeysetInfo().GetPrimaryKeyId())
	}
}

// keyID reads the key id in a Tink ciphertext's 5-byte prefix.
func keyID(ct []byte) uint32 {
	if len(ct) < 5 {
		return 0
	}
	return uint32(ct[1])<<24 | uint32(ct[2])<<16 | uint32(ct[3])<<8 | uint32(ct[4])
}

// TestKMSEncryptedKeyset: "bot keyset new" with TOKEN_KEYSET_KMS_KEY writes a
// keyset only Cloud KMS (here the emulator's) can open, and the bot runs on it.
func TestKMSEncryptedKeyset(t *testing.T) {
	h := startBot(t, nil)
	kmsKey := "gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/k"
	env := map[string]string{"GOOGLE_EMULATOR_URL": h.emu.URL(), "TOKEN_KEYSET_KMS_KEY": kmsKey}
	var out, errs bytes.Buffer
	if err := Main(context.Background(), []string{"keyset", "new"}, func(k string) string { return env[k] }, &out, &errs); err != nil {
		t.Fatalf("keyset new: %v %s", err, errs.String())
	}
	if !strings.Contains(out.String(), "encryptedKeyset") {
		t.Fatalf("not an encrypted keyset: %s", out.String())
	}
	path := filepath.Join(t.TempDir(), "keyset.json")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tokencrypt.ReadFile(path, nil); err == nil {
		t.Fatal("an encrypted keyset opened without KMS")
	}
	cfg := *h.cfg
	cfg.KeysetFile, cfg.KeysetKMSKey = path, kmsKey
	b, err := New(context.Background(), &cfg, h.deps)
	if err != nil {
		t.Fatalf("bot on a KMS-encrypted keyset: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	h.bot = b
	h.srv.Config.Handler = b.Handler()
	h.grant(alice)
	if got := h.invite(alice, "AAA", " dave@example.com").subtitle(t); got != "1 added" {
		t.Fatalf("invite: %q", got)
	}

	wrong := cfg
	wrong.KeysetKMSKey = "gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/other"
	if _, err := New(context.Background(), &wrong, h.deps); err == nil {
		t.Fatal("the keyset opened with another KMS key")
	}
}
