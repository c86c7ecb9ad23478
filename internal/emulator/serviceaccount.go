package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ScopeChatBot is the scope an app calls the Chat API as itself with.
const ScopeChatBot = "https://www.googleapis.com/auth/chat.bot"

// serviceAccount is an app identity with a key, as IAM holds it.
type serviceAccount struct {
	email string
	key   *rsa.PublicKey
	kid   string
}

// AddServiceAccount creates a service account and returns its key file
// (the JSON GOOGLE_APPLICATION_CREDENTIALS names), whose token_uri is this
// emulator's token endpoint.
func (e *Emulator) AddServiceAccount(email string) ([]byte, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kid := randomToken("")[:16]
	e.mu.Lock()
	if e.state.serviceAccounts == nil {
		e.state.serviceAccounts = map[string]*serviceAccount{}
	}
	e.state.serviceAccounts[email] = &serviceAccount{email: email, key: &priv.PublicKey, kid: kid}
	e.mu.Unlock()
	_, domain, _ := strings.Cut(email, "@")
	project, _, _ := strings.Cut(domain, ".")
	return json.Marshal(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": kid,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": email, "client_id": "1" + kid, "token_uri": e.url + "/token",
		"auth_uri": e.url + "/o/oauth2/v2/auth",
	})
}

// jwtBearer answers the token endpoint's JWT-bearer grant (RFC 7523), as
// Google issues app tokens to a service account: the assertion must be
// signed by the account's key, addressed to this token endpoint, and live
// at most an hour. Runs with e.mu held.
func (e *Emulator) jwtBearer(w http.ResponseWriter, assertion string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT.")
		return
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT payload.")
		return
	}
	sa := e.state.serviceAccounts[claims.Iss]
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch {
	case sa == nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: no such service account.")
		return
	case err != nil || rsa.VerifyPKCS1v15(sa.key, crypto.SHA256, digest[:], sig) != nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	case claims.Aud != e.url+"/token":
		oauthError(w, http.StatusBadRequest, "invalid_grant", fmt.Sprintf("Invalid JWT: audience %q is not the token endpoint.", claims.Aud))
		return
	case time.Unix(claims.Exp, 0).Sub(time.Unix(claims.Iat, 0)) > time.Hour || e.expired(time.Unix(claims.Exp, 0)):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: expired or lives over an hour.")
		return
	case claims.Scope == "":
		oauthError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	access := randomToken("ya29.app-")
	e.state.access[access] = &accessGrant{app: sa.email, scopes: strings.Fields(claims.Scope), expires: e.now().Add(AccessTokenLifetime)}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "expires_in": int(AccessTokenLifetime.Seconds()) - 1, "token_type": "Bearer"})
}

// appTokenInfo authenticates an app's bearer token and reports its scopes.
func (e *Emulator) appTokenInfo(token string) (string, []string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.state.access[token]
	if !ok || a.revoked || a.app == "" || e.expired(a.expires) {
		return "", nil, false
	}
	return a.app, a.scopes, true
}
