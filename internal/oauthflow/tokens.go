package oauthflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// storeGrant encrypts and saves a fresh grant. Without a new refresh token
// (Google may omit it) the stored one is kept.
func (s *Service) storeGrant(ctx context.Context, user string, tok *oauth2.Token, scopes []string) error {
	now := s.cfg.Now()
	g := &Grant{User: user, Scopes: scopes, CreatedAt: now, UpdatedAt: now, AccessExpiry: s.expiry(tok)}
	refresh := tok.RefreshToken
	if refresh == "" {
		old, err := s.cfg.Store.GetGrant(ctx, user)
		if err != nil {
			return fmt.Errorf("no refresh token issued and no earlier grant: %w", err)
		}
		plain, err := s.cfg.Cipher.Decrypt(old.RefreshToken, grantBinding(user))
		if err != nil {
			return fmt.Errorf("open earlier grant: %w", err)
		}
		refresh = string(plain)
	}
	if err := s.seal(g, refresh, tok.AccessToken); err != nil {
		return err
	}
	if err := s.cfg.Store.PutGrant(ctx, g); err != nil {
		return err
	}
	s.remember(user, cachedToken{access: tok.AccessToken, expiry: s.expiry(tok), scopes: scopes, checked: s.cfg.Now()})
	return nil
}

// seal encrypts both tokens into g under the keyset's current primary key,
// so every write also re-encrypts what an older key sealed.
func (s *Service) seal(g *Grant, refresh, access string) error {
	var err error
	if g.RefreshToken, err = s.cfg.Cipher.Encrypt([]byte(refresh), grantBinding(g.User)); err != nil {
		return err
	}
	if g.AccessToken, err = s.cfg.Cipher.Encrypt([]byte(access), grantBinding(g.User)); err != nil {
		return err
	}
	return nil
}

// expiry is when tok stops working, by the service's clock (the one every
// freshness check reads): x/oauth2 dates it by the wall clock at receipt.
func (s *Service) expiry(tok *oauth2.Token) time.Time {
	if tok.ExpiresIn > 0 {
		return s.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return tok.Expiry
}

func (s *Service) remember(user string, t cachedToken) {
	s.mu.Lock()
	s.cache[user] = t
	s.mu.Unlock()
}

func (s *Service) forget(user string) {
	s.mu.Lock()
	delete(s.cache, user)
	s.mu.Unlock()
}

func (s *Service) fresh(t cachedToken) bool {
	return t.access != "" && s.cfg.Now().Add(refreshMargin).Before(t.expiry)
}

// live reports whether t's grant was found in the store recently enough
// to serve t without looking again.
func (s *Service) live(t cachedToken) bool {
	return s.cfg.Now().Sub(t.checked) < s.cfg.LiveFor
}

// AccessToken returns a usable access token of user covering scopes, whose
// grant was found in the store at most LiveFor before. When
// the user has no grant, lacks a scope, or Google no longer honours the
// grant (invalid_grant: the grant is then deleted), it returns a
// *ConsentRequiredError.
func (s *Service) AccessToken(ctx context.Context, user string, scopes []string) (string, error) {
	s.mu.RLock()
	t, ok := s.cache[user]
	s.mu.RUnlock()
	if ok && s.fresh(t) && s.live(t) && hasScopes(t.scopes, scopes) {
		return t.access, nil
	}
	// One load per user at a time; a caller whose context ends stops
	// waiting, while the load finishes for the others.
	ch := s.flight.DoChan(user, func() (any, error) {
		loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		return s.load(loadCtx, user)
	})
	var v any
	var err error
	select {
	case res := <-ch:
		v, err = res.Val, res.Err
	case <-ctx.Done():
		return "", fmt.Errorf("access token: %w", ctx.Err())
	}
	if err != nil {
		var cr *ConsentRequiredError
		if errors.As(err, &cr) {
			return "", &ConsentRequiredError{User: user, Scopes: scopes, Reason: cr.Reason}
		}
		return "", err
	}
	t = v.(cachedToken)
	if !hasScopes(t.scopes, scopes) {
		return "", &ConsentRequiredError{User: user, Scopes: scopes, Reason: "scope not granted"}
	}
	return t.access, nil
}

// load reads the grant and refreshes its access token when needed; one call
// at a time per user (singleflight).
func (s *Service) load(ctx context.Context, user string) (cachedToken, error) {
	g, err := s.cfg.Store.GetGrant(ctx, user)
	if errors.Is(err, ErrNotFound) {
		s.forget(user)
		return cachedToken{}, &ConsentRequiredError{User: user, Reason: "no grant"}
	}
	if err != nil {
		return cachedToken{}, fmt.Errorf("load grant: %w", err)
	}
	t := cachedToken{expiry: g.AccessExpiry, scopes: g.Scopes, checked: s.cfg.Now()}
	if len(g.AccessToken) > 0 {
		plain, err := s.cfg.Cipher.Decrypt(g.AccessToken, grantBinding(user))
		if err != nil {
			return cachedToken{}, s.unreadable(ctx, user, err)
		}
		t.access = string(plain)
	}
	if s.fresh(t) {
		s.remember(user, t)
		return t, nil
	}
	return s.refresh(ctx, g)
}

func (s *Service) refresh(ctx context.Context, g *Grant) (cachedToken, error) {
	plain, err := s.cfg.Cipher.Decrypt(g.RefreshToken, grantBinding(g.User))
	if err != nil {
		return cachedToken{}, s.unreadable(ctx, g.User, err)
	}
	tok, err := s.oauth.TokenSource(s.withClient(ctx), &oauth2.Token{RefreshToken: string(plain)}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			s.log(ctx).Info("grant no longer valid at Google; deleting it", "user", g.User)
			if derr := s.Forget(ctx, g.User); derr != nil {
				return cachedToken{}, derr
			}
			return cachedToken{}, &ConsentRequiredError{User: g.User, Reason: "grant revoked or expired"}
		}
		return cachedToken{}, fmt.Errorf("refresh access token: %s", describeOAuthError(err))
	}
	refresh := string(plain)
	if tok.RefreshToken != "" {
		refresh = tok.RefreshToken
	}
	if scope := stringExtra(tok, "scope"); scope != "" {
		g.Scopes = strings.Fields(scope)
	}
	g.AccessExpiry, g.UpdatedAt = s.expiry(tok), s.cfg.Now()
	if err := s.seal(g, refresh, tok.AccessToken); err != nil {
		return cachedToken{}, err
	}
	if err := s.cfg.Store.PutGrant(ctx, g); err != nil {
		return cachedToken{}, fmt.Errorf("save refreshed token: %w", err)
	}
	t := cachedToken{access: tok.AccessToken, expiry: g.AccessExpiry, scopes: g.Scopes, checked: s.cfg.Now()}
	s.remember(g.User, t)
	return t, nil
}

