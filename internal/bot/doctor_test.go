package bot

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/emulator"
	"github.com/chatinvite/invitebot/internal/storage/storagetest"
)

// runDoctor runs "bot doctor" against an emulator with the harness's
// settings plus env, and returns its output.
func runDoctor(t *testing.T, env map[string]string) (string, error) {
	t.Helper()
	h := startBot(t, nil)
	vars := map[string]string{
		"BOT_BASE_URL": h.cfg.BaseURL.String(), "GOOGLE_EMULATOR_URL": h.emu.URL(),
		"GOOGLE_OAUTH_CLIENT_ID": testClientID, "GOOGLE_OAUTH_CLIENT_SECRET": testClientSecret, "BOT_DATA_DIR": h.cfg.DataDir,
	}
	for k, v := range env {
		if v == "" {
			delete(vars, k)
			continue
		}
		vars[k] = v
	}
	var out bytes.Buffer
	err := Main(context.Background(), []string{"doctor"}, func(k string) string { return vars[k] }, &out, &out)
	return out.String(), err
}

// TestDoctor: one line per check, a fix for each failure, non-zero exit on
// any; then what to paste into the console.
func TestDoctor(t *testing.T) {
	out, err := runDoctor(t, nil)
	// The harness serves plain http on loopback: the one thing it flags.
	if !errors.Is(err, ErrDoctorFound) || strings.Count(out, "FAIL") != 1 || !strings.Contains(out, "FAIL  BOT_BASE_URL") {
		t.Fatalf("err %v\n%s", err, out)
	}
	for _, want := range []string{
		"skip  app credentials: none",
		"ok    settings", "ok    database", "ok    token keyset", "ok    OAuth client", "ok    Google's keys",
		"HTTP endpoint URL   http://127.0.0.1", "id 1   /invite", "id 3   /logout", "leave \"Opens a dialog\" unticked",
		"Authorized redirect URI: http://127.0.0.1", "/oauth2/callback", "openid, https://www.googleapis.com/auth/chat.memberships, https://www.googleapis.com/auth/chat.memberships.app, https://www.googleapis.com/auth/cloud-identity.groups.readonly",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorNamesEachMisconfiguration: every failure it can name, with its fix.
func TestDoctorNamesEachMisconfiguration(t *testing.T) {
	pg := storagetest.PostgresURL(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"invalid settings", map[string]string{"CHAT_AUDIENCE": "not a url", "PORT": "x"},
			[]string{"FAIL  settings: CHAT_AUDIENCE", "FAIL  settings: PORT", "fix: set each as `bot -h` describes"}},
		{"unknown OAuth client", map[string]string{"GOOGLE_OAUTH_CLIENT_SECRET": "wrong"},
			[]string{"FAIL  OAuth client: Google does not know this client id and secret (invalid_client)", "fix: copy GOOGLE_OAUTH_CLIENT_ID"}},
		{"database down", map[string]string{"DATABASE_URL": "postgres://invite:hunter2@127.0.0.1:1/invite?sslmode=disable", "TOKEN_KEYSET_FILE": filepath.Join(t.TempDir(), "k.json")},
			[]string{"FAIL  database: PostgreSQL does not answer", "fix: check DATABASE_URL"}},
		{"keyset missing", map[string]string{"DATABASE_URL": pg, "TOKEN_KEYSET_FILE": filepath.Join(t.TempDir(), "nope.json")},
			[]string{"ok    database", "FAIL  token keyset: the keyset cannot be opened", "fix: check TOKEN_KEYSET_FILE"}},
		{"KMS key unknown", map[string]string{"TOKEN_KEYSET_FILE": filepath.Join(t.TempDir(), "k.json"),
			"TOKEN_KEYSET_KMS_KEY": "gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/nope"},
			[]string{"FAIL  token keyset", "fix: check TOKEN_KEYSET_KMS_KEY"}},
		{"database newer than the binary", map[string]string{"BOT_DATA_DIR": newerStore(t)},
			[]string{"FAIL  database: the database is at schema version 99", "fix: deploy the newer binary"}},
		{"Google unreachable", map[string]string{"GOOGLE_EMULATOR_URL": "http://127.0.0.1:1"},
			[]string{"FAIL  OAuth client: Google's token endpoint cannot be reached", "FAIL  Google's keys", "fix: allow outbound https"}},
		{"project-number mode fetches Chat's keys", map[string]string{"CHAT_AUDIENCE": "123456789012"},
			[]string{"ok    Google's keys (http://127.0.0.1", "/service_accounts/v1/metadata/jwk/chat@system.gserviceaccount.com)", "Authentication audience: Project number  123456789012"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runDoctor(t, tc.env)
			if err == nil {
				t.Fatalf("exit 0:\n%s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "hunter2") {
				t.Fatal("the database password is in the output")
			}
		})
	}
}

// TestDoctorAppCredentials: with a service-account key file, doctor gets a
// chat.bot token through the JWT-bearer grant (here from the emulator), and
// names a key Google does not know.
func TestDoctorAppCredentials(t *testing.T) {
	h := startBot(t, nil)
	key, err := h.emu.AddServiceAccount("invite-bot@invite-prod.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(good, key, 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := emulator.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stranger, _ := other.AddServiceAccount("stranger@elsewhere.iam.gserviceaccount.com")
	// The stranger's key file names this emulator's token endpoint, which
	// does not know the account.
	stranger = bytes.ReplaceAll(stranger, []byte(other.URL()), []byte(h.emu.URL()))
	bad := filepath.Join(t.TempDir(), "stranger.json")
	if err := os.WriteFile(bad, stranger, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"BOT_BASE_URL": h.cfg.BaseURL.String(), "GOOGLE_EMULATOR_URL": h.emu.URL(), "BOT_DATA_DIR": h.cfg.DataDir,
		"GOOGLE_OAUTH_CLIENT_ID": testClientID, "GOOGLE_OAUTH_CLIENT_SECRET": testClientSecret,
	}
	for file, want := range map[string]string{good: "ok    app credentials (a chat.bot token from the key file", bad: "FAIL  app credentials: no chat.bot token"} {
		vars["GOOGLE_APPLICATION_CREDENTIALS"] = file
		var out bytes.Buffer
		_ = Main(context.Background(), []string{"doctor"}, func(k string) string { return vars[k] }, &out, &out)
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: output lacks %q:\n%s", file, want, out.String())
		}
	}
}

// newerStore is a SQLite store a newer version migrated (schema 99).
func newerStore(t *testing.T) string {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY); INSERT INTO schema_migrations VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDoctorSettingsAndDatabaseInOneRound: wrong settings do not stop the
// database check, so one run names every problem; each fix is given once.
func TestDoctorSettingsAndDatabaseInOneRound(t *testing.T) {
	bad := map[string]string{"CHAT_AUDIENCE": "not a url", "PORT": "x"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"database down", map[string]string{"DATABASE_URL": "postgres://invite:hunter2@127.0.0.1:1/invite?sslmode=disable"}, "FAIL  database: PostgreSQL does not answer"},
		{"database fine", nil, "ok    database"},
		{"database newer than the binary", map[string]string{"BOT_DATA_DIR": newerStore(t)}, "FAIL  database: the database is at schema version 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(bad)
			maps.Copy(env, tc.env)
			out, err := runDoctor(t, env)
			if !errors.Is(err, ErrDoctorFound) {
				t.Fatalf("err %v\n%s", err, out)
			}
			for _, want := range []string{"FAIL  settings: CHAT_AUDIENCE", "FAIL  settings: PORT", tc.want} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if n := strings.Count(out, "fix: set each as `bot -h` describes"); n != 1 {
				t.Errorf("the settings fix is given %d times, want once:\n%s", n, out)
			}
			if strings.Contains(out, "hunter2") {
				t.Fatal("the database password is in the output")
			}
		})
	}
}

