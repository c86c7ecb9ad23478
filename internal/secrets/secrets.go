// Package secrets resolves the settings that hold secrets, so none has to
// sit in plain text in app.yaml or a service's environment: NAME_FILE reads
// the value from a file (Cloud Run mounts secrets as files), and a value of
// the form sm://projects/P/secrets/S/versions/V is read from Secret Manager
// when the bot starts.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
)

// Names are the settings that may be given by Secret Manager reference;
// those in FileNames may also be read from NAME_FILE (TOKEN_KEYSET_FILE is
// a setting of its own, read where the keyset is opened).
var (
	Names     = []string{"GOOGLE_OAUTH_CLIENT_SECRET", "DATABASE_URL", "TOKEN_KEYSET"}
	FileNames = []string{"GOOGLE_OAUTH_CLIENT_SECRET", "DATABASE_URL"}
)

// Prefix marks a Secret Manager reference.
const Prefix = "sm://"

var reference = regexp.MustCompile(`^projects/[^/]+/secrets/[A-Za-z0-9_-]+/versions/[A-Za-z0-9_-]+$`)

// Accessor reads a secret version by its resource name
// (projects/P/secrets/S/versions/V).
type Accessor interface {
	Access(ctx context.Context, name string) ([]byte, error)
}

// Resolve returns a getenv that answers each of Names with its value read
// from NAME_FILE or from Secret Manager, and every other setting as getenv
// does. newAccessor is called only when some value is a reference. Every
// problem is reported at once; a message names the setting, never a value.
func Resolve(ctx context.Context, getenv func(string) string, newAccessor func(context.Context) (Accessor, error)) (func(string) string, error) {
	resolved := map[string]string{}
	var errs []error
	var acc Accessor
	for _, name := range Names {
		value, file := strings.TrimSpace(getenv(name)), ""
		if slices.Contains(FileNames, name) {
			file = strings.TrimSpace(getenv(name + "_FILE"))
		}
		switch {
		case value != "" && file != "":
			errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: keep one", name, name))
			continue
		case file != "":
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				continue
			}
			value = strings.TrimRight(string(b), "\r\n")
		}
		if ref, ok := strings.CutPrefix(value, Prefix); ok {
			if !reference.MatchString(ref) {
				errs = append(errs, fmt.Errorf("%s: want sm://projects/PROJECT/secrets/SECRET/versions/VERSION (VERSION may be latest)", name))
				continue
			}
			if acc == nil {
				var err error
				if acc, err = newAccessor(ctx); err != nil {
					return nil, fmt.Errorf("Secret Manager client: %w", err)
				}
				if c, ok := acc.(io.Closer); ok {
					defer c.Close()
				}
			}
			b, err := acc.Access(ctx, ref)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: read %s from Secret Manager: %w (does the service account have roles/secretmanager.secretAccessor on it?)", name, ref, err))
				continue
			}
			value = strings.TrimRight(string(b), "\r\n")
		}
		resolved[name] = value
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return func(name string) string {
		if v, ok := resolved[name]; ok {
			return v
		}
		return getenv(name)
	}, nil
}

// SecretManager returns an Accessor on Secret Manager, or on the emulator at
// emulatorURL (no credentials then).
func SecretManager(emulatorURL string) func(context.Context) (Accessor, error) {
	return func(ctx context.Context) (Accessor, error) {
		var opts []option.ClientOption
		if emulatorURL != "" {
			opts = append(opts, option.WithEndpoint(strings.TrimRight(emulatorURL, "/")+"/"), option.WithoutAuthentication())
		}
		c, err := secretmanager.NewRESTClient(ctx, opts...)
		if err != nil {
			return nil, err
		}
		return client{c}, nil
	}
}

type client struct{ c *secretmanager.Client }

func (c client) Close() error { return c.c.Close() }

func (c client) Access(ctx context.Context, name string) ([]byte, error) {
	resp, err := c.c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		return nil, err
	}
	return resp.GetPayload().GetData(), nil
}
