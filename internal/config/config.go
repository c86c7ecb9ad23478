// Package config reads the bot's settings from the environment and checks
// them all at once, so a misconfigured bot refuses to start with the full
// list of what to fix. The setting names are a public contract.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/logging"
)

// Config is the validated configuration.
type Config struct {
	Port         int
	BaseURL      *url.URL
	ChatAudience string
	AddonSigner  string
	EmulatorURL  string
	// CloudProject is GOOGLE_CLOUD_PROJECT ("" when unset).
	CloudProject string
	// AppCredentialsFile is GOOGLE_APPLICATION_CREDENTIALS ("" when unset).
	AppCredentialsFile string
	// OnGoogleCloud is true on Cloud Run (K_SERVICE, or CLOUD_RUN_JOB in a
	// job) or App Engine (GAE_SERVICE), which set those variables themselves.
	OnGoogleCloud bool
	CommandIDs    map[int64]string
	LogLevel      slog.Level

	OAuthClientID     string
	OAuthClientSecret string
	DatabaseURL       string
	DataDir           string
	KeysetFile        string
	// KeysetJSON is the keyset itself (TOKEN_KEYSET, resolved from Secret
	// Manager), when given instead of a file.
	KeysetJSON   string
	KeysetKMSKey string

	InvitePublic         bool
	InviteMaxTargets     int
	InviteAllowedDomains []string
	InviteRequireManager bool
	// InviteAdminDomains are the organization's domains; set, they let
	// administrators use "as admin".
	InviteAdminDomains []string
	// InviteConfirmOver is INVITE_CONFIRM_OVER: larger changes, and every
	// copy of a space's members, are previewed and confirmed first (0:
	// never).
	InviteConfirmOver int

	QuotaSpaceWrites      int
	QuotaMembershipWrites int
	QuotaWindow           time.Duration
	// RescueAfter is INVITE_RESCUE_AFTER: the lease on a running large
	// invitation.
	RescueAfter time.Duration
	// HistoryDays is INVITE_HISTORY_DAYS: how long finished large
	// invitations are kept.
	HistoryDays int
	// UndoHours is INVITE_UNDO_HOURS: how long after an invitation
	// finished its Undo button works (0: no Undo).
	UndoHours int

	DebugAddr string
}

