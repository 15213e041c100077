package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Workspace session rules.
const (
	// SessionTTL is a session's absolute lifetime: it is not extended by
	// use, so a shift's login lasts the shift and no more.
	SessionTTL = 12 * time.Hour
	// LoginFailures failed logins of one username from one client address
	// within LoginWindow block further attempts, right or wrong, until the
	// oldest of them is LoginWindow old.
	LoginFailures = 10
	LoginWindow   = 5 * time.Minute

	sessionCacheTTL = 30 * time.Second
	sessionCacheMax = 100_000
	limiterMax      = 100_000
)

// LoginInput is a workspace login.
type LoginInput struct {
	// Instance is the instance's ID or alias. It may be empty when the
	// store has exactly one instance.
	Instance string
	Username string
	Password string
	// ClientIP is the caller's address, for the failed-login limit.
	ClientIP string
}

// Session is a new workspace session. Token goes to the browser (as a
// cookie); only its SHA-256 is stored. CSRF is the value the
// workspace's state-changing requests must echo.
type Session struct {
	Token      string
	CSRF       string
	InstanceID string
	User       User
	ExpiresAt  time.Time
}

// SessionInfo is who an authenticated session token belongs to.
type SessionInfo struct {
	InstanceID string
	User       User
	CSRF       string
	ExpiresAt  time.Time
}

// CheckCSRF reports, in constant time, whether token is the session's
// CSRF token.
func (s SessionInfo) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

func invalidLogin() error {
	return fault.Errorf(fault.AccessDenied, "invalid username or password")
}

func sessionDenied() error {
	return fault.Errorf(fault.AccessDenied, "not logged in or the session expired")
}

// Login checks a username and password and opens a session of 12 hours.
// A wrong username, a wrong password and an unknown instance are the same
// AccessDenied error and cost the same time (a missing user's password
// is checked against a dummy hash). After LoginFailures failures of one
// username from one ClientIP within LoginWindow, Login answers
// LimitExceeded without checking the password.
func (d *Directory) Login(ctx context.Context, in LoginInput) (Session, error) {
	instanceID, err := d.resolveInstance(ctx, in.Instance)
	if err != nil {
		return Session{}, err
	}
	key := instanceID + "\x00" + in.Username + "\x00" + in.ClientIP
	now := d.clock()
	if d.limiter.blocked(key, now) {
		return Session{}, fault.Errorf(fault.LimitExceeded, "too many failed logins; try again later")
	}
	var u User
	hash := ""
	if instanceID != "" && in.Username != "" {
		u, err = d.UserByName(ctx, instanceID, in.Username)
		var fe *fault.Error
		if err != nil && !(errors.As(err, &fe) && fe.Code == fault.NotFound) {
			return Session{}, fmt.Errorf("login: %w", err)
		}
		hash = u.PasswordHash
	}
	ok, err := d.checkPassword(ctx, hash, in.Password)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		d.limiter.fail(key, now)
		d.log.Info("failed login", "instance_id", instanceID, "username", in.Username, "client_ip", in.ClientIP)
		return Session{}, invalidLogin()
	}
	d.limiter.reset(key)

	s := Session{Token: randomToken(), CSRF: randomToken(), InstanceID: instanceID, User: u, ExpiresAt: now.Add(SessionTTL)}
	err = d.st.Write(ctx, func(tx store.Tx) error {
		return tx.InsertSession(store.Session{Hash: hashToken(s.Token), InstanceID: instanceID, UserID: u.ID,
			CSRF: s.CSRF, CreatedAt: now, ExpiresAt: s.ExpiresAt})
	})
	if err != nil {
		return Session{}, fmt.Errorf("login: store session: %w", err)
	}
	d.log.Info("login", "instance_id", instanceID, "user_id", u.ID)
	return s, nil
}

// resolveInstance finds the instance a login names by ID or alias, or the
// only one. An unknown one resolves to "" (the login then fails like a
// wrong password, so the login page does not tell which instances exist).
func (d *Directory) resolveInstance(ctx context.Context, ref string) (string, error) {
	if ref != "" {
		inst, err := d.st.GetInstance(ctx, ref)
		if err == nil {
			return inst.ID, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("login: %w", err)
		}
	}
	insts, err := d.st.ListInstances(ctx)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	if ref == "" {
		switch len(insts) {
		case 0:
			return "", nil
		case 1:
			return insts[0].ID, nil
		default:
			return "", fault.Errorf(fault.InvalidRequest, "instance is required: this server has several instances")
		}
	}
	for _, inst := range insts {
		if inst.Alias == ref {
			return inst.ID, nil
		}
	}
	return "", nil
}

