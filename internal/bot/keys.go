package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/tink-crypto/tink-go-gcpkms/v2/integration/gcpkms"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"google.golang.org/api/option"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/endpoints"
	"github.com/chatinvite/invitebot/internal/tokencrypt"
)

// GeneratedKeysetName is the keyset file the bot creates beside its SQLite
// database when no keyset is configured.
const GeneratedKeysetName = "token-keyset.json"

// loadKeyset resolves the token keyset: the configured file (KMS-encrypted or
// not), or, with SQLite only, one generated beside the database.
func loadKeyset(ctx context.Context, cfg *config.Config, google endpoints.Google, client *http.Client, log *slog.Logger) (*keyset.Handle, error) {
	if cfg.KeysetJSON != "" {
		master, err := masterKey(ctx, cfg.KeysetKMSKey, google, client)
		if err != nil {
			return nil, err
		}
		h, err := tokencrypt.Read(strings.NewReader(cfg.KeysetJSON), master)
		if err != nil {
			return nil, fmt.Errorf("TOKEN_KEYSET: %w", err)
		}
		return h, nil
	}
	if cfg.KeysetFile == "" {
		if cfg.DatabaseURL != "" {
			return nil, errors.New("TOKEN_KEYSET_FILE is required with PostgreSQL")
		}
		path := filepath.Join(cfg.DataDir, GeneratedKeysetName)
		h, created, err := tokencrypt.LoadOrCreate(path)
		if err != nil {
			return nil, fmt.Errorf("token keyset: %w", err)
		}
		if created {
			log.Warn("generated a new token keyset beside the SQLite store; back it up with the database, or set TOKEN_KEYSET_FILE", "path", path)
		}
		return h, nil
	}
	master, err := masterKey(ctx, cfg.KeysetKMSKey, google, client)
	if err != nil {
		return nil, err
	}
	h, err := tokencrypt.ReadFile(cfg.KeysetFile, master)
	if err != nil {
		return nil, fmt.Errorf("TOKEN_KEYSET_FILE: %w", err)
	}
	return h, nil
}

// masterKey returns the Cloud KMS key that encrypts the keyset file, or nil
// for a cleartext keyset. Against an emulator, KMS calls go there too.
func masterKey(ctx context.Context, keyURI string, google endpoints.Google, client *http.Client) (tokencrypt.MasterKey, error) {
	if keyURI == "" {
		return nil, nil
	}
	opts := []option.ClientOption{}
	if google.Emulated {
		opts = append(opts, option.WithEndpoint(google.KMS), option.WithoutAuthentication(), option.WithHTTPClient(client))
	}
	kms, err := gcpkms.NewClient(ctx, "gcp-kms://", gcpkms.WithTransport(gcpkms.TransportREST), gcpkms.WithGoogleAPIClientOptions(opts...))
	if err != nil {
		return nil, fmt.Errorf("TOKEN_KEYSET_KMS_KEY: Cloud KMS client: %w", err)
	}
	aead, err := kms.GetAEAD(keyURI)
	if err != nil {
		return nil, fmt.Errorf("TOKEN_KEYSET_KMS_KEY: %w", err)
	}
	return aead, nil
}