// Load reads the settings through getenv and validates them, reporting every
// problem at once. commands are the names COMMAND_IDS may map ids to.
func Load(getenv func(string) string, commands []string) (*Config, error) {
	get := reader(getenv)
	var errs []error
	c := &Config{OnGoogleCloud: OnGoogleCloud(getenv)}

	port, err := strconv.Atoi(get("PORT"))
	if err != nil || port < 0 || port > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%q: want a TCP port number", get("PORT")))
	}
	c.Port = port

	base, err := ParseBaseURL(get("BOT_BASE_URL"))
	if err != nil {
		errs = append(errs, fmt.Errorf("BOT_BASE_URL: %w", err))
	}
	c.BaseURL = base

	c.ChatAudience = get("CHAT_AUDIENCE")
	if c.ChatAudience == "" && base != nil {
		c.ChatAudience = base.String() + "/chat/events"
	}
	projectMode := endpoints.IsProjectNumber(c.ChatAudience)
	if c.ChatAudience != "" && !projectMode {
		if _, err := ParseEndpointURL(c.ChatAudience); err != nil {
			errs = append(errs, fmt.Errorf("CHAT_AUDIENCE: %w; or the Cloud project number (digits only) for project-number mode", err))
		}
	}

	c.AddonSigner = get("CHAT_ADDON_SIGNER")
	switch {
	case c.AddonSigner != "" && !strings.HasSuffix(c.AddonSigner, "@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"):
		errs = append(errs, fmt.Errorf("CHAT_ADDON_SIGNER=%q: want service-PROJECT_NUMBER@gcp-sa-gsuiteaddons.iam.gserviceaccount.com", c.AddonSigner))
	case c.AddonSigner != "" && projectMode:
		errs = append(errs, errors.New("CHAT_ADDON_SIGNER applies to the endpoint-URL audience only; with a project-number CHAT_AUDIENCE Chat signs every request itself: unset it"))
	}

	errs = append(errs, c.loadEmulator(get)...)
	c.CloudProject = get("GOOGLE_CLOUD_PROJECT")
	if c.AppCredentialsFile = get("GOOGLE_APPLICATION_CREDENTIALS"); c.AppCredentialsFile != "" {
		if _, err := os.Stat(c.AppCredentialsFile); err != nil {
			errs = append(errs, fmt.Errorf("GOOGLE_APPLICATION_CREDENTIALS: %w", err))
		}
	}

	c.CommandIDs, err = ParseCommandIDs(get("COMMAND_IDS"), commands)
	if err != nil {
		errs = append(errs, fmt.Errorf("COMMAND_IDS: %w", err))
	}

	c.LogLevel, err = logging.ParseLevel(get("LOG_LEVEL"))
	if err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}

	c.OAuthClientID, c.OAuthClientSecret = get("GOOGLE_OAUTH_CLIENT_ID"), get("GOOGLE_OAUTH_CLIENT_SECRET")
	if c.OAuthClientID == "" {
		errs = append(errs, errors.New("GOOGLE_OAUTH_CLIENT_ID: required: the OAuth 2.0 web client id from the Cloud console"))
	}
	if c.OAuthClientSecret == "" {
		errs = append(errs, errors.New("GOOGLE_OAUTH_CLIENT_SECRET: required: the OAuth 2.0 web client secret"))
	}

	c.DatabaseURL, c.DataDir = get("DATABASE_URL"), get("BOT_DATA_DIR")
	postgres := strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
	if c.DatabaseURL != "" && !postgres {
		errs = append(errs, errors.New("DATABASE_URL: want postgres://… (or unset for the embedded SQLite store)"))
	}
	errs = append(errs, c.loadKeyset(get)...)
	c.KeysetJSON = get("TOKEN_KEYSET")
	switch {
	case c.KeysetJSON != "" && c.KeysetFile != "":
		errs = append(errs, errors.New("TOKEN_KEYSET and TOKEN_KEYSET_FILE are both set: keep one"))
	case c.KeysetKMSKey != "" && c.KeysetFile == "" && c.KeysetJSON == "":
		errs = append(errs, errors.New("TOKEN_KEYSET_KMS_KEY is set but neither TOKEN_KEYSET_FILE nor TOKEN_KEYSET is: name the encrypted keyset"))
	case postgres && c.KeysetFile == "" && c.KeysetJSON == "":
		errs = append(errs, errors.New("TOKEN_KEYSET_FILE or TOKEN_KEYSET: required with PostgreSQL, so every instance encrypts with the same keys (create one with: bot keyset new -file keyset.json)"))
	}
	// Cloud Run and App Engine keep no local disk across restarts or
	// between instances: an embedded store there loses every grant.
	if c.OnGoogleCloud && c.DatabaseURL == "" {
		switch dir := strings.TrimSpace(getenv("BOT_DATA_DIR")); {
		case dir == "":
			errs = append(errs, errors.New("DATABASE_URL: required on Cloud Run and App Engine, whose disk is lost at every restart (use Cloud SQL for PostgreSQL; see docs/deploy.md), or set BOT_DATA_DIR to a mounted volume for one instance"))
		case !isMountPoint(dir):
			errs = append(errs, fmt.Errorf("BOT_DATA_DIR=%q: not a mounted volume, so the SQLite store would be lost at every restart on Cloud Run or App Engine; mount a volume there, or set DATABASE_URL", dir))
		}
	}

	switch get("INVITE_REPLY") {
	case "private":
	case "public":
		c.InvitePublic = true
	default:
		errs = append(errs, fmt.Errorf("INVITE_REPLY=%q: want private or public", get("INVITE_REPLY")))
	}
	c.InviteMaxTargets, err = strconv.Atoi(get("INVITE_MAX_TARGETS"))
	if err != nil || c.InviteMaxTargets < 1 || c.InviteMaxTargets > 10000 {
		errs = append(errs, fmt.Errorf("INVITE_MAX_TARGETS=%q: want a number from 1 to 10000", get("INVITE_MAX_TARGETS")))
	}
	c.InviteConfirmOver, err = strconv.Atoi(get("INVITE_CONFIRM_OVER"))
	if err != nil || c.InviteConfirmOver < 0 || c.InviteConfirmOver > 10000 {
		errs = append(errs, fmt.Errorf("INVITE_CONFIRM_OVER=%q: want a number from 0 (no confirmation) to 10000", get("INVITE_CONFIRM_OVER")))
	}
	c.QuotaSpaceWrites, err = strconv.Atoi(get("QUOTA_SPACE_WRITES_PER_MINUTE"))
	if err != nil || c.QuotaSpaceWrites < 1 {
		errs = append(errs, fmt.Errorf("QUOTA_SPACE_WRITES_PER_MINUTE=%q: want a positive number (Google's quota is 60)", get("QUOTA_SPACE_WRITES_PER_MINUTE")))
	}
	c.QuotaWindow, err = time.ParseDuration(get("QUOTA_WINDOW"))
	if err != nil || c.QuotaWindow < time.Second {
		errs = append(errs, fmt.Errorf("QUOTA_WINDOW=%q: want a duration of a second or more, such as 1m (Google's)", get("QUOTA_WINDOW")))
	}
	c.RescueAfter, err = time.ParseDuration(get("INVITE_RESCUE_AFTER"))
	if err != nil || c.RescueAfter < 200*time.Millisecond {
		errs = append(errs, fmt.Errorf("INVITE_RESCUE_AFTER=%q: want a duration such as 15s", get("INVITE_RESCUE_AFTER")))
	}
	c.QuotaMembershipWrites, err = strconv.Atoi(get("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE"))
	if err != nil || c.QuotaMembershipWrites < 1 {
		errs = append(errs, fmt.Errorf("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE=%q: want a positive number (Google's quota is 300)", get("QUOTA_MEMBERSHIP_WRITES_PER_MINUTE")))
	}
	c.HistoryDays, err = strconv.Atoi(get("INVITE_HISTORY_DAYS"))
	if err != nil || c.HistoryDays < 0 || c.HistoryDays > 3650 {
		errs = append(errs, fmt.Errorf("INVITE_HISTORY_DAYS=%q: want a number of days from 0 (nothing kept once done) to 3650", get("INVITE_HISTORY_DAYS")))
	}
	c.UndoHours, err = strconv.Atoi(get("INVITE_UNDO_HOURS"))
	switch {
	case err != nil || c.UndoHours < 0 || c.UndoHours > 24*3650:
		errs = append(errs, fmt.Errorf("INVITE_UNDO_HOURS=%q: want a number of hours, 0 to turn Undo off", get("INVITE_UNDO_HOURS")))
	case c.HistoryDays*24 < c.UndoHours:
		// Undo reads an invitation's stored outcomes: they must outlive it.
		errs = append(errs, fmt.Errorf("INVITE_UNDO_HOURS=%d is longer than INVITE_HISTORY_DAYS=%d keeps invitations (%d hours), and Undo needs them: "+
			"keep them longer (INVITE_HISTORY_DAYS=%d), shorten INVITE_UNDO_HOURS, or set it to 0 to turn Undo off",
			c.UndoHours, c.HistoryDays, c.HistoryDays*24, (c.UndoHours+23)/24))
	}
	for _, d := range strings.Split(get("INVITE_ALLOWED_DOMAINS"), ",") {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, " /@") || !strings.Contains(d, ".") {
			errs = append(errs, fmt.Errorf("INVITE_ALLOWED_DOMAINS: %q is not a domain", d))
			continue
		}
		c.InviteAllowedDomains = append(c.InviteAllowedDomains, d)
	}
	c.InviteRequireManager, err = strconv.ParseBool(get("INVITE_REQUIRE_MANAGER"))
	if err != nil {
		errs = append(errs, fmt.Errorf("INVITE_REQUIRE_MANAGER=%q: want true or false", get("INVITE_REQUIRE_MANAGER")))
	}
	// "as admin" adds only people of the organization (Google refuses
	// others with admin access): the bot refuses them before any call, so
	// turning it on names the organization's domains.
	for _, d := range strings.Split(get("INVITE_ADMIN_ACCESS"), ",") {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, " /@") || !strings.Contains(d, ".") {
			errs = append(errs, fmt.Errorf("INVITE_ADMIN_ACCESS: %q is not a domain: list your organization's email domains (example.com), or leave it empty to keep “as admin” off", d))
			continue
		}
		c.InviteAdminDomains = append(c.InviteAdminDomains, d)
	}

	c.DebugAddr = get("DEBUG_ADDR")
	if c.DebugAddr != "" {
		host, _, err := net.SplitHostPort(c.DebugAddr)
		if err != nil || !IsLoopback(host) {
			errs = append(errs, fmt.Errorf("DEBUG_ADDR=%q: want a loopback host:port such as 127.0.0.1:6060", c.DebugAddr))
		}
	}

	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// LoadKeyset reads and checks only what "bot keyset" needs: the keyset