// unreadable handles a grant no key of the keyset decrypts (the keyset was
// lost or replaced): it is useless, so it is deleted, logged once, and the
// user asked for consent again.
func (s *Service) unreadable(ctx context.Context, user string, err error) error {
	s.log(ctx).Error("a stored grant cannot be decrypted with the token keyset (was the keyset replaced?); deleting it and asking for consent again",
		"user", user, "error", err.Error())
	if derr := s.Forget(ctx, user); derr != nil {
		return derr
	}
	return &ConsentRequiredError{User: user, Reason: "grant unreadable"}
}

// Forget deletes user's grant, as after the Chat API rejects its token: the
// next command asks for consent again.
func (s *Service) Forget(ctx context.Context, user string) error {
	s.forget(user)
	if err := s.cfg.Store.DeleteGrant(ctx, user); err != nil {
		return fmt.Errorf("forget grant: %w", err)
	}
	return nil
}

// Revoke revokes user's grant at Google and deletes it. The grant is deleted
// even when Google cannot be reached; revokedAtGoogle says whether it was
// also revoked there, hadGrant whether there was anything to revoke.
func (s *Service) Revoke(ctx context.Context, user string) (hadGrant, revokedAtGoogle bool, err error) {
	g, err := s.cfg.Store.GetGrant(ctx, user)
	if errors.Is(err, ErrNotFound) {
		s.forget(user)
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("load grant: %w", err)
	}
	revokeErr := errors.New("grant unreadable")
	if plain, derr := s.cfg.Cipher.Decrypt(g.RefreshToken, grantBinding(user)); derr == nil {
		revokeErr = s.revokeAtGoogle(ctx, string(plain))
	}
	if revokeErr != nil {
		s.log(ctx).Warn("revoke at Google failed; deleting the grant anyway", "user", user, "error", revokeErr.Error())
	}
	if err := s.Forget(ctx, user); err != nil {
		return true, false, err
	}
	return true, revokeErr == nil, nil
}

func (s *Service) revokeAtGoogle(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Google.Revoke,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	resp.Body.Close()
	// 400 invalid_token: already revoked at Google, which is what we wanted.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("revoke: status %d", resp.StatusCode)
	}
	return nil
}
