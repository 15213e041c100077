package connect

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/auth"
)

// registerUsers adds the user and security profile operations, when the
// handler has a directory.
func (h *Handler) registerUsers(mux *http.ServeMux) {
	if h.Directory == nil {
		return
	}
	mux.HandleFunc("PUT /users/{InstanceId}", h.call(h.createUser))
	mux.HandleFunc("GET /users/{InstanceId}/{UserId}", h.call(h.describeUser))
	mux.HandleFunc("GET /users-summary/{InstanceId}", h.call(h.listUsers))
	mux.HandleFunc("POST /users/{InstanceId}/{UserId}/routing-profile", h.call(h.updateUserRoutingProfile))
	mux.HandleFunc("POST /users/{InstanceId}/{UserId}/security-profiles", h.call(h.updateUserSecurityProfiles))
	mux.HandleFunc("POST /users/{InstanceId}/{UserId}/identity-info", h.call(h.updateUserIdentityInfo))
	mux.HandleFunc("POST /users/{InstanceId}/{UserId}/phone-config", h.call(h.updateUserPhoneConfig))
	mux.HandleFunc("DELETE /users/{InstanceId}/{UserId}", h.call(h.deleteUser))

	mux.HandleFunc("PUT /security-profiles/{InstanceId}", h.call(h.createSecurityProfile))
	mux.HandleFunc("GET /security-profiles/{InstanceId}/{SecurityProfileId}", h.call(h.describeSecurityProfile))
	mux.HandleFunc("GET /security-profiles-summary/{InstanceId}", h.call(h.listSecurityProfiles))
	mux.HandleFunc("GET /security-profiles-permissions/{InstanceId}/{SecurityProfileId}", h.call(h.listSecurityProfilePermissions))
	mux.HandleFunc("POST /security-profiles/{InstanceId}/{SecurityProfileId}", h.call(h.updateSecurityProfile))
	mux.HandleFunc("DELETE /security-profiles/{InstanceId}/{SecurityProfileId}", h.call(h.deleteSecurityProfile))
}

// childID accepts the ID of an instance's resource or its ARN
// (arn:...:instance/<instance>/<kind>/<id>) and returns the ID.
func childID(idOrARN string) string {
	if !strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN
	}
	return idOrARN[strings.LastIndexByte(idOrARN, '/')+1:]
}

// childIDs is childID over a list.
func childIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = childID(id)
	}
	return out
}

// listPage reads a List operation's maxResults and nextToken query
// parameters.
func listPage(q request) (auth.Page, error) {
	p := auth.Page{NextToken: q.r.URL.Query().Get("nextToken")}
	if s := q.r.URL.Query().Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, awsapi.Errorf("InvalidParameterException", 400, "MaxResults must be a number")
		}
		if n == 0 {
			n = -1 // an explicit 0 is out of range, not the default
		}
		p.MaxResults = n
	}
	return p, nil
}

// pathUser checks the instance of a /users/{InstanceId}/{UserId} call and
// returns the user ID.
func pathUser(q request) (string, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return "", err
	}
	return childID(q.r.PathValue("UserId")), nil
}

// userIn is the part of CreateUser Parley keeps. The per-channel
// configurations (AutoAcceptConfigs, AfterContactWorkConfigs, ...) are
// ignored: PhoneConfig holds the settings.
type userIn struct {
	Username           string
	Password           string
	IdentityInfo       *auth.IdentityInfo
	PhoneConfig        *auth.PhoneConfig
	DirectoryUserID    string   `json:"DirectoryUserId"`
	SecurityProfileIDs []string `json:"SecurityProfileIds"`
	RoutingProfileID   string   `json:"RoutingProfileId"`
	HierarchyGroupID   string   `json:"HierarchyGroupId"`
	Tags               map[string]string
}

