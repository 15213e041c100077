package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a directory over a real SQLite store with one instance ("i1",
// alias "acme") that has a routing profile ("rp1") and an admin user.
type env struct {
	t     *testing.T
	dir   *auth.Directory
	st    store.Store
	clock *clock
	admin auth.User
}

const (
	inst     = "i1"
	rp       = "rp1"
	password = "Secret123"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: inst, Alias: "acme", Region: "us-east-1", CreatedAt: clk.Now()},
			AccessKey: store.AccessKey{ID: "AK1", InstanceID: inst, Secret: "s", CreatedAt: clk.Now()},
			Resources: []store.Resource{{InstanceID: inst, Kind: store.KindRoutingProfile, ID: rp, Name: "Basic",
				Body: []byte(`{"Id":"rp1","Name":"Basic"}`), CreatedAt: clk.Now(), UpdatedAt: clk.Now()}},
		})
	})
	if err != nil {
		t.Fatalf("create instance: %v", err)
	}
	e := &env{t: t, st: st, clock: clk, dir: auth.NewDirectory(st, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	e.admin = e.create(newUser("admin", auth.AdminProfileID))
	return e
}

func newUser(name string, profiles ...string) auth.NewUser {
	return auth.NewUser{Username: name, Password: password, PhoneConfig: &auth.PhoneConfig{PhoneType: auth.SoftPhone},
		SecurityProfileIDs: profiles, RoutingProfileID: rp}
}

func (e *env) create(nu auth.NewUser) auth.User {
	e.t.Helper()
	u, err := e.dir.CreateUser(context.Background(), inst, nu)
	if err != nil {
		e.t.Fatalf("CreateUser(%s): %v", nu.Username, err)
	}
	return u
}

// codeOf returns the fault code of err (0 for nil or a non-fault error).
func codeOf(err error) fault.Code {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return 0
}

func wantCode(t *testing.T, what string, err error, want fault.Code) {
	t.Helper()
	if got := codeOf(err); got != want || (want == 0 && err != nil) {
		t.Fatalf("%s: got error %v (code %d), want code %d", what, err, got, want)
	}
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = auth.AgentProfileID
	}
	tests := []struct {
		name   string
		change func(*auth.NewUser)
		want   fault.Code
	}{
		{"valid", func(*auth.NewUser) {}, 0},
		{"valid with everything", func(u *auth.NewUser) {
			u.IdentityInfo = auth.IdentityInfo{FirstName: "Ada", LastName: "L", Email: "ada@example.com", Mobile: "+12065550100"}
			u.PhoneConfig = &auth.PhoneConfig{PhoneType: auth.DeskPhone, DeskPhoneNumber: "+12065550101", AutoAccept: true, AfterContactWorkTimeLimit: 30}
			u.Tags = map[string]string{"team": "blue"}
		}, 0},
		{"directory user without password", func(u *auth.NewUser) { u.Password, u.DirectoryUserID = "", "dir-1" }, 0},
		{"empty username", func(u *auth.NewUser) { u.Username = "" }, fault.InvalidParameter},
		{"username with a space", func(u *auth.NewUser) { u.Username = "a b" }, fault.InvalidParameter},
		{"username too long", func(u *auth.NewUser) { u.Username = strings.Repeat("a", 65) }, fault.InvalidParameter},
		{"no password", func(u *auth.NewUser) { u.Password = "" }, fault.InvalidParameter},
		{"password too short", func(u *auth.NewUser) { u.Password = "Abc1234" }, fault.InvalidParameter},
		{"password too long", func(u *auth.NewUser) { u.Password = "Ab1" + strings.Repeat("x", 62) }, fault.InvalidParameter},
		{"password without uppercase", func(u *auth.NewUser) { u.Password = "secret123" }, fault.InvalidParameter},
		{"password without lowercase", func(u *auth.NewUser) { u.Password = "SECRET123" }, fault.InvalidParameter},
		{"password without digit", func(u *auth.NewUser) { u.Password = "SecretSecret" }, fault.InvalidParameter},
		{"password with space", func(u *auth.NewUser) { u.Password = "Secret 123" }, fault.InvalidParameter},
		{"no security profile", func(u *auth.NewUser) { u.SecurityProfileIDs = nil }, fault.InvalidParameter},
		{"eleven security profiles", func(u *auth.NewUser) { u.SecurityProfileIDs = eleven }, fault.InvalidParameter},
		{"unknown security profile", func(u *auth.NewUser) { u.SecurityProfileIDs = []string{"nope"} }, fault.NotFound},
		{"no routing profile", func(u *auth.NewUser) { u.RoutingProfileID = "" }, fault.InvalidParameter},
		{"unknown routing profile", func(u *auth.NewUser) { u.RoutingProfileID = "nope" }, fault.NotFound},
		{"no phone type", func(u *auth.NewUser) { u.PhoneConfig = &auth.PhoneConfig{} }, fault.InvalidParameter},
		{"bad phone type", func(u *auth.NewUser) { u.PhoneConfig = &auth.PhoneConfig{PhoneType: "CELL"} }, fault.InvalidParameter},
		{"desk phone without number", func(u *auth.NewUser) { u.PhoneConfig = &auth.PhoneConfig{PhoneType: auth.DeskPhone} }, fault.InvalidParameter},
		{"negative ACW limit", func(u *auth.NewUser) {
			u.PhoneConfig = &auth.PhoneConfig{PhoneType: auth.SoftPhone, AfterContactWorkTimeLimit: -1}
		}, fault.InvalidParameter},
		{"bad email", func(u *auth.NewUser) { u.IdentityInfo.Email = "not-an-address" }, fault.InvalidParameter},
		{"bad mobile", func(u *auth.NewUser) { u.IdentityInfo.Mobile = "555-0100" }, fault.InvalidParameter},
		{"reserved tag", func(u *auth.NewUser) { u.Tags = map[string]string{"aws:x": "y"} }, fault.InvalidParameter},
		{"duplicate username", func(u *auth.NewUser) { u.Username = "admin" }, fault.Duplicate},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nu := newUser(fmt.Sprintf("user%d", i), auth.AgentProfileID)
			tt.change(&nu)
			_, err := e.dir.CreateUser(context.Background(), inst, nu)
			wantCode(t, "CreateUser", err, tt.want)
		})
	}
}

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	type change struct {
		username string
		rp       string
		deleted  bool
	}
	var changes []change
	e.dir.OnUserChanged = func(tx store.Tx, _ string, u auth.User, deleted bool) error {
		changes = append(changes, change{u.Username, u.RoutingProfileID, deleted})
		return nil
	}
	err := e.st.Write(ctx, func(tx store.Tx) error {
		return tx.PutResource(store.Resource{InstanceID: inst, Kind: store.KindRoutingProfile, ID: "rp2", Name: "Other",
			Body: []byte(`{"Id":"rp2","Name":"Other"}`), CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}

	u := e.create(newUser("ada", auth.AgentProfileID))
	got, err := e.dir.User(ctx, inst, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got.Username != "ada" || got.RoutingProfileID != rp || !slices.Equal(got.SecurityProfileIDs, []string{auth.AgentProfileID}) {
		t.Fatalf("User: got %+v", got)
	}
	if !auth.CheckPassword(got.PasswordHash, password) {
		t.Fatalf("User: stored hash %q does not check the password", got.PasswordHash)
	}
	if byName, err := e.dir.UserByName(ctx, inst, "ada"); err != nil || byName.ID != u.ID {
		t.Fatalf("UserByName: got %+v, %v", byName, err)
	}
	if _, err := e.dir.User(ctx, "other-instance", u.ID); codeOf(err) != fault.NotFound {
		t.Fatalf("User of another instance: got %v, want NotFound", err)
	}

	e.clock.Advance(time.Minute)
	wantCode(t, "UpdateUserRoutingProfile unknown", e.dir.UpdateUserRoutingProfile(ctx, inst, u.ID, "nope"), fault.NotFound)
	wantCode(t, "UpdateUserRoutingProfile", e.dir.UpdateUserRoutingProfile(ctx, inst, u.ID, "rp2"), 0)
	wantCode(t, "UpdateUserPhoneConfig", e.dir.UpdateUserPhoneConfig(ctx, inst, u.ID, auth.PhoneConfig{PhoneType: auth.SoftPhone, AutoAccept: true, AfterContactWorkTimeLimit: 60}), 0)
	wantCode(t, "UpdateUserPhoneConfig bad", e.dir.UpdateUserPhoneConfig(ctx, inst, u.ID, auth.PhoneConfig{PhoneType: "X"}), fault.InvalidParameter)
	wantCode(t, "UpdateUserIdentityInfo", e.dir.UpdateUserIdentityInfo(ctx, inst, u.ID, auth.IdentityInfo{FirstName: "Ada"}), 0)
	wantCode(t, "UpdateUserSecurityProfiles", e.dir.UpdateUserSecurityProfiles(ctx, inst, u.ID, []string{auth.AgentProfileID, auth.CallCenterManagerProfileID}), 0)
	wantCode(t, "UpdateUserSecurityProfiles unknown", e.dir.UpdateUserSecurityProfiles(ctx, inst, u.ID, []string{"nope"}), fault.NotFound)
	wantCode(t, "UpdateUserRoutingProfile of unknown user", e.dir.UpdateUserRoutingProfile(ctx, inst, "nobody", rp), fault.NotFound)
	got, _ = e.dir.User(ctx, inst, u.ID)
	if got.RoutingProfileID != "rp2" || !got.PhoneConfig.AutoAccept || got.PhoneConfig.AfterContactWorkTimeLimit != 60 ||
		got.IdentityInfo.FirstName != "Ada" || len(got.SecurityProfileIDs) != 2 || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("after updates: got %+v", got)
	}
	if !auth.CheckPassword(got.PasswordHash, password) {
		t.Fatal("updates lost the password hash")
	}

	if _, err := e.dir.Login(ctx, auth.LoginInput{Username: "ada", Password: password}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	wantCode(t, "DeleteUser", e.dir.DeleteUser(ctx, inst, u.ID), 0)
	wantCode(t, "DeleteUser again", e.dir.DeleteUser(ctx, inst, u.ID), fault.NotFound)
	if _, err := e.dir.User(ctx, inst, u.ID); codeOf(err) != fault.NotFound {
		t.Fatalf("User after delete: got %v, want NotFound", err)
	}
	if n, err := e.dir.SweepSessions(ctx); err != nil || n != 0 {
		t.Fatalf("SweepSessions after DeleteUser: got %d, %v; want 0 (the user's sessions went with them)", n, err)
	}

	// Create, the four successful updates, delete; failed calls stop
	// before the hook.
	want := []change{{"ada", rp, false}, {"ada", "rp2", false}, {"ada", "rp2", false},
		{"ada", "rp2", false}, {"ada", "rp2", false}, {"ada", "rp2", true}}
	if !slices.Equal(changes, want) {
		t.Fatalf("OnUserChanged calls: got %+v, want %+v", changes, want)
	}
}

func TestOnUserChangedErrorAborts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	boom := errors.New("boom")
	e.dir.OnUserChanged = func(store.Tx, string, auth.User, bool) error { return boom }
	if _, err := e.dir.CreateUser(ctx, inst, newUser("ada", auth.AgentProfileID)); !errors.Is(err, boom) {
		t.Fatalf("CreateUser with a failing hook: got %v, want %v", err, boom)
	}
	if _, err := e.dir.UserByName(ctx, inst, "ada"); codeOf(err) != fault.NotFound {
		t.Fatalf("user created despite the hook's error: %v", err)
	}
}

func TestLastAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	wantCode(t, "DeleteUser of the last admin", e.dir.DeleteUser(ctx, inst, e.admin.ID), fault.InvalidRequest)
	wantCode(t, "demoting the last admin", e.dir.UpdateUserSecurityProfiles(ctx, inst, e.admin.ID, []string{auth.AgentProfileID}), fault.InvalidRequest)
	wantCode(t, "keeping Admin among others", e.dir.UpdateUserSecurityProfiles(ctx, inst, e.admin.ID, []string{auth.AgentProfileID, auth.AdminProfileID}), 0)
	second := e.create(newUser("boss", auth.AdminProfileID))
	wantCode(t, "DeleteUser of one of two admins", e.dir.DeleteUser(ctx, inst, e.admin.ID), 0)
	wantCode(t, "DeleteUser of the new last admin", e.dir.DeleteUser(ctx, inst, second.ID), fault.InvalidRequest)
}

func TestUsersPaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"dora", "bob", "carl", "eve"} {
		e.create(newUser(name, auth.AgentProfileID))
	}
	var names []string
	p := auth.Page{MaxResults: 2}
	for pages := 0; ; pages++ {
		users, next, err := e.dir.Users(ctx, inst, p)
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		for _, u := range users {
			names = append(names, u.Username)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("Users: paging does not end")
		}
		p.NextToken = next
	}
	if want := []string{"admin", "bob", "carl", "dora", "eve"}; !slices.Equal(names, want) {
		t.Fatalf("Users pages: got %v, want %v", names, want)
	}
	tests := []struct {
		name string
		page auth.Page
		want fault.Code
	}{
		{"default size", auth.Page{}, 0},
		{"max size", auth.Page{MaxResults: 1000}, 0},
		{"too many", auth.Page{MaxResults: 1001}, fault.InvalidParameter},
		{"negative", auth.Page{MaxResults: -1}, fault.InvalidParameter},
		{"garbage token", auth.Page{NextToken: "%%%"}, fault.InvalidParameter},
		{"another list's token", auth.Page{NextToken: "c2VjdXJpdHktcHJvZmlsZXMAQQ"}, fault.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.dir.Users(ctx, inst, tt.page)
			wantCode(t, "Users", err, tt.want)
		})
	}
}

func TestSecurityProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	sp, err := e.dir.CreateSecurityProfile(ctx, inst, auth.NewSecurityProfile{Name: "Supervisors",
		Permissions: []string{auth.PermManagerListenIn, auth.PermBasicAgentAccess, auth.PermManagerListenIn}})
	if err != nil {
		t.Fatalf("CreateSecurityProfile: %v", err)
	}
	tests := []struct {
		name string
		in   auth.NewSecurityProfile
		want fault.Code
	}{
		{"duplicate name", auth.NewSecurityProfile{Name: "Supervisors"}, fault.Duplicate},
		{"built-in name", auth.NewSecurityProfile{Name: "Admin"}, fault.Duplicate},
		{"empty name", auth.NewSecurityProfile{Name: ""}, fault.InvalidParameter},
		{"name too long", auth.NewSecurityProfile{Name: strings.Repeat("a", 128)}, fault.InvalidParameter},
		{"name with a slash", auth.NewSecurityProfile{Name: "a/b"}, fault.InvalidParameter},
		{"unknown permission", auth.NewSecurityProfile{Name: "x", Permissions: []string{"Fly"}}, fault.InvalidParameter},
		{"long description", auth.NewSecurityProfile{Name: "x", Description: strings.Repeat("d", 251)}, fault.InvalidParameter},
		{"no permissions", auth.NewSecurityProfile{Name: "Nothing"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.dir.CreateSecurityProfile(ctx, inst, tt.in)
			wantCode(t, "CreateSecurityProfile", err, tt.want)
		})
	}

	got, err := e.dir.SecurityProfile(ctx, inst, sp.ID)
	if err != nil || got.Name != "Supervisors" || !slices.Equal(got.Permissions, []string{auth.PermBasicAgentAccess, auth.PermManagerListenIn}) {
		t.Fatalf("SecurityProfile: got %+v, %v", got, err)
	}
	admin, err := e.dir.SecurityProfile(ctx, inst, auth.AdminProfileID)
	if err != nil || admin.Name != "Admin" || !admin.Builtin || !slices.Equal(admin.Permissions, auth.AllPermissions) {
		t.Fatalf("SecurityProfile(Admin): got %+v, %v", admin, err)
	}
	all, next, err := e.dir.SecurityProfiles(ctx, inst, auth.Page{})
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	if want := []string{"Admin", "Agent", "CallCenterManager", "Nothing", "Supervisors"}; err != nil || next != "" || !slices.Equal(names, want) {
		t.Fatalf("SecurityProfiles: got %v %q %v, want %v", names, next, err, want)
	}
	perms, next, _, err := e.dir.SecurityProfilePermissions(ctx, inst, auth.AdminProfileID, auth.Page{MaxResults: 3})
	if err != nil || len(perms) != 3 || next == "" {
		t.Fatalf("SecurityProfilePermissions page 1: got %v %q %v", perms, next, err)
	}

	wantCode(t, "UpdateSecurityProfile built-in", e.dir.UpdateSecurityProfile(ctx, inst, auth.AgentProfileID, auth.SecurityProfileUpdate{Permissions: []string{}}), fault.InvalidRequest)
	wantCode(t, "DeleteSecurityProfile built-in", e.dir.DeleteSecurityProfile(ctx, inst, auth.AdminProfileID), fault.InvalidRequest)
	wantCode(t, "UpdateSecurityProfile unknown permission", e.dir.UpdateSecurityProfile(ctx, inst, sp.ID, auth.SecurityProfileUpdate{Permissions: []string{"Fly"}}), fault.InvalidParameter)
	wantCode(t, "UpdateSecurityProfile unknown", e.dir.UpdateSecurityProfile(ctx, inst, "nope", auth.SecurityProfileUpdate{}), fault.NotFound)

	u := e.create(newUser("sue", sp.ID))
	can := func(perm string) bool {
		t.Helper()
		u, err := e.dir.User(ctx, inst, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := e.dir.Can(ctx, inst, u, perm)
		if err != nil {
			t.Fatalf("Can(%s): %v", perm, err)
		}
		return ok
	}
	if !can(auth.PermManagerListenIn) || can(auth.PermManagerBargeIn) {
		t.Fatal("Can: Supervisors should allow ManagerListenIn and not ManagerBargeIn")
	}
	desc := "now with barge"
	wantCode(t, "UpdateSecurityProfile", e.dir.UpdateSecurityProfile(ctx, inst, sp.ID, auth.SecurityProfileUpdate{
		Description: &desc, Permissions: []string{auth.PermManagerBargeIn}}), 0)
	if can(auth.PermManagerListenIn) || !can(auth.PermManagerBargeIn) {
		t.Fatal("Can after update: want ManagerBargeIn only")
	}
	wantCode(t, "UpdateUserSecurityProfiles", e.dir.UpdateUserSecurityProfiles(ctx, inst, u.ID, []string{sp.ID, auth.CallCenterManagerProfileID}), 0)
	if !can(auth.PermUsersCreate) || can(auth.PermSecurityProfilesEdit) || can(auth.PermUsersEditPermission) {
		t.Fatal("Can with CallCenterManager: want Users.Create but neither SecurityProfiles.Edit nor Users.EditPermission")
	}

	wantCode(t, "DeleteSecurityProfile in use", e.dir.DeleteSecurityProfile(ctx, inst, sp.ID), fault.InUse)
	wantCode(t, "UpdateUserSecurityProfiles", e.dir.UpdateUserSecurityProfiles(ctx, inst, u.ID, []string{auth.AgentProfileID}), 0)
	wantCode(t, "DeleteSecurityProfile", e.dir.DeleteSecurityProfile(ctx, inst, sp.ID), 0)
	wantCode(t, "DeleteSecurityProfile again", e.dir.DeleteSecurityProfile(ctx, inst, sp.ID), fault.NotFound)
}

func TestBuiltinPermissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	tests := []struct {
		profile string
		perm    string
		want    bool
	}{
		{auth.AdminProfileID, auth.PermSecurityProfilesEdit, true},
		{auth.AdminProfileID, auth.PermBasicAgentAccess, true},
		{auth.CallCenterManagerProfileID, auth.PermManagerBargeIn, true},
		{auth.CallCenterManagerProfileID, auth.PermAccessMetrics, true},
		{auth.CallCenterManagerProfileID, auth.PermSecurityProfilesCreate, false},
		{auth.CallCenterManagerProfileID, auth.PermUsersEditPermission, false},
		{auth.CallCenterManagerProfileID, auth.PermSecurityProfilesView, true},
		{auth.AgentProfileID, auth.PermBasicAgentAccess, true},
		{auth.AgentProfileID, auth.PermAccessMetrics, false},
		{"gone", auth.PermBasicAgentAccess, false},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.perm, func(t *testing.T) {
			got, err := e.dir.Can(ctx, inst, auth.User{SecurityProfileIDs: []string{tt.profile}}, tt.perm)
			if err != nil || got != tt.want {
				t.Fatalf("Can: got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