// file, its KMS key, the data folder and the emulator.
func LoadKeyset(getenv func(string) string) (*Config, error) {
	get := reader(getenv)
	c := &Config{DataDir: get("BOT_DATA_DIR")}
	errs := append(c.loadEmulator(get), c.loadKeyset(get)...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// reader returns a setting's value, or its default.
func reader(getenv func(string) string) func(string) string {
	return func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, s := range Settings {
			if s.Name == name && !strings.HasPrefix(s.Default, "$") {
				return s.Default
			}
		}
		return ""
	}
}

func (c *Config) loadEmulator(get func(string) string) []error {
	var errs []error
	c.EmulatorURL = get("GOOGLE_EMULATOR_URL")
	allowRemote, err := strconv.ParseBool(get("GOOGLE_EMULATOR_ALLOW_REMOTE"))
	if err != nil {
		errs = append(errs, fmt.Errorf("GOOGLE_EMULATOR_ALLOW_REMOTE=%q: want true or false", get("GOOGLE_EMULATOR_ALLOW_REMOTE")))
	}
	if c.EmulatorURL != "" {
		// The bot trusts the emulator's keys: a remote one set by mistake
		// would let that host sign "Chat" requests.
		u, err := url.Parse(c.EmulatorURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("GOOGLE_EMULATOR_URL=%q: want an http(s) URL", c.EmulatorURL))
		case !IsLoopback(u.Hostname()) && !allowRemote:
			errs = append(errs, fmt.Errorf("GOOGLE_EMULATOR_URL=%q: not a loopback host; the bot would trust that server's keys. Set GOOGLE_EMULATOR_ALLOW_REMOTE=true if you mean it", c.EmulatorURL))
		}
	}
	return errs
}