func (h *Handler) createUser(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in userIn
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	nu := auth.NewUser{
		Username:           in.Username,
		Password:           in.Password,
		PhoneConfig:        in.PhoneConfig,
		DirectoryUserID:    in.DirectoryUserID,
		SecurityProfileIDs: childIDs(in.SecurityProfileIDs),
		RoutingProfileID:   childID(in.RoutingProfileID),
		HierarchyGroupID:   in.HierarchyGroupID,
		Tags:               in.Tags,
	}
	if in.IdentityInfo != nil {
		nu.IdentityInfo = *in.IdentityInfo
	}
	u, err := h.Directory.CreateUser(ctx, q.instance, nu)
	if err != nil {
		return nil, err
	}
	return struct {
		UserID  string `json:"UserId"`
		UserArn string
	}{u.ID, h.arn(q.instance, "agent", u.ID)}, nil
}

// userOut is DescribeUser's User: never the password hash.
type userOut struct {
	ID                 string `json:"Id"`
	Arn                string
	Username           string
	IdentityInfo       auth.IdentityInfo
	PhoneConfig        auth.PhoneConfig
	DirectoryUserID    string   `json:"DirectoryUserId,omitempty"`
	SecurityProfileIDs []string `json:"SecurityProfileIds"`
	RoutingProfileID   string   `json:"RoutingProfileId"`
	HierarchyGroupID   string   `json:"HierarchyGroupId,omitempty"`
	Tags               map[string]string
	LastModifiedTime   awsapi.EpochSeconds
	LastModifiedRegion string
}

func (h *Handler) describeUser(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	u, err := h.Directory.User(ctx, q.instance, id)
	if err != nil {
		return nil, err
	}
	tags := u.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return struct{ User userOut }{userOut{
		ID:                 u.ID,
		Arn:                h.arn(q.instance, "agent", u.ID),
		Username:           u.Username,
		IdentityInfo:       u.IdentityInfo,
		PhoneConfig:        u.PhoneConfig,
		DirectoryUserID:    u.DirectoryUserID,
		SecurityProfileIDs: u.SecurityProfileIDs,
		RoutingProfileID:   u.RoutingProfileID,
		HierarchyGroupID:   u.HierarchyGroupID,
		Tags:               tags,
		LastModifiedTime:   awsapi.EpochSeconds(u.UpdatedAt),
		LastModifiedRegion: h.Region,
	}}, nil
}

type userSummary struct {
	ID                 string `json:"Id"`
	Arn                string
	Username           string
	LastModifiedTime   awsapi.EpochSeconds
	LastModifiedRegion string
}

func (h *Handler) listUsers(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	p, err := listPage(q)
	if err != nil {
		return nil, err
	}
	users, next, err := h.Directory.Users(ctx, q.instance, p)
	if err != nil {
		return nil, err
	}
	out := make([]userSummary, len(users))
	for i, u := range users {
		out[i] = userSummary{ID: u.ID, Arn: h.arn(q.instance, "agent", u.ID), Username: u.Username,
			LastModifiedTime: awsapi.EpochSeconds(u.UpdatedAt), LastModifiedRegion: h.Region}
	}
	return struct {
		UserSummaryList []userSummary
		NextToken       string `json:",omitempty"`
	}{out, next}, nil
}

func (h *Handler) updateUserRoutingProfile(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	var in struct {
		RoutingProfileID string `json:"RoutingProfileId"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Directory.UpdateUserRoutingProfile(ctx, q.instance, id, childID(in.RoutingProfileID))
}

func (h *Handler) updateUserSecurityProfiles(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	var in struct {
		SecurityProfileIDs []string `json:"SecurityProfileIds"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Directory.UpdateUserSecurityProfiles(ctx, q.instance, id, childIDs(in.SecurityProfileIDs))
}

func (h *Handler) updateUserIdentityInfo(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	var in struct{ IdentityInfo *auth.IdentityInfo }
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.IdentityInfo == nil {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "IdentityInfo is required")
	}
	return struct{}{}, h.Directory.UpdateUserIdentityInfo(ctx, q.instance, id, *in.IdentityInfo)
}

func (h *Handler) updateUserPhoneConfig(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	var in struct{ PhoneConfig *auth.PhoneConfig }
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.PhoneConfig == nil {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "PhoneConfig is required")
	}
	return struct{}{}, h.Directory.UpdateUserPhoneConfig(ctx, q.instance, id, *in.PhoneConfig)
}

