package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatinvite/invitebot/internal/commands"
	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/jwks"
	"github.com/chatinvite/invitebot/internal/logging"
	"github.com/chatinvite/invitebot/internal/oauthflow"
	"github.com/chatinvite/invitebot/internal/secrets"
	"github.com/chatinvite/invitebot/internal/storage"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// ErrDoctorFound means bot doctor found at least one problem (it printed them).
var ErrDoctorFound = fmt.Errorf("bot doctor found problems")

// problem is a failed check: what is wrong, and what to do.
type problem struct{ what, fix string }

func (p *problem) Error() string { return p.what }

func fail(what, fix string) error { return &problem{what, fix} }

// settingsFix is the one fix for every invalid setting.
const settingsFix = "set each as `bot -h` describes, then run bot doctor again"

// reporter prints one line a check and each distinct fix once, however many
// checks it answers.
type reporter struct {
	w      io.Writer
	failed bool
	fixes  map[string]bool
}

func (r *reporter) report(name, detail string, err error) {
	var p *problem
	switch {
	case err == nil:
		fmt.Fprintf(r.w, "ok    %s%s\n", name, suffix(detail))
	case errors.As(err, &p):
		r.failed = true
		fmt.Fprintf(r.w, "FAIL  %s: %s\n", name, p.what)
		r.fix(p.fix)
	default:
		r.failed = true
		fmt.Fprintf(r.w, "FAIL  %s: %v\n", name, err)
	}
}

// warn reports something that works but should not stay as it is.
func (r *reporter) warn(name, what, fix string) {
	fmt.Fprintf(r.w, "warn  %s: %s\n", name, what)
	r.fix(fix)
}

// skip reports a check that does not apply, what that means, and the fix.
func (r *reporter) skip(name, what, fix string) {
	fmt.Fprintf(r.w, "skip  %s: %s\n", name, what)
	r.fix(fix)
}

func (r *reporter) fix(fix string) {
	if fix == "" || r.fixes[fix] {
		return
	}
	r.fixes[fix] = true
	fmt.Fprintf(r.w, "      fix: %s\n", fix)
}

// doctor checks a deployment before the first real event, one line a check,
// a fix for each failure, then prints what to paste into the console. Wrong
// settings do not stop it: the database is checked in the same round, so
// one run names every problem.
func doctor(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	r := &reporter{w: stdout, fixes: map[string]bool{}}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cfg, err := LoadConfig(ctx, getenv)
	if err != nil {
		for _, line := range strings.Split(strings.TrimPrefix(err.Error(), "invalid configuration:\n"), "\n") {
			r.report("settings", "", fail(line, ""))
		}
		r.fix(settingsFix)
		if databaseURL, dataDir, ok := databaseSettings(ctx, getenv); ok {
			r.report("database", "", checkDatabase(ctx, databaseURL, dataDir))
		} else {
			r.skip("database", "DATABASE_URL cannot be read until the settings above are right", "")
		}
		return ErrDoctorFound
	}
	r.report("settings", "every setting is valid", nil)
	google := endpoints.For(cfg.EmulatorURL)
	client := endpoints.Client(10 * time.Second)

	r.report("BOT_BASE_URL", cfg.BaseURL.String(), checkHTTPS(cfg))
	r.report("database", "", checkDatabase(ctx, cfg.DatabaseURL, cfg.DataDir))
	r.report("token keyset", "", checkKeyset(ctx, cfg, google, client))
	if path, mode, ok := keysetReadableByOthers(cfg); ok {
		r.warn("token keyset", fmt.Sprintf("%s is readable by other users of this machine (mode %04o): whoever reads it and the database can open every grant", path, mode),
			"chmod 600 "+path)
	}
	r.report("OAuth client", cfg.OAuthClientID, checkOAuthClient(ctx, cfg, google, client))
	keys := []string{google.Certs}
	if endpoints.IsProjectNumber(cfg.ChatAudience) {
		keys = append(keys, google.ChatJWK)
	}
	for _, u := range keys {
		r.report("Google's keys", u, checkKeys(ctx, u, client))
	}
	if detail, err := checkAppCredentials(ctx, cfg); errors.Is(err, errNoAppCredentials) {
		r.skip("app credentials", "none, so the app cannot post its own messages: invitations of more than 20 (people × spaces), and copies of another space's members, are refused with a card that says so; smaller ones work",
			"on Cloud Run (services and jobs) and App Engine nothing is needed, the runtime service account is used; elsewhere set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file of the project whose Chat API configuration names this app")
	} else {
		r.report("app credentials", detail, err)
	}
	printConsole(stdout, cfg)
	if r.failed {
		return ErrDoctorFound
	}
	return nil
}

