package config

import (
	"fmt"
	"io"
	"strings"
)

// Setting documents one environment variable.
type Setting struct {
	Name    string
	Default string
	Usage   string
}

// Settings lists every environment variable the bot reads, in the order
// `bot -h` and the README show them.
var Settings = []Setting{
	{"PORT", "8080", "TCP port to listen on."},
	{"BOT_BASE_URL", "", "Public origin of this deployment, e.g. https://invite.example.com (required; http only for loopback hosts)."},
	{"CHAT_AUDIENCE", "$BOT_BASE_URL/chat/events", "Audience of Chat's bearer tokens: the endpoint URL (https), or a project number (digits) for project-number mode."},
	{"CHAT_ADDON_SIGNER", "", "Email of the Workspace add-on service account whose ID tokens are also accepted (URL mode only)."},
	{"GOOGLE_EMULATOR_URL", "", "Base URL of a Google emulator on this machine (loopback); every Google endpoint then goes there, and its keys are trusted. Never set in production."},
	{"GOOGLE_EMULATOR_ALLOW_REMOTE", "false", "true: accept a GOOGLE_EMULATOR_URL on another host (a shared test emulator)."},
	{"GOOGLE_APPLICATION_CREDENTIALS", "", "Service-account key file the app calls the Chat API as itself with (scope chat.bot), for the progress of large invitations; unset on Cloud Run or App Engine: the runtime service account. Without either, invitations of more than 20 are refused; smaller ones work."},
	{"GOOGLE_CLOUD_PROJECT", "", "Cloud project id for log trace ids (projects/PROJECT/traces/TRACE); unset on Cloud Run or App Engine: read from the metadata server."},
	{"COMMAND_IDS", "1=invite,2=help,3=logout,4=remove", "Slash-command id to command, as configured in the Chat API console."},
	{"LOG_LEVEL", "info", "debug, info, warn or error."},
	{"GOOGLE_OAUTH_CLIENT_ID", "", "OAuth 2.0 web client id; its redirect URI is $BOT_BASE_URL/oauth2/callback (required)."},
	{"GOOGLE_OAUTH_CLIENT_SECRET", "", "OAuth 2.0 web client secret (required): the value, sm://projects/P/secrets/S/versions/V (Secret Manager), or use GOOGLE_OAUTH_CLIENT_SECRET_FILE."},
	{"GOOGLE_OAUTH_CLIENT_SECRET_FILE", "", "File holding the OAuth client secret (a Cloud Run secret mount)."},
	{"DATABASE_URL", "", "postgres://… for PostgreSQL (several instances, Cloud SQL; host=/cloudsql/PROJECT:REGION:INSTANCE for its socket); sm://… or DATABASE_URL_FILE also; unset: embedded SQLite at $BOT_DATA_DIR/bot.db."},
	{"DATABASE_URL_FILE", "", "File holding DATABASE_URL (a Cloud Run secret mount)."},
	{"BOT_DATA_DIR", "./data", "Folder of the SQLite store (and of its generated keyset). On Cloud Run or App Engine it must be set, to a mounted volume."},
	{"TOKEN_KEYSET", "", "The Tink JSON keyset that encrypts grants, as sm://projects/P/secrets/S/versions/V (Secret Manager); or use TOKEN_KEYSET_FILE."},
	{"TOKEN_KEYSET_FILE", "", "File of the Tink JSON keyset that encrypts grants; unset with SQLite: generated at $BOT_DATA_DIR/token-keyset.json. With PostgreSQL, this or TOKEN_KEYSET is required."},
	{"TOKEN_KEYSET_KMS_KEY", "", "gcp-kms://projects/…/cryptoKeys/… when TOKEN_KEYSET_FILE is encrypted by Cloud KMS."},
	{"INVITE_REPLY", "private", "private: /invite results are shown to the invoker only; public: posted for the space."},
	{"INVITE_MAX_TARGETS", "1000", "Most invitations (people × spaces) one /invite may make; more is refused, nothing attempted. Past 20 they run in the background."},
	{"INVITE_CONFIRM_OVER", "100", "An /invite or /remove of more than this many (people × spaces), and every copy of a space's members, first shows a preview with Start and Cancel (only its starter may click them; it expires after 15 minutes). 0: none is confirmed."},
	{"QUOTA_SPACE_WRITES_PER_MINUTE", "60", "Message writes a minute (the app's progress messages) in one space (Google's per-space quota: 60, shared by all apps in the space)."},
	{"QUOTA_WINDOW", "1m", "The window the QUOTA_* counts are per: Google's is a minute; shorter only against an emulator that enforces the same."},
	{"INVITE_RESCUE_AFTER", "15s", "How long a large invitation whose instance died (crash, kill -9) waits before another instance, or the restarted one, takes it over: a running instance renews its lease on the work four times in that time."},
	{"QUOTA_MEMBERSHIP_WRITES_PER_MINUTE", "300", "Membership writes a minute in the project (Google's quota: 300; instances sharing PostgreSQL share it, each set to the whole)."},
	{"INVITE_HISTORY_DAYS", "30", "Days finished large invitations (typed addresses, names, outcomes) and their finished jobs are kept; 0: deleted once the final card is shown. Swept every few minutes. Small ones that added or invited anyone are kept too, for Undo."},
	{"INVITE_UNDO_HOURS", "24", "Hours after an invitation finished that its Undo button removes whom it added or invited; 0: no Undo. At most INVITE_HISTORY_DAYS × 24 (the bot refuses to start otherwise)."},
	{"INVITE_ALLOWED_DOMAINS", "", "Comma list of email domains /invite may add; others are not tried. Empty: any."},
	{"INVITE_REQUIRE_MANAGER", "false", "true: only owners and managers of the target space may invite."},
	{"INVITE_ADMIN_ACCESS", "", "Comma list of your organization's email domains: Workspace administrators may then add and remove in any of its spaces with “as admin” (Google's useAdminAccess; people of other domains are refused). Empty: off."},
	{"DEBUG_ADDR", "", "Loopback address (e.g. 127.0.0.1:6060) for pprof and /debug/goroutines; off when empty."},
}

// Default is a setting's default value ("" for none, or one derived from
// another setting).
func Default(name string) string {
	for _, s := range Settings {
		if s.Name == name && !strings.HasPrefix(s.Default, "$") {
			return s.Default
		}
	}
	return ""
}

// Usage writes every setting with its default.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: bot [serve]                      serve Chat's events and the consent pages (the default)")
	fmt.Fprintln(w, "       bot doctor                      check this deployment's settings, database, keyset, OAuth client and")
	fmt.Fprintln(w, "                                       Google's keys, then print what to paste into the Cloud console")
	fmt.Fprintln(w, "       bot keyset new [-file PATH]     write a new token keyset (JSON) to a new file, mode 0600 (or print it)")
	fmt.Fprintln(w, "       bot keyset rotate [-file PATH]  add a new primary key to TOKEN_KEYSET_FILE (or PATH)")
	fmt.Fprintln(w, "       bot keyset prune [-file PATH]   remove every key but the primary, once no grant uses them")
	fmt.Fprintln(w, "       bot -h                          this help")
	fmt.Fprintln(w, "\nTo try it locally with no Google account: go run ./cmd/sandbox (see README.md).")
	fmt.Fprintln(w, "\nSettings (environment variables):")
	for _, s := range Settings {
		def := s.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  %-26s default %s\n      %s\n", s.Name, def, s.Usage)
	}
}
