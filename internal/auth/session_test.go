package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.create(newUser("ada", auth.AgentProfileID))
	dirUser := newUser("dan", auth.AgentProfileID)
	dirUser.Password, dirUser.DirectoryUserID = "", "dir-dan"
	e.create(dirUser)
	tests := []struct {
		name string
		in   auth.LoginInput
		want fault.Code
	}{
		{"only instance", auth.LoginInput{Username: "ada", Password: password}, 0},
		{"by ID", auth.LoginInput{Instance: inst, Username: "ada", Password: password}, 0},
		{"by alias", auth.LoginInput{Instance: "acme", Username: "ada", Password: password}, 0},
		{"wrong password", auth.LoginInput{Username: "ada", Password: "Secret124"}, fault.AccessDenied},
		{"empty password", auth.LoginInput{Username: "ada"}, fault.AccessDenied},
		{"unknown user", auth.LoginInput{Username: "bob", Password: password}, fault.AccessDenied},
		{"username is case-sensitive", auth.LoginInput{Username: "Ada", Password: password}, fault.AccessDenied},
		{"unknown instance", auth.LoginInput{Instance: "nope", Username: "ada", Password: password}, fault.AccessDenied},
		{"directory user without password", auth.LoginInput{Username: "dan"}, fault.AccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.dir.Login(ctx, tt.in)
			wantCode(t, "Login", err, tt.want)
			if err != nil {
				if msg := err.Error(); tt.want == fault.AccessDenied && msg != "invalid username or password" {
					t.Fatalf("Login: message %q tells more than invalid username or password", msg)
				}
				return
			}
			if s.Token == "" || s.CSRF == "" || s.Token == s.CSRF || s.InstanceID != inst || s.User.Username != "ada" ||
				!s.ExpiresAt.Equal(e.clock.Now().Add(auth.SessionTTL)) {
				t.Fatalf("Login: got %+v", s)
			}
		})
	}
}

func TestLoginNeedsInstanceWhenSeveral(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	err := e.st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: "i2", Alias: "other", Region: "us-east-1", CreatedAt: e.clock.Now()},
			AccessKey: store.AccessKey{ID: "AK2", InstanceID: "i2", Secret: "s", CreatedAt: e.clock.Now()},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.dir.Login(ctx, auth.LoginInput{Username: "admin", Password: password})
	wantCode(t, "Login without instance", err, fault.InvalidRequest)
	_, err = e.dir.Login(ctx, auth.LoginInput{Instance: "acme", Username: "admin", Password: password})
	wantCode(t, "Login with alias", err, 0)
	_, err = e.dir.Login(ctx, auth.LoginInput{Instance: "other", Username: "admin", Password: password})
	wantCode(t, "Login into the instance without that user", err, fault.AccessDenied)
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	u := e.create(newUser("ada", auth.AgentProfileID))
	s, err := e.dir.Login(ctx, auth.LoginInput{Username: "ada", Password: password, ClientIP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}

	info, err := e.dir.Authenticate(ctx, s.Token)
	if err != nil || info.InstanceID != inst || info.User.ID != u.ID || info.CSRF != s.CSRF || !info.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("Authenticate: got %+v, %v", info, err)
	}
	if info.User.PasswordHash == "" {
		t.Fatal("Authenticate: the user is incomplete")
	}
	if !info.CheckCSRF(s.CSRF) || info.CheckCSRF("") || info.CheckCSRF(s.Token) {
		t.Fatal("CheckCSRF accepts the wrong token or refuses the right one")
	}
	for _, bad := range []string{"", "nope", s.CSRF} {
		_, err := e.dir.Authenticate(ctx, bad)
		wantCode(t, "Authenticate("+bad+")", err, fault.AccessDenied)
	}

	// A change of the user shows at once on this node despite the cache.
	if err := e.dir.UpdateUserSecurityProfiles(ctx, inst, u.ID, []string{auth.CallCenterManagerProfileID}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.dir.Authenticate(ctx, s.Token); len(info.User.SecurityProfileIDs) != 1 || info.User.SecurityProfileIDs[0] != auth.CallCenterManagerProfileID {
		t.Fatalf("Authenticate after a change: got profiles %v", info.User.SecurityProfileIDs)
	}

	// Expiry holds even for a cached session.
	e.clock.Advance(auth.SessionTTL - time.Second)
	if _, err := e.dir.Authenticate(ctx, s.Token); err != nil {
		t.Fatalf("Authenticate a second before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err = e.dir.Authenticate(ctx, s.Token)
	wantCode(t, "Authenticate at expiry", err, fault.AccessDenied)
	if n, err := e.dir.SweepSessions(ctx); err != nil || n != 1 {
		t.Fatalf("SweepSessions: got %d, %v; want 1", n, err)
	}

	// Logout ends a session at once; a second logout is no error.
	s2, err := e.dir.Login(ctx, auth.LoginInput{Username: "ada", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dir.Authenticate(ctx, s2.Token); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Logout", e.dir.Logout(ctx, s2.Token), 0)
	_, err = e.dir.Authenticate(ctx, s2.Token)
	wantCode(t, "Authenticate after logout", err, fault.AccessDenied)
	wantCode(t, "Logout again", e.dir.Logout(ctx, s2.Token), 0)

	// Deleting the user ends their sessions.
	s3, err := e.dir.Login(ctx, auth.LoginInput{Username: "ada", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dir.Authenticate(ctx, s3.Token); err != nil {
		t.Fatal(err)
	}
	if err := e.dir.DeleteUser(ctx, inst, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.dir.Authenticate(ctx, s3.Token)
	wantCode(t, "Authenticate after DeleteUser", err, fault.AccessDenied)
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.create(newUser("ada", auth.AgentProfileID))
	login := func(pw, ip string) error {
		_, err := e.dir.Login(ctx, auth.LoginInput{Username: "ada", Password: pw, ClientIP: ip})
		return err
	}
	for range auth.LoginFailures {
		wantCode(t, "wrong password", login("Wrong1234", "192.0.2.1"), fault.AccessDenied)
		e.clock.Advance(time.Second)
	}
	wantCode(t, "right password while limited", login(password, "192.0.2.1"), fault.LimitExceeded)
	wantCode(t, "wrong password while limited", login("Wrong1234", "192.0.2.1"), fault.LimitExceeded)
	wantCode(t, "another address", login(password, "192.0.2.2"), 0)

	// The limit lifts once the oldest failure is LoginWindow old.
	e.clock.Advance(auth.LoginWindow - time.Duration(auth.LoginFailures)*time.Second)
	wantCode(t, "after the window", login(password, "192.0.2.1"), 0)
	// A success forgets the failures.
	for range auth.LoginFailures - 1 {
		wantCode(t, "wrong password", login("Wrong1234", "192.0.2.1"), fault.AccessDenied)
	}
	wantCode(t, "right password after nine failures", login(password, "192.0.2.1"), 0)
}