func (c *Config) loadKeyset(get func(string) string) []error {
	var errs []error
	c.KeysetFile, c.KeysetKMSKey = get("TOKEN_KEYSET_FILE"), get("TOKEN_KEYSET_KMS_KEY")
	if c.KeysetKMSKey != "" && !strings.HasPrefix(c.KeysetKMSKey, "gcp-kms://") {
		errs = append(errs, fmt.Errorf("TOKEN_KEYSET_KMS_KEY=%q: want gcp-kms://projects/…/locations/…/keyRings/…/cryptoKeys/…", c.KeysetKMSKey))
	}

	return errs
}

// OnGoogleCloud reports whether the bot runs on Cloud Run (K_SERVICE for a
// service, CLOUD_RUN_JOB for a job such as bot doctor's) or App Engine
// (GAE_SERVICE), which set those variables themselves.
func OnGoogleCloud(getenv func(string) string) bool {
	return getenv("K_SERVICE") != "" || getenv("CLOUD_RUN_JOB") != "" || getenv("GAE_SERVICE") != ""
}

// Emulator reads and checks GOOGLE_EMULATOR_URL alone (secrets are resolved
// through it before the rest is read).
func Emulator(getenv func(string) string) (string, error) {
	c := &Config{}
	if err := errors.Join(c.loadEmulator(reader(getenv))...); err != nil {
		return "", err
	}
	return c.EmulatorURL, nil
}

// ParseEndpointURL checks an endpoint URL: https (http only on loopback),
// with a host.
func ParseEndpointURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())) {
		return nil, fmt.Errorf("%q: want an https URL", raw)
	}
	return u, nil
}

// ParseBaseURL checks a public origin: https, or http on a loopback host;
// no path, query or fragment.
func ParseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("required: the public origin of this deployment, e.g. https://invite.example.com")
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q: want an origin only (scheme and host), no path or query", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%q: plain http is accepted only for loopback hosts; use https", raw)
		}
	default:
		return nil, fmt.Errorf("%q: want https", raw)
	}
	return u, nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseCommandIDs reads "1=invite,2=help"; every name must be in commands.
func ParseCommandIDs(raw string, commands []string) (map[int64]string, error) {
	out := map[int64]string{}
	for _, pair := range strings.Split(raw, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		idText, name, ok := strings.Cut(pair, "=")
		id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 64)
		name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "/"))
		if !ok || err != nil || id <= 0 {
			return nil, fmt.Errorf("%q: want ID=COMMAND with a positive numeric id", pair)
		}
		if !slices.Contains(commands, name) {
			return nil, fmt.Errorf("%q: unknown command %q (known: %s)", pair, name, strings.Join(commands, ", "))
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("id %d mapped twice", id)
		}
		out[id] = name
	}
	return out, nil
}
