package config

import (
	"bytes"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"BOT_BASE_URL": "https://invite.example.com/", "GOOGLE_OAUTH_CLIENT_ID": "id", "GOOGLE_OAUTH_CLIENT_SECRET": "s"}), testCommands)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.BaseURL.String() != "https://invite.example.com" || c.ChatAudience != "https://invite.example.com/chat/events" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.HistoryDays != 30 {
		t.Fatalf("INVITE_HISTORY_DAYS defaults to %d", c.HistoryDays)
	}
	if c.UndoHours != 24 {
		t.Fatalf("INVITE_UNDO_HOURS defaults to %d", c.UndoHours)
	}
	if c.InviteConfirmOver != 100 {
		t.Fatalf("INVITE_CONFIRM_OVER defaults to %d", c.InviteConfirmOver)
	}
	if c.CommandIDs[1] != "invite" || c.CommandIDs[2] != "help" || c.CommandIDs[3] != "logout" {
		t.Fatalf("command ids: %v", c.CommandIDs)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"PORT":                   "eighty",
		"BOT_BASE_URL":           "http://invite.example.com",
		"CHAT_ADDON_SIGNER":      "someone@example.com",
		"GOOGLE_EMULATOR_URL":    "ftp://x",
		"COMMAND_IDS":            "1=invite,x=help",
		"LOG_LEVEL":              "loud",
		"DATABASE_URL":           "postgres://db/x",
		"TOKEN_KEYSET_KMS_KEY":   "aws-kms://x",
		"INVITE_REPLY":           "loud",
		"INVITE_MAX_TARGETS":     "50000",
		"INVITE_ALLOWED_DOMAINS": "example.com, not a domain",
		"INVITE_REQUIRE_MANAGER": "sometimes",
		"DEBUG_ADDR":             "0.0.0.0:6060",
	}), testCommands)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"PORT", "BOT_BASE_URL", "CHAT_ADDON_SIGNER", "GOOGLE_EMULATOR_URL", "COMMAND_IDS", "LOG_LEVEL",
		"GOOGLE_OAUTH_CLIENT_ID", "GOOGLE_OAUTH_CLIENT_SECRET", "TOKEN_KEYSET_FILE", "TOKEN_KEYSET_KMS_KEY",
		"INVITE_REPLY", "INVITE_MAX_TARGETS", "INVITE_ALLOWED_DOMAINS", "INVITE_REQUIRE_MANAGER", "DEBUG_ADDR"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s:\n%v", name, err)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://invite.example.com": true,
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"http://[::1]:8080":          true,
		"http://invite.example.com":  false,
		"https://x.example.com/path": false,
		"invite.example.com":         false,
		"":                           false,
		"https://u:p@x.example.com":  false,
	} {
		if _, err := ParseBaseURL(raw); (err == nil) != ok {
			t.Errorf("ParseBaseURL(%q) err = %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestMissingBaseURLRefusesToStart(t *testing.T) {
	if _, err := Load(env(nil), testCommands); err == nil || !strings.Contains(err.Error(), "BOT_BASE_URL") {
		t.Fatalf("err = %v, want BOT_BASE_URL required", err)
	}
}

func TestCommandIDs(t *testing.T) {
	m, err := ParseCommandIDs(" 5=/invite , 9=HELP", testCommands)
	if err != nil || m[5] != "invite" || m[9] != "help" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"1=dance", "0=help", "1=help,1=invite", "help"} {
		if _, err := ParseCommandIDs(bad, testCommands); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestEmulatorMustBeLocal: the bot trusts the emulator's keys, so a remote
// one is refused unless explicitly allowed.
func TestEmulatorMustBeLocal(t *testing.T) {
	base := map[string]string{"BOT_BASE_URL": "https://invite.example.com", "GOOGLE_OAUTH_CLIENT_ID": "id", "GOOGLE_OAUTH_CLIENT_SECRET": "s"}
	for _, tc := range []struct {
		url, allow string
		ok         bool
	}{
		{"http://127.0.0.1:9000", "", true},
		{"http://localhost:9000", "", true},
		{"http://[::1]:9000", "", true},
		{"http://emulator.internal:9000", "", false},
		{"https://203.0.113.7", "", false},
		{"http://emulator.internal:9000", "true", true},
		{"http://127.0.0.1:9000", "maybe", false},
	} {
		vars := map[string]string{"GOOGLE_EMULATOR_URL": tc.url, "GOOGLE_EMULATOR_ALLOW_REMOTE": tc.allow}
		for k, v := range base {
			vars[k] = v
		}
		if _, err := Load(env(vars), testCommands); (err == nil) != tc.ok {
			t.Errorf("%s allow=%q: err %v, want ok=%v", tc.url, tc.allow, err, tc.ok)
		}
	}
}

var testCommands = []string{"help", "invite", "logout", "remove"}

func TestUsageListsEverySetting(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	for _, s := range Settings {
		if !strings.Contains(b.String(), s.Name) {
			t.Errorf("usage lacks %s", s.Name)
		}
	}
}

// TestEverySettingChecked: settings that cannot work, or are meaningless
// together, are refused before the bot starts.
func TestEverySettingChecked(t *testing.T) {
	base := map[string]string{"BOT_BASE_URL": "https://invite.example.com", "GOOGLE_OAUTH_CLIENT_ID": "id", "GOOGLE_OAUTH_CLIENT_SECRET": "s"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" = accepted
	}{
		{"audience URL", map[string]string{"CHAT_AUDIENCE": "https://invite.example.com/chat/events"}, ""},
		{"audience project number", map[string]string{"CHAT_AUDIENCE": "123456789012"}, ""},
		{"audience not a URL", map[string]string{"CHAT_AUDIENCE": "not a url"}, "CHAT_AUDIENCE"},
		{"audience plain http", map[string]string{"CHAT_AUDIENCE": "http://invite.example.com/chat/events"}, "CHAT_AUDIENCE"},
		{"add-on signer in project-number mode", map[string]string{"CHAT_AUDIENCE": "123456789012",
			"CHAT_ADDON_SIGNER": "service-1@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"}, "CHAT_ADDON_SIGNER"},
		{"keyset twice", map[string]string{"TOKEN_KEYSET": "{}", "TOKEN_KEYSET_FILE": "k.json"}, "TOKEN_KEYSET"},
		{"PostgreSQL with a keyset from Secret Manager", map[string]string{"DATABASE_URL": "postgres://db/x", "TOKEN_KEYSET": "{}"}, ""},
		{"Cloud Run with SQLite", map[string]string{"K_SERVICE": "invite"}, "DATABASE_URL: required on Cloud Run"},
		{"a Cloud Run job (bot doctor's) with SQLite", map[string]string{"CLOUD_RUN_JOB": "invite-doctor"}, "DATABASE_URL: required on Cloud Run"},
		{"App Engine with SQLite", map[string]string{"GAE_SERVICE": "default"}, "DATABASE_URL: required on Cloud Run"},
		{"Cloud Run, SQLite on the instance's disk", map[string]string{"K_SERVICE": "invite", "BOT_DATA_DIR": t.TempDir()}, "not a mounted volume"},
		{"Cloud Run, SQLite on a mounted volume", map[string]string{"K_SERVICE": "invite", "BOT_DATA_DIR": "/"}, ""},
		{"Cloud Run with PostgreSQL", map[string]string{"K_SERVICE": "invite", "DATABASE_URL": "postgres://db/x", "TOKEN_KEYSET_FILE": "k.json"}, ""},
		{"history kept no time, without Undo", map[string]string{"INVITE_HISTORY_DAYS": "0", "INVITE_UNDO_HOURS": "0"}, ""},
		{"history kept no time, Undo for a day", map[string]string{"INVITE_HISTORY_DAYS": "0"}, "INVITE_UNDO_HOURS=24 is longer than INVITE_HISTORY_DAYS=0"},
		{"undo as long as the history", map[string]string{"INVITE_HISTORY_DAYS": "2", "INVITE_UNDO_HOURS": "48"}, ""},
		{"undo longer than the history", map[string]string{"INVITE_HISTORY_DAYS": "2", "INVITE_UNDO_HOURS": "49"}, "INVITE_HISTORY_DAYS=3"},
		{"undo negative", map[string]string{"INVITE_UNDO_HOURS": "-1"}, "INVITE_UNDO_HOURS"},
		{"undo not a number", map[string]string{"INVITE_UNDO_HOURS": "1d"}, "INVITE_UNDO_HOURS"},
		{"history of a year", map[string]string{"INVITE_HISTORY_DAYS": "365"}, ""},
		{"history negative", map[string]string{"INVITE_HISTORY_DAYS": "-1"}, "INVITE_HISTORY_DAYS"},
		{"history not a number", map[string]string{"INVITE_HISTORY_DAYS": "30d"}, "INVITE_HISTORY_DAYS"},
		{"no confirmation", map[string]string{"INVITE_CONFIRM_OVER": "0"}, ""},
		{"confirmation negative", map[string]string{"INVITE_CONFIRM_OVER": "-1"}, "INVITE_CONFIRM_OVER"},
		{"confirmation not a number", map[string]string{"INVITE_CONFIRM_OVER": "lots"}, "INVITE_CONFIRM_OVER"},
	} {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range tc.env {
			vars[k] = v
		}
		_, err := Load(env(vars), testCommands)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want it to name %s", tc.name, err, tc.want)
		}
	}
}
