package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"github.com/chatinvite/invitebot/internal/storage"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// ErrDoctorFound means bot doctor found at least one problem (it printed them).
var ErrDoctorFound = fmt.Errorf("bot doctor found problems")

// problem is a failed check: what is wrong, and what to do.
type problem struct{ what, fix string }

func (p *problem) Error() string { return p.what }

func fail(what, fix string) error { return &problem{what, fix} }

// doctor checks a deployment before the first real event, one line a check,
// a fix for each failure, then prints what to paste into the console.
func doctor(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	failed := false
	report := func(name string, detail string, err error) {
		switch p, ok := err.(*problem); {
		case err == nil:
			fmt.Fprintf(stdout, "ok    %s%s\n", name, suffix(detail))
		case ok:
			failed = true
			fmt.Fprintf(stdout, "FAIL  %s: %s\n      fix: %s\n", name, p.what, p.fix)
		default:
			failed = true
			fmt.Fprintf(stdout, "FAIL  %s: %v\n", name, err)
		}
	}
	cfg, err := LoadConfig(ctx, getenv)
	if err != nil {
		for _, line := range strings.Split(strings.TrimPrefix(err.Error(), "invalid configuration:\n"), "\n") {
			report("settings", "", fail(line, "set it as `bot -h` describes, then run bot doctor again"))
		}
		return ErrDoctorFound
	}
	report("settings", "every setting is valid", nil)
	google := endpoints.For(cfg.EmulatorURL)
	client := endpoints.Client(10 * time.Second)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	report("BOT_BASE_URL", cfg.BaseURL.String(), checkHTTPS(cfg))
	report("database", "", checkDatabase(ctx, cfg))
	report("token keyset", "", checkKeyset(ctx, cfg, google, client))
	report("OAuth client", cfg.OAuthClientID, checkOAuthClient(ctx, cfg, google, client))
	keys := []string{google.Certs}
	if endpoints.IsProjectNumber(cfg.ChatAudience) {
		keys = append(keys, google.ChatJWK)
	}
	for _, u := range keys {
		report("Google's keys", u, checkKeys(ctx, u, client))
	}
	if detail, err := checkAppCredentials(ctx, cfg); errors.Is(err, errNoAppCredentials) {
		fmt.Fprintln(stdout, "skip  app credentials: none (GOOGLE_APPLICATION_CREDENTIALS, or the runtime service account on Cloud Run and App Engine); the app cannot call the Chat API as itself")
	} else {
		report("app credentials", detail, err)
	}
	printConsole(stdout, cfg)
	if failed {
		return ErrDoctorFound
	}
	return nil
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

func checkDatabase(ctx context.Context, cfg *config.Config) error {
	version, latest, err := storage.Inspect(ctx, cfg.DatabaseURL, cfg.DataDir)
	switch {
	case err != nil && cfg.DatabaseURL != "":
		return fail("PostgreSQL does not answer: "+redact(err.Error(), cfg.DatabaseURL),
			"check DATABASE_URL (user, password, database; for Cloud SQL host=/cloudsql/PROJECT:REGION:INSTANCE and the Cloud SQL Client role)")
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
	ids := map[string]int64{}
	for id, name := range cfg.CommandIDs {
		ids[name] = id
	}
	for _, s := range specs {
		if id, ok := ids[s.Name]; ok {
			fmt.Fprintf(w, "      id %-3d /%-8s %s\n", id, s.Name, s.Description)
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
	fmt.Fprintf(w, "  OAuth consent screen → Data access (scopes): %s, %s\n", oauthflow.ScopeOpenID, strings.Join(scopes, ", "))
}
