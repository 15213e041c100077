package connect_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/api/connect"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/auth/sigv4"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// newDirectoryServer serves the Connect API with a directory over two
// instances, i1 and i2, each with routing profiles rp1 and rp2 and an
// admin user; it returns the server and i1's admin user ID.
func newDirectoryServer(t *testing.T) (*server, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := auth.NewDirectory(st, time.Now, log)
	var adminID string
	for _, id := range []string{"i1", "i2"} {
		err = st.Write(ctx, func(tx store.Tx) error {
			var rps []store.Resource
			for _, rp := range []string{"rp1", "rp2"} {
				rps = append(rps, store.Resource{InstanceID: id, Kind: store.KindRoutingProfile, ID: rp, Name: rp,
					Body: []byte(`{"Id":"` + rp + `","Name":"` + rp + `"}`), CreatedAt: now, UpdatedAt: now})
			}
			return tx.CreateInstance(store.NewInstance{
				Instance:  store.Instance{ID: id, Region: region, CreatedAt: now},
				AccessKey: store.AccessKey{ID: "AK" + id, InstanceID: id, Secret: "secret-" + id, CreatedAt: now},
				Resources: rps,
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := dir.CreateUser(ctx, id, auth.NewUser{Username: "admin", Password: "Admin1234", RoutingProfileID: "rp1",
			SecurityProfileIDs: []string{auth.AdminProfileID}, PhoneConfig: &auth.PhoneConfig{PhoneType: auth.SoftPhone}})
		if err != nil {
			t.Fatal(err)
		}
		if id == "i1" {
			adminID = admin.ID
		}
	}
	mux := http.NewServeMux()
	connect.New(connect.Deps{Directory: dir, Auth: auth.SigV4(st, region, time.Now), Region: region, Log: log}).Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &server{t: t, url: ts.URL, signer: sigv4.Signer{
		Credentials: sigv4.Credentials{AccessKeyID: "AKi1", SecretAccessKey: "secret-i1"}, Region: region, Service: "connect"}}, adminID
}

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	s, adminID := newDirectoryServer(t)
	call := func(method, path string, body any) response {
		t.Helper()
		return s.do(s.signer, time.Now(), method, path, body)
	}
	userBody := func(name, password string, extra map[string]any) map[string]any {
		b := map[string]any{"Username": name, "Password": password, "RoutingProfileId": "rp1",
			"SecurityProfileIds": []string{auth.AgentProfileID}, "PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}

	created := call("PUT", "/users/i1", userBody("ada", "Secret123", map[string]any{
		"IdentityInfo": map[string]any{"FirstName": "Ada", "Email": "ada@example.com"}, "Tags": map[string]string{"team": "blue"}}))
	userID, _ := created.body["UserId"].(string)
	if created.status != 200 || userID == "" ||
		created.body["UserArn"] != "arn:aws:connect:"+region+":000000000000:instance/i1/agent/"+userID {
		t.Fatalf("CreateUser: %d %v", created.status, created.body)
	}
	userARN := url.PathEscape(created.body["UserArn"].(string))

	sp := call("PUT", "/security-profiles/i1", map[string]any{"SecurityProfileName": "Supervisors", "Description": "watch",
		"Permissions": []string{"ManagerListenIn", "BasicAgentAccess"}})
	spID, _ := sp.body["SecurityProfileId"].(string)
	if sp.status != 200 || spID == "" || !strings.HasSuffix(sp.body["SecurityProfileArn"].(string), "/security-profile/"+spID) {
		t.Fatalf("CreateSecurityProfile: %d %v", sp.status, sp.body)
	}

	tests := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantType   string
		check      func(t *testing.T, body map[string]any)
	}{
		{"describe", "GET", "/users/i1/" + userID, nil, 200, "", func(t *testing.T, b map[string]any) {
			u := b["User"].(map[string]any)
			if u["Username"] != "ada" || u["RoutingProfileId"] != "rp1" || u["IdentityInfo"].(map[string]any)["FirstName"] != "Ada" ||
				u["PhoneConfig"].(map[string]any)["PhoneType"] != "SOFT_PHONE" || u["Tags"].(map[string]any)["team"] != "blue" ||
				u["LastModifiedRegion"] != region || u["LastModifiedTime"] == nil {
				t.Fatalf("DescribeUser: %v", u)
			}
		}},
		{"describe by ARN", "GET", "/users/i1/" + userARN, nil, 200, "", nil},
		{"describe unknown", "GET", "/users/i1/nope", nil, 404, "ResourceNotFoundException", nil},
		{"describe in another instance", "GET", "/users/i2/" + userID, nil, 404, "ResourceNotFoundException", nil},
		{"duplicate username", "PUT", "/users/i1", userBody("ada", "Secret123", nil), 409, "DuplicateResourceException", nil},
		{"weak password", "PUT", "/users/i1", userBody("bob", "secret", nil), 400, "InvalidParameterException", nil},
		{"unknown routing profile", "PUT", "/users/i1", userBody("bob", "Secret123", map[string]any{"RoutingProfileId": "nope"}), 404, "ResourceNotFoundException", nil},
		{"no phone config: a soft phone", "PUT", "/users/i1", userBody("bob-soft", "Secret123", map[string]any{"PhoneConfig": nil}), 200, "", nil},
		{"malformed", "PUT", "/users/i1", []byte(`{"Username":`), 400, "InvalidRequestException", nil},
		{"list page", "GET", "/users-summary/i1?maxResults=1", nil, 200, "", func(t *testing.T, b map[string]any) {
			l := b["UserSummaryList"].([]any)
			if len(l) != 1 || l[0].(map[string]any)["Username"] != "ada" || b["NextToken"] == nil {
				t.Fatalf("ListUsers page 1: %v", b)
			}
		}},
		{"list bad size", "GET", "/users-summary/i1?maxResults=1001", nil, 400, "InvalidParameterException", nil},
		{"list zero size", "GET", "/users-summary/i1?maxResults=0", nil, 400, "InvalidParameterException", nil},
		{"list bad token", "GET", "/users-summary/i1?nextToken=garbage", nil, 400, "InvalidParameterException", nil},
		{"update routing profile", "POST", "/users/i1/" + userID + "/routing-profile", map[string]any{"RoutingProfileId": "rp2"}, 200, "", nil},
		{"update routing profile unknown", "POST", "/users/i1/" + userID + "/routing-profile", map[string]any{"RoutingProfileId": "nope"}, 404, "ResourceNotFoundException", nil},
		{"update phone config", "POST", "/users/i1/" + userID + "/phone-config", map[string]any{"PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE", "AutoAccept": true, "AfterContactWorkTimeLimit": 30}}, 200, "", nil},
		{"update phone config missing", "POST", "/users/i1/" + userID + "/phone-config", map[string]any{}, 400, "InvalidParameterException", nil},
		{"update identity", "POST", "/users/i1/" + userID + "/identity-info", map[string]any{"IdentityInfo": map[string]any{"LastName": "Lovelace"}}, 200, "", nil},
		{"update security profiles", "POST", "/users/i1/" + userID + "/security-profiles", map[string]any{"SecurityProfileIds": []string{spID, auth.AgentProfileID}}, 200, "", nil},
		{"update security profiles unknown", "POST", "/users/i1/" + userID + "/security-profiles", map[string]any{"SecurityProfileIds": []string{"nope"}}, 404, "ResourceNotFoundException", nil},
		{"describe after updates", "GET", "/users/i1/" + userID, nil, 200, "", func(t *testing.T, b map[string]any) {
			u := b["User"].(map[string]any)
			pc := u["PhoneConfig"].(map[string]any)
			if u["RoutingProfileId"] != "rp2" || pc["AutoAccept"] != true || pc["AfterContactWorkTimeLimit"] != 30.0 ||
				u["IdentityInfo"].(map[string]any)["LastName"] != "Lovelace" || len(u["SecurityProfileIds"].([]any)) != 2 {
				t.Fatalf("DescribeUser after updates: %v", u)
			}
		}},
		{"list security profiles", "GET", "/security-profiles-summary/i1", nil, 200, "", func(t *testing.T, b map[string]any) {
			var names []string
			for _, p := range b["SecurityProfileSummaryList"].([]any) {
				names = append(names, p.(map[string]any)["Name"].(string))
			}
			if strings.Join(names, ",") != "Admin,Agent,CallCenterManager,Supervisors" {
				t.Fatalf("ListSecurityProfiles: %v", names)
			}
		}},
		{"describe security profile", "GET", "/security-profiles/i1/" + spID, nil, 200, "", func(t *testing.T, b map[string]any) {
			p := b["SecurityProfile"].(map[string]any)
			if p["SecurityProfileName"] != "Supervisors" || p["Description"] != "watch" || p["Id"] != spID {
				t.Fatalf("DescribeSecurityProfile: %v", p)
			}
		}},
		{"describe built-in", "GET", "/security-profiles/i1/" + auth.AgentProfileID, nil, 200, "", nil},
		{"describe unknown profile", "GET", "/security-profiles/i1/nope", nil, 404, "ResourceNotFoundException", nil},
		{"list permissions", "GET", "/security-profiles-permissions/i1/" + spID, nil, 200, "", func(t *testing.T, b map[string]any) {
			if p := b["Permissions"].([]any); len(p) != 2 || p[0] != "BasicAgentAccess" || p[1] != "ManagerListenIn" {
				t.Fatalf("ListSecurityProfilePermissions: %v", b)
			}
		}},
		{"unknown permission", "PUT", "/security-profiles/i1", map[string]any{"SecurityProfileName": "X", "Permissions": []string{"Fly"}}, 400, "InvalidParameterException", nil},
		{"duplicate profile", "PUT", "/security-profiles/i1", map[string]any{"SecurityProfileName": "Supervisors"}, 409, "DuplicateResourceException", nil},
		{"update profile", "POST", "/security-profiles/i1/" + spID, map[string]any{"Permissions": []string{"ManagerBargeIn"}}, 200, "", nil},
		{"update built-in", "POST", "/security-profiles/i1/" + auth.AdminProfileID, map[string]any{"Description": "x"}, 400, "InvalidRequestException", nil},
		{"delete built-in", "DELETE", "/security-profiles/i1/" + auth.AgentProfileID, nil, 400, "InvalidRequestException", nil},
		{"delete profile in use", "DELETE", "/security-profiles/i1/" + spID, nil, 409, "ResourceInUseException", nil},
		{"delete last admin", "DELETE", "/users/i1/" + adminID, nil, 400, "InvalidRequestException", nil},
		{"delete user", "DELETE", "/users/i1/" + userARN, nil, 200, "", nil},
		{"describe deleted", "GET", "/users/i1/" + userID, nil, 404, "ResourceNotFoundException", nil},
		{"delete profile", "DELETE", "/security-profiles/i1/" + spID, nil, 200, "", nil},
	}
	for _, tt := range tests { // in order: later cases depend on earlier ones
		r := call(tt.method, tt.path, tt.body)
		if r.status != tt.wantStatus || r.errType != tt.wantType {
			t.Fatalf("%s: got %d %q %v, want %d %q", tt.name, r.status, r.errType, r.body, tt.wantStatus, tt.wantType)
		}
		raw, _ := json.Marshal(r.body)
		if strings.Contains(string(raw), "PasswordHash") || strings.Contains(string(raw), "argon2") {
			t.Fatalf("%s: the answer holds a password hash: %s", tt.name, raw)
		}
		if tt.check != nil {
			tt.check(t, r.body)
		}
	}
}

func TestListUsersPaging(t *testing.T) {
	t.Parallel()
	s, _ := newDirectoryServer(t)
	for _, name := range []string{"c", "a", "b"} {
		r := s.do(s.signer, time.Now(), "PUT", "/users/i1", map[string]any{"Username": name, "Password": "Secret123",
			"RoutingProfileId": "rp1", "SecurityProfileIds": []string{auth.AgentProfileID}, "PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE"}})
		if r.status != 200 {
			t.Fatalf("CreateUser %s: %d %v", name, r.status, r.body)
		}
	}
	var names []string
	token := ""
	for range 10 {
		path := "/users-summary/i1?maxResults=2"
		if token != "" {
			path += "&nextToken=" + url.QueryEscape(token)
		}
		r := s.do(s.signer, time.Now(), "GET", path, nil)
		if r.status != 200 {
			t.Fatalf("ListUsers: %d %v", r.status, r.body)
		}
		for _, u := range r.body["UserSummaryList"].([]any) {
			names = append(names, u.(map[string]any)["Username"].(string))
		}
		token, _ = r.body["NextToken"].(string)
		if token == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "a,admin,b,c" {
		t.Fatalf("ListUsers pages: got %s, want a,admin,b,c", got)
	}
}