// TestDoctorSaysWhatSkippingAppCredentialsMeans: without the app's
// credentials, large invitations are refused; the line says so and how to
// give them.
func TestDoctorSaysWhatSkippingAppCredentialsMeans(t *testing.T) {
	out, _ := runDoctor(t, nil)
	for _, want := range []string{
		"skip  app credentials: none", "invitations of more than 20 (people × spaces)", "are refused",
		"fix: on Cloud Run (services and jobs) and App Engine nothing is needed", "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorListsCommandsInOrder: the slash commands to configure come in
// the order of their ids, as the console lists them.
func TestDoctorListsCommandsInOrder(t *testing.T) {
	out, _ := runDoctor(t, map[string]string{"COMMAND_IDS": "3=logout,1=invite,2=help"})
	i1, i2, i3 := strings.Index(out, "id 1   /invite"), strings.Index(out, "id 2   /help"), strings.Index(out, "id 3   /logout")
	if i1 < 0 || i2 < 0 || i3 < 0 || !(i1 < i2 && i2 < i3) {
		t.Fatalf("commands not listed by id (%d, %d, %d):\n%s", i1, i2, i3, out)
	}
}

// TestDoctorWarnsOfAKeysetReadableByOthers: a keyset file other users can
// read is named, with the chmod that fixes it; 0600 passes quietly.
func TestDoctorWarnsOfAKeysetReadableByOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyset.json")
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"keyset", "new", "-file", path}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("keyset new: %v %s", err, out.String())
	}
	got, _ := runDoctor(t, map[string]string{"TOKEN_KEYSET_FILE": path})
	if strings.Contains(got, "warn") || !strings.Contains(got, "ok    token keyset") {
		t.Fatalf("a 0600 keyset is flagged:\n%s", got)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ = runDoctor(t, map[string]string{"TOKEN_KEYSET_FILE": path})
	for _, want := range []string{"warn  token keyset: " + path + " is readable by other users of this machine (mode 0644)", "fix: chmod 600 " + path} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
