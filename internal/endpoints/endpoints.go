// Package endpoints is the one place that decides how the bot reaches
// Google: which URLs (Google's own, or an emulator's that serves the same
// paths), and over which HTTP client.
package endpoints

import (
	"net/http"
	"strings"
	"time"
)

// Google holds every Google endpoint the bot uses.
type Google struct {
	// Certs is the JWK set that signs Google ID tokens (Chat's URL-audience
	// tokens and OAuth id_tokens).
	Certs string
	// ChatJWK is the JWK set of chat@system.gserviceaccount.com, which signs
	// Chat's project-number-audience tokens.
	ChatJWK string
	// Authorize is the OAuth 2.0 authorization endpoint.
	Authorize string
	// Token is the OAuth 2.0 token endpoint.
	Token string
	// Revoke is the OAuth 2.0 revocation endpoint.
	Revoke string
	// ChatAPI is the Chat API base path, ending in a slash ("…/" then "v1/…").
	ChatAPI string
	// KMS is the Cloud KMS API base path, ending in a slash.
	KMS string
	// CloudIdentity is the Cloud Identity API base path, ending in a slash
	// ("…/" then "v1/groups:lookup"), where group addresses are resolved.
	CloudIdentity string
	// Emulated is true when the URLs point at an emulator.
	Emulated bool
}

// ChatSigner is the service account Chat signs its requests as.
const ChatSigner = "chat@system.gserviceaccount.com"

// Real returns Google's production endpoints.
func Real() Google {
	return Google{
		Certs: "https://www.googleapis.com/oauth2/v3/certs",
		// The documented address ("Verify requests from Google Chat").
		ChatJWK:   "https://www.googleapis.com/service_accounts/v1/metadata/jwk/" + ChatSigner,
		Authorize: "https://accounts.google.com/o/oauth2/v2/auth",
		Token:     "https://oauth2.googleapis.com/token",
		Revoke:    "https://oauth2.googleapis.com/revoke",
		ChatAPI:   "https://chat.googleapis.com/",
		KMS:       "https://cloudkms.googleapis.com/",
		// https://cloud.google.com/identity/docs/reference/rest/v1/groups/lookup
		CloudIdentity: "https://cloudidentity.googleapis.com/",
	}
}

// Emulator returns the endpoints of an emulator at base: base plus Google's
// own paths.
func Emulator(base string) Google {
	base = strings.TrimRight(base, "/")
	return Google{
		Certs:         base + "/oauth2/v3/certs",
		ChatJWK:       base + "/service_accounts/v1/metadata/jwk/" + ChatSigner,
		Authorize:     base + "/o/oauth2/v2/auth",
		Token:         base + "/token",
		Revoke:        base + "/revoke",
		ChatAPI:       base + "/",
		KMS:           base + "/",
		CloudIdentity: base + "/",
		Emulated:      true,
	}
}

// For returns the emulator's endpoints when emulatorURL is set, else Google's.
func For(emulatorURL string) Google {
	if emulatorURL != "" {
		return Emulator(emulatorURL)
	}
	return Real()
}

// Client returns an HTTP client for Google, or an emulator: Go's default
// transport, which speaks HTTP/1.1 on http:// (so any emulator or recording
// proxy works) and negotiates HTTP/2 over TLS with Google. It carries no
// ambient credentials: each call sets its own token. timeout 0 means none.
func Client(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Timeout: timeout, Transport: t}
}

// IsProjectNumber reports whether a Chat audience is a Cloud project number
// (digits only), which selects project-number mode: Chat then signs its
// tokens itself, with the keys at ChatJWK.
func IsProjectNumber(audience string) bool {
	if audience == "" {
		return false
	}
	for _, r := range audience {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
