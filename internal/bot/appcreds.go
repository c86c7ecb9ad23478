package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
)

// scopeChatBot is the scope an app calls the Chat API as itself with.
const scopeChatBot = "https://www.googleapis.com/auth/chat.bot"

// errNoAppCredentials means neither a key file nor a runtime service account.
var errNoAppCredentials = errors.New("no app credentials")

// appTokens returns the app's own credentials for the Chat API (Application
// Default Credentials, scope chat.bot): the service-account key file that
// GOOGLE_APPLICATION_CREDENTIALS names (its token_uri may be an emulator's),
// or on Cloud Run and App Engine the runtime service account.
func appTokens(ctx context.Context, cfg *config.Config) (oauth2.TokenSource, string, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, endpoints.Client(20*time.Second))
	switch {
	case cfg.AppCredentialsFile != "":
		key, err := os.ReadFile(cfg.AppCredentialsFile)
		if err != nil {
			return nil, "", fmt.Errorf("GOOGLE_APPLICATION_CREDENTIALS: %w", err)
		}
		creds, err := google.CredentialsFromJSONWithType(ctx, key, google.ServiceAccount, scopeChatBot)
		if err != nil {
			return nil, "", fmt.Errorf("GOOGLE_APPLICATION_CREDENTIALS: %w", err)
		}
		return creds.TokenSource, "the key file " + cfg.AppCredentialsFile, nil
	case cfg.OnGoogleCloud:
		creds, err := google.FindDefaultCredentials(ctx, scopeChatBot)
		if err != nil {
			return nil, "", fmt.Errorf("runtime service account: %w", err)
		}
		return creds.TokenSource, "the runtime service account", nil
	}
	return nil, "", errNoAppCredentials
}