// checkPassword checks password against hash, or against a dummy hash
// when there is none, so that a missing user costs as long as a wrong
// password. At most a few checks run at once.
func (d *Directory) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	d.dummyOnce.Do(func() {
		var err error
		if d.dummyHash, err = HashPassword(randomToken()); err != nil {
			d.log.Error("dummy password hash", "err", err)
		}
	})
	select {
	case d.checks <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-d.checks }()
	if hash == "" {
		CheckPassword(d.dummyHash, password)
		return false, nil
	}
	return CheckPassword(hash, password), nil
}

// Authenticate returns who a session token belongs to. Any problem
// (unknown token, expired session, user deleted) is AccessDenied.
// Lookups are cached on this node for up to 30 seconds; a logout or a
// change of the user on another node takes at most that long to apply
// here. Expiry is checked on every call.
func (d *Directory) Authenticate(ctx context.Context, token string) (SessionInfo, error) {
	if token == "" {
		return SessionInfo{}, sessionDenied()
	}
	hash := hashToken(token)
	now := d.clock()
	info, ok := d.sessions.get(hash, now)
	if !ok {
		s, err := d.st.LookupSession(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return SessionInfo{}, sessionDenied()
		} else if err != nil {
			return SessionInfo{}, fmt.Errorf("authenticate: %w", err)
		}
		if !now.Before(s.ExpiresAt) {
			return SessionInfo{}, sessionDenied()
		}
		u, err := d.User(ctx, s.InstanceID, s.UserID)
		var fe *fault.Error
		if errors.As(err, &fe) && fe.Code == fault.NotFound {
			return SessionInfo{}, sessionDenied()
		} else if err != nil {
			return SessionInfo{}, fmt.Errorf("authenticate: %w", err)
		}
		info = SessionInfo{InstanceID: s.InstanceID, User: u, CSRF: s.CSRF, ExpiresAt: s.ExpiresAt}
		d.sessions.put(hash, info, now)
	}
	if !now.Before(info.ExpiresAt) {
		return SessionInfo{}, sessionDenied()
	}
	// The cached user is shared: hand out copies of what can be mutated.
	info.User.SecurityProfileIDs = slices.Clone(info.User.SecurityProfileIDs)
	info.User.Tags = maps.Clone(info.User.Tags)
	return info, nil
}

// Logout ends a session. An unknown token is not an error.
func (d *Directory) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	hash := hashToken(token)
	err := d.st.Write(ctx, func(tx store.Tx) error { return tx.DeleteSession(hash) })
	d.sessions.remove(hash)
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// SweepSessions deletes expired sessions and forgets failed logins older
// than LoginWindow. Run it now and then (every few minutes); it returns
// how many sessions went.
func (d *Directory) SweepSessions(ctx context.Context) (int, error) {
	now := d.clock()
	d.limiter.sweep(now)
	var n int
	err := d.st.Write(ctx, func(tx store.Tx) error {
		var err error
		// A session is over at its ExpiresAt; the store deletes those
		// strictly before the time given, and times are milliseconds.
		n, err = tx.DeleteExpiredSessions(now.Add(time.Millisecond))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sweep sessions: %w", err)
	}
	return n, nil
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// sessionCache keeps recent session lookups of this node for a short
// while, sparing the store two reads on every workspace call.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	info  SessionInfo
	until time.Time
}

func (c *sessionCache) get(hash []byte, now time.Time) (SessionInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(hash)]
	if !ok || !now.Before(e.until) {
		return SessionInfo{}, false
	}
	return e.info, true
}

func (c *sessionCache) put(hash []byte, info SessionInfo, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCacheMax {
		c.m = make(map[string]cachedSession) // crude but bounded: start over
	}
	c.m[string(hash)] = cachedSession{info: info, until: now.Add(sessionCacheTTL)}
}

func (c *sessionCache) remove(hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, string(hash))
}

// clear forgets every cached session: users change rarely, and a user's
// change must not wait for the cache to lapse on the node that made it.
func (c *sessionCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// loginLimiter counts recent failed logins per key (instance, username,
// client address). It is per node: behind a load balancer spreading one
// client over n nodes the limit is n times higher.
type loginLimiter struct {
	mu sync.Mutex
	m  map[string][]time.Time // up to LoginFailures failure times, oldest first
}

func (l *loginLimiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	return len(f) >= LoginFailures && now.Sub(f[0]) < LoginWindow
}

func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string][]time.Time)
	}
	if _, ok := l.m[key]; !ok && len(l.m) >= limiterMax {
		l.sweepLocked(now)
		if len(l.m) >= limiterMax {
			// Unreachable in practice: password checks are rate-bounded
			// far below limiterMax per window.
			l.m = make(map[string][]time.Time)
		}
	}
	f := append(l.m[key], now)
	if len(f) > LoginFailures {
		f = f[len(f)-LoginFailures:]
	}
	l.m[key] = f
}

func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}

func (l *loginLimiter) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
}

func (l *loginLimiter) sweepLocked(now time.Time) {
	for k, f := range l.m {
		if now.Sub(f[len(f)-1]) >= LoginWindow {
			delete(l.m, k)
		}
	}
}