// databaseSettings reads DATABASE_URL (from Secret Manager or its file too)
// and BOT_DATA_DIR when the other settings are wrong. ok is false when
// DATABASE_URL itself cannot be read.
func databaseSettings(ctx context.Context, getenv func(string) string) (databaseURL, dataDir string, ok bool) {
	dataDir = cmp.Or(strings.TrimSpace(getenv("BOT_DATA_DIR")), config.Default("BOT_DATA_DIR"))
	emu, err := config.Emulator(getenv)
	if err != nil {
		emu = ""
	}
	resolved, err := secrets.Resolve(ctx, getenv, secrets.SecretManager(emu))
	if err == nil {
		return resolved("DATABASE_URL"), dataDir, true
	}
	raw := strings.TrimSpace(getenv("DATABASE_URL"))
	if strings.HasPrefix(raw, secrets.Prefix) || strings.TrimSpace(getenv("DATABASE_URL_FILE")) != "" {
		return "", "", false
	}
	return raw, dataDir, true
}

// keysetReadableByOthers reports a keyset file whose mode lets other users
// of the machine read it.
func keysetReadableByOthers(cfg *config.Config) (string, os.FileMode, bool) {
	path := cfg.KeysetFile
	if path == "" && cfg.KeysetJSON == "" {
		path = filepath.Join(cfg.DataDir, GeneratedKeysetName)
	}
	if path == "" {
		return "", 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return "", 0, false
	}
	return path, fi.Mode().Perm(), true
}

func suffix(detail string) string {
	if detail == "" {
		return ""
	}
	return " (" + detail + ")"
}

func checkHTTPS(cfg *config.Config) error {
	if cfg.BaseURL.Scheme != "https" {
		return fail("it is plain http, which Chat and Google's OAuth redirect do not accept outside this machine",
			"serve the bot over https (Cloud Run and App Engine give every service an https URL) and set BOT_BASE_URL to it")
	}
	return nil
}

func checkDatabase(ctx context.Context, databaseURL, dataDir string) error {
	version, latest, err := storage.Inspect(ctx, databaseURL, dataDir)
	switch {
	case err != nil && databaseURL != "":
		return fail("PostgreSQL does not answer: "+redact(err.Error(), databaseURL),
			"check DATABASE_URL (user, password, database; a password with characters such as @ : / ? # % must be URL-encoded; for Cloud SQL host=/cloudsql/PROJECT:REGION:INSTANCE and the Cloud SQL Client role)")
	case err != nil:
		return fail("the SQLite store cannot be read: "+err.Error(), "check that BOT_DATA_DIR exists and belongs to the bot's user")
	case version > latest:
		return fail(fmt.Sprintf("the database is at schema version %d, newer than this binary's %d", version, latest), "deploy the newer binary")
	case version < latest:
		return nil // migrated at the next start
	}
	return nil
}

// redact keeps a connection string's password out of the output.
func redact(msg, databaseURL string) string {
	if u, err := url.Parse(databaseURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "…")
		}
	}
	return msg
}

func checkKeyset(ctx context.Context, cfg *config.Config, google endpoints.Google, client *http.Client) error {
	if cfg.KeysetJSON == "" && cfg.KeysetFile == "" {
		path := filepath.Join(cfg.DataDir, GeneratedKeysetName)
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return nil // generated at the first start
		}
	}
	h, err := loadKeyset(ctx, cfg, google, client, logging.Discard())
	if err != nil {
		fix := "check TOKEN_KEYSET_FILE (or TOKEN_KEYSET) names the keyset the deployment has always used"
		if cfg.KeysetKMSKey != "" {
			fix = "check TOKEN_KEYSET_KMS_KEY names the key that wrapped the keyset, and that the service account has roles/cloudkms.cryptoKeyEncrypterDecrypter on it"
		}
		return fail("the keyset cannot be opened: "+err.Error(), fix)
	}
	c, err := tokencrypt.New(h)
	if err == nil {
		var sealed []byte
		if sealed, err = c.Encrypt([]byte("doctor"), "doctor"); err == nil {
			_, err = c.Decrypt(sealed, "doctor")
		}
	}
	if err != nil {
		return fail("the keyset does not encrypt and decrypt: "+err.Error(), "create a keyset with: bot keyset new")
	}
	return nil
}

