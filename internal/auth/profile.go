package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Permissions Parley checks, with the names Amazon Connect's security
// profiles use (ListSecurityProfilePermissions), so profiles copied from
// Connect keep their meaning. Parley knows only these; a profile may not
// name others.
const (
	// PermBasicAgentAccess lets a user log in to the agent workspace, set
	// their own status, take contacts and transfer them.
	PermBasicAgentAccess = "BasicAgentAccess"
	// PermAccessMetrics lets a user see real-time metrics: queues, agents
	// and their states, the live contacts.
	PermAccessMetrics = "AccessMetrics"
	// PermAgentStatesView lets a user see other agents' statuses; with
	// PermAccessMetrics, change another agent's status, as in Connect.
	PermAgentStatesView = "AgentStates.View"
	// PermManagerListenIn lets a user silently monitor a live chat.
	PermManagerListenIn = "ManagerListenIn"
	// PermManagerBargeIn lets a user barge into a live chat (join it as a
	// participant the customer sees); Connect also asks for
	// PermManagerListenIn.
	PermManagerBargeIn = "ManagerBargeIn"
	// PermUsersView lets a user see user records.
	PermUsersView = "Users.View"
	// PermUsersCreate lets a user create users.
	PermUsersCreate = "Users.Create"
	// PermUsersEdit lets a user edit user records (identity, phone
	// settings, routing profile).
	PermUsersEdit = "Users.Edit"
	// PermUsersEditPermission lets a user change which security profiles
	// a user has.
	PermUsersEditPermission = "Users.EditPermission"
	// PermUsersDelete lets a user delete users.
	PermUsersDelete = "Users.Delete"
	// PermSecurityProfilesView lets a user see security profiles.
	PermSecurityProfilesView = "SecurityProfiles.View"
	// PermSecurityProfilesCreate lets a user create security profiles.
	PermSecurityProfilesCreate = "SecurityProfiles.Create"
	// PermSecurityProfilesEdit lets a user change security profiles.
	PermSecurityProfilesEdit = "SecurityProfiles.Edit"
	// PermSecurityProfilesDelete lets a user delete security profiles.
	PermSecurityProfilesDelete = "SecurityProfiles.Delete"
	// PermContactFlowsView lets a user see contact flows and try them on
	// the test-chat page (start test chats and read their flow logs).
	PermContactFlowsView = "ContactFlows.View"
)

// AllPermissions lists every permission Parley knows, sorted.
var AllPermissions = sorted([]string{
	PermBasicAgentAccess, PermAccessMetrics, PermAgentStatesView, PermManagerListenIn, PermManagerBargeIn,
	PermUsersView, PermUsersCreate, PermUsersEdit, PermUsersEditPermission, PermUsersDelete,
	PermSecurityProfilesView, PermSecurityProfilesCreate, PermSecurityProfilesEdit, PermSecurityProfilesDelete,
	PermContactFlowsView,
})

// IDs of the built-in security profiles, the same in every instance.
const (
	AdminProfileID             = "00000000-0000-4000-a000-000000000001"
	CallCenterManagerProfileID = "00000000-0000-4000-a000-000000000002"
	AgentProfileID             = "00000000-0000-4000-a000-000000000003"
)

// SecurityProfile is a named set of permissions (store.KindSecurityProfile,
// Name = SecurityProfileName). The built-in ones (BuiltinProfiles) are not
// stored and cannot be changed.
type SecurityProfile struct {
	ID          string            `json:"Id"`
	Name        string            `json:"SecurityProfileName"`
	Description string            `json:"Description,omitempty"`
	Permissions []string          `json:"Permissions"`
	Tags        map[string]string `json:"Tags,omitempty"`
	// Builtin marks Admin, CallCenterManager and Agent.
	Builtin bool `json:"-"`
	// UpdatedAt is when the profile last changed (for a built-in one, when
	// its instance was created).
	UpdatedAt time.Time `json:"-"`
}

// BuiltinProfiles are the security profiles every instance has. Admin may
// do everything; CallCenterManager everything but define security
// profiles and hand them out (so a manager cannot make themselves Admin);
// Agent may use the workspace.
var BuiltinProfiles = []SecurityProfile{
	{ID: AdminProfileID, Name: "Admin", Description: "Every permission", Permissions: AllPermissions, Builtin: true},
	{ID: CallCenterManagerProfileID, Name: "CallCenterManager", Description: "Manage users and supervise agents",
		Permissions: without(AllPermissions, PermUsersEditPermission, PermSecurityProfilesCreate, PermSecurityProfilesEdit, PermSecurityProfilesDelete),
		Builtin:     true},
	{ID: AgentProfileID, Name: "Agent", Description: "Use the agent workspace", Permissions: []string{PermBasicAgentAccess}, Builtin: true},
}

func sorted(s []string) []string { slices.Sort(s); return s }

func without(all []string, drop ...string) []string {
	var out []string
	for _, p := range all {
		if !slices.Contains(drop, p) {
			out = append(out, p)
		}
	}
	return out
}