func (h *Handler) deleteUser(ctx context.Context, q request) (any, error) {
	id, err := pathUser(q)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.Directory.DeleteUser(ctx, q.instance, id)
}

// pathProfile checks the instance of a security profile call and returns
// the profile ID.
func pathProfile(q request) (string, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return "", err
	}
	return childID(q.r.PathValue("SecurityProfileId")), nil
}

func (h *Handler) createSecurityProfile(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in struct {
		SecurityProfileName string
		Description         string
		Permissions         []string
		Tags                map[string]string
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	p, err := h.Directory.CreateSecurityProfile(ctx, q.instance, auth.NewSecurityProfile{
		Name: in.SecurityProfileName, Description: in.Description, Permissions: in.Permissions, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		SecurityProfileID  string `json:"SecurityProfileId"`
		SecurityProfileArn string
	}{p.ID, h.arn(q.instance, "security-profile", p.ID)}, nil
}

type securityProfileOut struct {
	ID                  string `json:"Id"`
	Arn                 string
	SecurityProfileName string
	Description         string `json:",omitempty"`
	Tags                map[string]string
	LastModifiedTime    awsapi.EpochSeconds
	LastModifiedRegion  string
}

func (h *Handler) describeSecurityProfile(ctx context.Context, q request) (any, error) {
	id, err := pathProfile(q)
	if err != nil {
		return nil, err
	}
	p, err := h.Directory.SecurityProfile(ctx, q.instance, id)
	if err != nil {
		return nil, err
	}
	tags := p.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return struct{ SecurityProfile securityProfileOut }{securityProfileOut{
		ID:                  p.ID,
		Arn:                 h.arn(q.instance, "security-profile", p.ID),
		SecurityProfileName: p.Name,
		Description:         p.Description,
		Tags:                tags,
		LastModifiedTime:    awsapi.EpochSeconds(p.UpdatedAt),
		LastModifiedRegion:  h.Region,
	}}, nil
}

type securityProfileSummary struct {
	ID                 string `json:"Id"`
	Arn                string
	Name               string
	LastModifiedTime   awsapi.EpochSeconds
	LastModifiedRegion string
}

func (h *Handler) listSecurityProfiles(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	page, err := listPage(q)
	if err != nil {
		return nil, err
	}
	ps, next, err := h.Directory.SecurityProfiles(ctx, q.instance, page)
	if err != nil {
		return nil, err
	}
	out := make([]securityProfileSummary, len(ps))
	for i, p := range ps {
		out[i] = securityProfileSummary{ID: p.ID, Arn: h.arn(q.instance, "security-profile", p.ID), Name: p.Name,
			LastModifiedTime: awsapi.EpochSeconds(p.UpdatedAt), LastModifiedRegion: h.Region}
	}
	return struct {
		SecurityProfileSummaryList []securityProfileSummary
		NextToken                  string `json:",omitempty"`
	}{out, next}, nil
}

func (h *Handler) listSecurityProfilePermissions(ctx context.Context, q request) (any, error) {
	id, err := pathProfile(q)
	if err != nil {
		return nil, err
	}
	page, err := listPage(q)
	if err != nil {
		return nil, err
	}
	perms, next, p, err := h.Directory.SecurityProfilePermissions(ctx, q.instance, id, page)
	if err != nil {
		return nil, err
	}
	return struct {
		Permissions        []string
		NextToken          string `json:",omitempty"`
		LastModifiedTime   awsapi.EpochSeconds
		LastModifiedRegion string
	}{perms, next, awsapi.EpochSeconds(p.UpdatedAt), h.Region}, nil
}

func (h *Handler) updateSecurityProfile(ctx context.Context, q request) (any, error) {
	id, err := pathProfile(q)
	if err != nil {
		return nil, err
	}
	var in struct {
		Description *string
		Permissions []string
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Directory.UpdateSecurityProfile(ctx, q.instance, id, auth.SecurityProfileUpdate{
		Description: in.Description, Permissions: in.Permissions,
	})
}

func (h *Handler) deleteSecurityProfile(ctx context.Context, q request) (any, error) {
	id, err := pathProfile(q)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.Directory.DeleteSecurityProfile(ctx, q.instance, id)
}