// checkOAuthClient redeems a made-up code: Google answers invalid_grant to a
// client it knows, invalid_client to one it does not.
func checkOAuthClient(ctx context.Context, cfg *config.Config, google endpoints.Google, client *http.Client) error {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"bot-doctor-probe"},
		"redirect_uri": {cfg.BaseURL.String() + "/oauth2/callback"}, "client_id": {cfg.OAuthClientID}, "client_secret": {cfg.OAuthClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, google.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return fail("Google's token endpoint cannot be reached: "+err.Error(), "allow outbound https to oauth2.googleapis.com")
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
	switch body.Error {
	case "invalid_grant":
		return nil
	case "invalid_client", "unauthorized_client":
		return fail("Google does not know this client id and secret ("+body.Error+")",
			"copy GOOGLE_OAUTH_CLIENT_ID and the client secret from APIs & Services → Credentials → your OAuth 2.0 web client")
	}
	return fail(fmt.Sprintf("unexpected answer from the token endpoint: %d %s", resp.StatusCode, body.Error), "run bot doctor again; if it persists, check the OAuth client in the console")
}

func checkKeys(ctx context.Context, u string, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail("cannot be fetched: "+err.Error(), "allow outbound https to www.googleapis.com: without these keys no Chat request can be verified")
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if _, err := jwks.ParseSet(body); resp.StatusCode != http.StatusOK || err != nil {
		return fail(fmt.Sprintf("answered %d without a usable key set", resp.StatusCode), "allow outbound https to www.googleapis.com")
	}
	return nil
}

// checkAppCredentials gets a chat.bot token with the app's own credentials.
func checkAppCredentials(ctx context.Context, cfg *config.Config) (string, error) {
	ts, source, err := appTokens(ctx, cfg)
	if err != nil {
		if errors.Is(err, errNoAppCredentials) {
			return "", err
		}
		return "", fail(err.Error(), "point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file (JSON), or unset it on Cloud Run and App Engine")
	}
	if _, err := ts.Token(); err != nil {
		return "", fail("no chat.bot token from "+source+": "+describeTokenError(err),
			"check the service account exists and its key is active (IAM → Service accounts → Keys)")
	}
	return "a chat.bot token from " + source, nil
}

// describeTokenError keeps the OAuth error code and drops the rest.
func describeTokenError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode + " " + re.ErrorDescription
	}
	return err.Error()
}

// printConsole prints what to paste into the Google Cloud console.
func printConsole(w io.Writer, cfg *config.Config) {
	fmt.Fprintln(w, "\nIn the Google Cloud console:")
	fmt.Fprintln(w, "  Google Chat API → Configuration")
	fmt.Fprintf(w, "    Connection settings: HTTP endpoint URL   %s\n", EndpointURL(cfg))
	if endpoints.IsProjectNumber(cfg.ChatAudience) {
		fmt.Fprintf(w, "    Authentication audience: Project number  %s\n", cfg.ChatAudience)
	} else {
		fmt.Fprintln(w, "    Authentication audience: HTTP endpoint URL")
	}
	fmt.Fprintln(w, "    Slash commands (leave \"Opens a dialog\" unticked on each):")
	specs := commands.All(commands.Deps{})
	described := map[string]string{}
	for _, s := range specs {
		described[s.Name] = s.Description
	}
	for _, id := range slices.Sorted(maps.Keys(cfg.CommandIDs)) {
		if name := cfg.CommandIDs[id]; described[name] != "" {
			fmt.Fprintf(w, "      id %-3d /%-8s %s\n", id, name, described[name])
		}
	}
	fmt.Fprintln(w, "  APIs & Services → Credentials → OAuth 2.0 client (web application)")
	fmt.Fprintf(w, "    Authorized redirect URI: %s/oauth2/callback\n", cfg.BaseURL)
	var scopes []string
	for _, s := range specs {
		for _, sc := range s.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if len(cfg.InviteAdminDomains) > 0 { // "as admin" asks for it when first used
		scopes = append(scopes, commands.ScopeAdminMemberships)
	}
	fmt.Fprintf(w, "  OAuth consent screen → Data access (scopes): %s, %s\n", oauthflow.ScopeOpenID, strings.Join(scopes, ", "))
}