// builtinProfile returns a copy of the built-in profile with this ID.
func builtinProfile(id string) (SecurityProfile, bool) {
	for _, p := range BuiltinProfiles {
		if p.ID == id {
			p.Permissions = slices.Clone(p.Permissions)
			return p, true
		}
	}
	return SecurityProfile{}, false
}

func builtinProfileNamed(name string) bool {
	return slices.ContainsFunc(BuiltinProfiles, func(p SecurityProfile) bool { return p.Name == name })
}

// profileName is Connect's SecurityProfileName pattern.
var profileName = regexp.MustCompile(`^[ a-zA-Z0-9_@-]{1,127}$`)

// NewSecurityProfile is what CreateSecurityProfile takes.
type NewSecurityProfile struct {
	Name        string
	Description string
	Permissions []string
	Tags        map[string]string
}

// SecurityProfileUpdate is what UpdateSecurityProfile changes: nil fields
// are kept.
type SecurityProfileUpdate struct {
	Description *string
	Permissions []string // nil: kept; empty: none
}

func validatePermissions(perms []string) ([]string, error) {
	if len(perms) > 500 {
		return nil, fault.Errorf(fault.InvalidParameter, "Permissions: at most 500")
	}
	out := make([]string, 0, len(perms))
	for _, p := range perms {
		if _, ok := slices.BinarySearch(AllPermissions, p); !ok {
			return nil, fault.Errorf(fault.InvalidParameter, "Permissions: %q is not a permission Parley knows (%v)", p, AllPermissions)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func validateDescription(s string) error {
	if len([]rune(s)) > 250 {
		return fault.Errorf(fault.InvalidParameter, "Description must be at most 250 characters")
	}
	return nil
}

// CreateSecurityProfile creates a custom security profile.
func (d *Directory) CreateSecurityProfile(ctx context.Context, instanceID string, in NewSecurityProfile) (SecurityProfile, error) {
	if !profileName.MatchString(in.Name) {
		return SecurityProfile{}, fault.Errorf(fault.InvalidParameter, "SecurityProfileName must be 1 to 127 letters, digits, spaces, _, @ or -")
	}
	if err := validateDescription(in.Description); err != nil {
		return SecurityProfile{}, err
	}
	perms, err := validatePermissions(in.Permissions)
	if err != nil {
		return SecurityProfile{}, err
	}
	if err := validateTags(in.Tags); err != nil {
		return SecurityProfile{}, err
	}
	if builtinProfileNamed(in.Name) {
		return SecurityProfile{}, fault.Errorf(fault.Duplicate, "Security profile %s already exists", in.Name)
	}
	p := SecurityProfile{ID: uuid.NewString(), Name: in.Name, Description: in.Description, Permissions: perms, Tags: in.Tags, UpdatedAt: d.clock()}
	err = d.st.Write(ctx, func(tx store.Tx) error { return putProfile(tx, instanceID, p, p.UpdatedAt) })
	if err != nil {
		return SecurityProfile{}, fmt.Errorf("create security profile: %w", err)
	}
	return p, nil
}

func putProfile(tx store.Tx, instanceID string, p SecurityProfile, created time.Time) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = tx.PutResource(store.Resource{InstanceID: instanceID, Kind: store.KindSecurityProfile, ID: p.ID, Name: p.Name,
		Body: body, CreatedAt: created, UpdatedAt: p.UpdatedAt})
	if errors.Is(err, store.ErrDuplicate) {
		return fault.Errorf(fault.Duplicate, "Security profile %s already exists", p.Name)
	}
	return err
}

func decodeProfile(r store.Resource) (SecurityProfile, error) {
	var p SecurityProfile
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return p, fmt.Errorf("decode security profile %s: %w", r.ID, err)
	}
	p.ID, p.Name, p.UpdatedAt = r.ID, r.Name, r.UpdatedAt
	return p, nil
}

func profileNotFound(id string) error {
	return fault.NotFoundf("SECURITY_PROFILE", id, "Security profile %s not found", id)
}

// SecurityProfile returns one security profile, built-in or custom.
func (d *Directory) SecurityProfile(ctx context.Context, instanceID, id string) (SecurityProfile, error) {
	if p, ok := builtinProfile(id); ok {
		inst, err := d.st.GetInstance(ctx, instanceID)
		if err != nil {
			return SecurityProfile{}, fmt.Errorf("get instance: %w", err)
		}
		p.UpdatedAt = inst.CreatedAt
		return p, nil
	}
	r, err := d.st.GetResource(ctx, instanceID, store.KindSecurityProfile, id)
	if errors.Is(err, store.ErrNotFound) {
		return SecurityProfile{}, profileNotFound(id)
	} else if err != nil {
		return SecurityProfile{}, fmt.Errorf("get security profile: %w", err)
	}
	return decodeProfile(r)
}

// SecurityProfiles returns a page of the instance's security profiles,
// built-in and custom, by name.
func (d *Directory) SecurityProfiles(ctx context.Context, instanceID string, p Page) ([]SecurityProfile, string, error) {
	inst, err := d.st.GetInstance(ctx, instanceID)
	if err != nil {
		return nil, "", fmt.Errorf("get instance: %w", err)
	}
	rs, err := d.st.ListResources(ctx, instanceID, store.KindSecurityProfile)
	if err != nil {
		return nil, "", fmt.Errorf("list security profiles: %w", err)
	}
	all := make([]SecurityProfile, 0, len(BuiltinProfiles)+len(rs))
	for _, b := range BuiltinProfiles {
		b.UpdatedAt = inst.CreatedAt
		all = append(all, b)
	}
	for _, r := range rs {
		sp, err := decodeProfile(r)
		if err != nil {
			return nil, "", err
		}
		all = append(all, sp)
	}
	return pageOf(all, func(s SecurityProfile) string { return s.Name }, "security-profiles", p)
}

// SecurityProfilePermissions returns a page of one profile's permissions,
// sorted, and the profile.
func (d *Directory) SecurityProfilePermissions(ctx context.Context, instanceID, id string, p Page) ([]string, string, SecurityProfile, error) {
	sp, err := d.SecurityProfile(ctx, instanceID, id)
	if err != nil {
		return nil, "", sp, err
	}
	perms, next, err := pageOf(slices.Clone(sp.Permissions), func(s string) string { return s }, "permissions/"+sp.ID, p)
	return perms, next, sp, err
}

// UpdateSecurityProfile changes a custom security profile.
func (d *Directory) UpdateSecurityProfile(ctx context.Context, instanceID, id string, up SecurityProfileUpdate) error {
	if _, ok := builtinProfile(id); ok {
		return fault.Errorf(fault.InvalidRequest, "Built-in security profiles cannot be changed")
	}
	if up.Description != nil {
		if err := validateDescription(*up.Description); err != nil {
			return err
		}
	}
	var perms []string
	if up.Permissions != nil {
		var err error
		if perms, err = validatePermissions(up.Permissions); err != nil {
			return err
		}
	}
	now := d.clock()
	err := d.st.Write(ctx, func(tx store.Tx) error {
		r, err := tx.GetResource(instanceID, store.KindSecurityProfile, id)
		if errors.Is(err, store.ErrNotFound) {
			return profileNotFound(id)
		} else if err != nil {
			return err
		}
		sp, err := decodeProfile(r)
		if err != nil {
			return err
		}
		if up.Description != nil {
			sp.Description = *up.Description
		}
		if up.Permissions != nil {
			sp.Permissions = perms
		}
		sp.UpdatedAt = now
		return putProfile(tx, instanceID, sp, r.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("update security profile: %w", err)
	}
	return nil
}

// DeleteSecurityProfile deletes a custom security profile no user has.
func (d *Directory) DeleteSecurityProfile(ctx context.Context, instanceID, id string) error {
	if _, ok := builtinProfile(id); ok {
		return fault.Errorf(fault.InvalidRequest, "Built-in security profiles cannot be deleted")
	}
	err := d.st.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.GetResource(instanceID, store.KindSecurityProfile, id); errors.Is(err, store.ErrNotFound) {
			return profileNotFound(id)
		} else if err != nil {
			return err
		}
		users, err := txUsers(tx, instanceID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if slices.Contains(u.SecurityProfileIDs, id) {
				return fault.Errorf(fault.InUse, "Security profile %s is assigned to user %s", id, u.Username)
			}
		}
		return tx.DeleteResource(instanceID, store.KindSecurityProfile, id)
	})
	if err != nil {
		return fmt.Errorf("delete security profile: %w", err)
	}
	return nil
}

// Can reports whether u has permission through any of their security
// profiles. Profiles that no longer exist grant nothing.
func (d *Directory) Can(ctx context.Context, instanceID string, u User, permission string) (bool, error) {
	for _, id := range u.SecurityProfileIDs {
		if i := slices.IndexFunc(BuiltinProfiles, func(p SecurityProfile) bool { return p.ID == id }); i >= 0 {
			if slices.Contains(BuiltinProfiles[i].Permissions, permission) {
				return true, nil
			}
			continue
		}
		r, err := d.st.GetResource(ctx, instanceID, store.KindSecurityProfile, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return false, fmt.Errorf("get security profile: %w", err)
		}
		p, err := decodeProfile(r)
		if err != nil {
			return false, err
		}
		if slices.Contains(p.Permissions, permission) {
			return true, nil
		}
	}
	return false, nil
}

// checkProfiles checks a user's security profile IDs: 1 to 10 that exist.
func checkProfiles(tx store.Tx, instanceID string, ids []string) ([]string, error) {
	if len(ids) < 1 || len(ids) > 10 {
		return nil, fault.Errorf(fault.InvalidParameter, "SecurityProfileIds must list 1 to 10 security profiles")
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		if _, ok := builtinProfile(id); !ok {
			if _, err := tx.GetResource(instanceID, store.KindSecurityProfile, id); errors.Is(err, store.ErrNotFound) {
				return nil, profileNotFound(id)
			} else if err != nil {
				return nil, err
			}
		}
		out = append(out, id)
	}
	return out, nil
}
