package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Phone types of a user's PhoneConfig.
const (
	SoftPhone = "SOFT_PHONE"
	DeskPhone = "DESK_PHONE"
)

// User is a person who can log in to an instance: an agent, a supervisor,
// an administrator (store.KindUser, Name = Username). Its JSON is the
// stored body; PasswordHash is in it, so a User is never sent to a client
// as is: the APIs build their own shapes from it.
type User struct {
	ID           string `json:"Id"`
	Username     string `json:"Username"`
	PasswordHash string `json:"PasswordHash,omitempty"`
	// IdentityInfo and PhoneConfig are as in Connect's CreateUser.
	IdentityInfo IdentityInfo `json:"IdentityInfo,omitzero"`
	PhoneConfig  PhoneConfig  `json:"PhoneConfig,omitzero"`
	// DirectoryUserID names the user in an external directory; such a
	// user may have no password (and then cannot log in to the
	// workspace).
	DirectoryUserID    string   `json:"DirectoryUserId,omitempty"`
	SecurityProfileIDs []string `json:"SecurityProfileIds"`
	RoutingProfileID   string   `json:"RoutingProfileId"`
	// HierarchyGroupID is kept as given: Parley has no agent hierarchies.
	HierarchyGroupID string            `json:"HierarchyGroupId,omitempty"`
	Tags             map[string]string `json:"Tags,omitempty"`
	// UpdatedAt is when the user last changed (the resource's time).
	UpdatedAt time.Time `json:"-"`
}

// IdentityInfo is a user's name and contact details.
type IdentityInfo struct {
	FirstName      string `json:"FirstName,omitempty"`
	LastName       string `json:"LastName,omitempty"`
	Email          string `json:"Email,omitempty"`
	SecondaryEmail string `json:"SecondaryEmail,omitempty"`
	Mobile         string `json:"Mobile,omitempty"`
}

// PhoneConfig is a user's contact-handling settings. Routing reads
// AutoAccept (a chat offered is accepted at once) and
// AfterContactWorkTimeLimit (seconds of after-contact work before the
// agent is routable again; 0 means no limit).
type PhoneConfig struct {
	PhoneType                 string `json:"PhoneType"`
	AutoAccept                bool   `json:"AutoAccept"`
	AfterContactWorkTimeLimit int    `json:"AfterContactWorkTimeLimit"`
	DeskPhoneNumber           string `json:"DeskPhoneNumber,omitempty"`
}

// NewUser is what CreateUser takes.
type NewUser struct {
	Username           string
	Password           string
	IdentityInfo       IdentityInfo
	PhoneConfig        *PhoneConfig // a soft phone when nil
	DirectoryUserID    string
	SecurityProfileIDs []string
	RoutingProfileID   string
	HierarchyGroupID   string
	Tags               map[string]string
}

var (
	usernameRE = regexp.MustCompile(`^[a-zA-Z0-9_.@+-]{1,64}$`)
	e164RE     = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// ValidatePassword applies Connect's password rule: 8 to 64 characters
// without spaces, with at least one uppercase letter, one lowercase
// letter and one digit.
func ValidatePassword(p string) error {
	n := len([]rune(p))
	var upper, lower, digit bool
	for _, r := range p {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r <= ' ' || r == 0x7f || r == 0x85 || r == 0xa0 || (r >= 0x2000 && r <= 0x200a) || r == 0x3000:
			return fault.Errorf(fault.InvalidParameter, "Password must not contain spaces or control characters")
		}
	}
	if n < 8 || n > 64 || !upper || !lower || !digit {
		return fault.Errorf(fault.InvalidParameter, "Password must be 8 to 64 characters with at least one uppercase letter, one lowercase letter and one number")
	}
	return nil
}

func validateIdentity(in IdentityInfo) error {
	if len([]rune(in.FirstName)) > 100 || len([]rune(in.LastName)) > 100 {
		return fault.Errorf(fault.InvalidParameter, "IdentityInfo: FirstName and LastName must be at most 100 characters")
	}
	for _, e := range []string{in.Email, in.SecondaryEmail} {
		local, domain, ok := strings.Cut(e, "@")
		if e != "" && (!ok || local == "" || domain == "" || strings.ContainsAny(e, " <>\t\r\n") || strings.Contains(domain, "@") || len(e) > 320) {
			return fault.Errorf(fault.InvalidParameter, "IdentityInfo: %q is not an email address", e)
		}
	}
	if in.Mobile != "" && !e164RE.MatchString(in.Mobile) {
		return fault.Errorf(fault.InvalidParameter, "IdentityInfo: Mobile must be an E.164 number such as +12065550100")
	}
	return nil
}

func validatePhone(pc *PhoneConfig) error {
	if pc == nil {
		return fault.Errorf(fault.InvalidParameter, "PhoneConfig is required")
	}
	switch pc.PhoneType {
	case SoftPhone:
	case DeskPhone:
		if !e164RE.MatchString(pc.DeskPhoneNumber) {
			return fault.Errorf(fault.InvalidParameter, "PhoneConfig: DESK_PHONE needs a DeskPhoneNumber in E.164 form")
		}
	case "":
		return fault.Errorf(fault.InvalidParameter, "PhoneConfig: PhoneType is required")
	default:
		return fault.Errorf(fault.InvalidParameter, "PhoneConfig: PhoneType must be SOFT_PHONE or DESK_PHONE")
	}
	if pc.DeskPhoneNumber != "" && !e164RE.MatchString(pc.DeskPhoneNumber) {
		return fault.Errorf(fault.InvalidParameter, "PhoneConfig: DeskPhoneNumber must be an E.164 number")
	}
	if pc.AfterContactWorkTimeLimit < 0 {
		return fault.Errorf(fault.InvalidParameter, "PhoneConfig: AfterContactWorkTimeLimit must not be negative")
	}
	return nil
}

// DisplayName is the name others see for the user, in chats (customers
// see their agent's first name) and in the workspace: the first name,
// else the username.
func (u User) DisplayName() string {
	if n := strings.TrimSpace(u.IdentityInfo.FirstName); n != "" {
		return n
	}
	return u.Username
}

// UserFromResource decodes a user resource.
func UserFromResource(r store.Resource) (User, error) {
	var u User
	if err := json.Unmarshal(r.Body, &u); err != nil {
		return u, fmt.Errorf("decode user %s: %w", r.ID, err)
	}
	u.ID, u.Username, u.UpdatedAt = r.ID, r.Name, r.UpdatedAt
	if u.PhoneConfig.PhoneType == "" {
		// Users migrated from before phone settings existed.
		u.PhoneConfig.PhoneType = SoftPhone
	}
	return u, nil
}

func userNotFound(id string) error {
	return fault.NotFoundf("USER", id, "User %s not found", id)
}

// putUser stores u (created is the resource's creation time) and tells
// OnUserChanged.
func (d *Directory) putUser(tx store.Tx, instanceID string, u User, created time.Time) error {
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	err = tx.PutResource(store.Resource{InstanceID: instanceID, Kind: store.KindUser, ID: u.ID, Name: u.Username,
		Body: body, CreatedAt: created, UpdatedAt: u.UpdatedAt})
	if errors.Is(err, store.ErrDuplicate) {
		return fault.Errorf(fault.Duplicate, "User %s already exists", u.Username)
	} else if err != nil {
		return err
	}
	return d.userChanged(tx, instanceID, u, false)
}

func checkRoutingProfile(tx store.Tx, instanceID, id string) error {
	if id == "" {
		return fault.Errorf(fault.InvalidParameter, "RoutingProfileId is required")
	}
	_, err := tx.GetResource(instanceID, store.KindRoutingProfile, id)
	if errors.Is(err, store.ErrNotFound) {
		return fault.NotFoundf("ROUTING_PROFILE", id, "Routing profile %s not found", id)
	}
	return err
}

// CreateUser creates a user.
func (d *Directory) CreateUser(ctx context.Context, instanceID string, in NewUser) (User, error) {
	if !usernameRE.MatchString(in.Username) {
		return User{}, fault.Errorf(fault.InvalidParameter, "Username must be 1 to 64 letters, digits or _ . @ + -")
	}
	if in.Password == "" && in.DirectoryUserID == "" {
		return User{}, fault.Errorf(fault.InvalidParameter, "Password is required")
	}
	if in.Password != "" {
		if err := ValidatePassword(in.Password); err != nil {
			return User{}, err
		}
	}
	if err := validateIdentity(in.IdentityInfo); err != nil {
		return User{}, err
	}
	if in.PhoneConfig == nil {
		// Current SDKs leave PhoneConfig out (Connect moved to per-channel
		// settings): a soft phone with no after-contact work limit.
		in.PhoneConfig = &PhoneConfig{PhoneType: SoftPhone}
	}
	if err := validatePhone(in.PhoneConfig); err != nil {
		return User{}, err
	}
	if err := validateTags(in.Tags); err != nil {
		return User{}, err
	}
	if len(in.DirectoryUserID) > 256 || len(in.HierarchyGroupID) > 256 {
		return User{}, fault.Errorf(fault.InvalidParameter, "DirectoryUserId and HierarchyGroupId must be at most 256 characters")
	}
	u := User{
		ID:               uuid.NewString(),
		Username:         in.Username,
		IdentityInfo:     in.IdentityInfo,
		PhoneConfig:      *in.PhoneConfig,
		DirectoryUserID:  in.DirectoryUserID,
		RoutingProfileID: in.RoutingProfileID,
		HierarchyGroupID: in.HierarchyGroupID,
		Tags:             in.Tags,
		UpdatedAt:        d.clock(),
	}
	if in.Password != "" {
		// Hashed before the transaction: Write may run its function twice.
		var err error
		if u.PasswordHash, err = HashPassword(in.Password); err != nil {
			return User{}, err
		}
	}
	err := d.st.Write(ctx, func(tx store.Tx) error {
		// Users reference routing configuration: take routing's lock
		// first, as routing's own writes do, so a user cannot be put on a
		// routing profile being deleted.
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		ids, err := checkProfiles(tx, instanceID, in.SecurityProfileIDs)
		if err != nil {
			return err
		}
		u.SecurityProfileIDs = ids
		if err := checkRoutingProfile(tx, instanceID, u.RoutingProfileID); err != nil {
			return err
		}
		return d.putUser(tx, instanceID, u, u.UpdatedAt)
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// User returns one user of an instance.
func (d *Directory) User(ctx context.Context, instanceID, userID string) (User, error) {
	r, err := d.st.GetResource(ctx, instanceID, store.KindUser, userID)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, userNotFound(userID)
	} else if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	return UserFromResource(r)
}

// UserByName returns the user of an instance with this username.
func (d *Directory) UserByName(ctx context.Context, instanceID, username string) (User, error) {
	r, err := d.st.GetResourceByName(ctx, instanceID, store.KindUser, username)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, fault.NotFoundf("USER", username, "User %s not found", username)
	} else if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	return UserFromResource(r)
}

// Users returns a page of an instance's users, by username.
func (d *Directory) Users(ctx context.Context, instanceID string, p Page) ([]User, string, error) {
	rs, err := d.st.ListResources(ctx, instanceID, store.KindUser)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users := make([]User, 0, len(rs))
	for _, r := range rs {
		u, err := UserFromResource(r)
		if err != nil {
			return nil, "", err
		}
		users = append(users, u)
	}
	return pageOf(users, func(u User) string { return u.Username }, "users", p)
}

func txUsers(tx store.Tx, instanceID string) ([]User, error) {
	rs, err := tx.ListResources(instanceID, store.KindUser)
	if err != nil {
		return nil, err
	}
	users := make([]User, 0, len(rs))
	for _, r := range rs {
		u, err := UserFromResource(r)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// checkNotLastAdmin refuses a change that would leave the instance with
// no user holding the Admin profile: nobody could then manage it from
// the workspace.
func checkNotLastAdmin(tx store.Tx, instanceID string, u User) error {
	if !slices.Contains(u.SecurityProfileIDs, AdminProfileID) {
		return nil
	}
	users, err := txUsers(tx, instanceID)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != u.ID && slices.Contains(o.SecurityProfileIDs, AdminProfileID) {
			return nil
		}
	}
	return fault.Errorf(fault.InvalidRequest, "User %s is the instance's last user with the Admin security profile", u.Username)
}

// updateUser runs change on a user in one transaction and stores the
// result.
func (d *Directory) updateUser(ctx context.Context, instanceID, userID string, change func(tx store.Tx, u *User) error) error {
	now := d.clock()
	// Cached sessions carry the user: forget them once the change is in,
	// so it applies to logged-in users at once on this node.
	defer d.sessions.clear()
	return d.st.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		r, err := tx.GetResource(instanceID, store.KindUser, userID)
		if errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		u, err := UserFromResource(r)
		if err != nil {
			return err
		}
		if err := change(tx, &u); err != nil {
			return err
		}
		u.UpdatedAt = now
		return d.putUser(tx, instanceID, u, r.CreatedAt)
	})
}

// UpdateUserRoutingProfile assigns a user another routing profile.
func (d *Directory) UpdateUserRoutingProfile(ctx context.Context, instanceID, userID, routingProfileID string) error {
	err := d.updateUser(ctx, instanceID, userID, func(tx store.Tx, u *User) error {
		if err := checkRoutingProfile(tx, instanceID, routingProfileID); err != nil {
			return err
		}
		u.RoutingProfileID = routingProfileID
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user routing profile: %w", err)
	}
	return nil
}

// UpdateUserSecurityProfiles replaces a user's security profiles. The
// instance's last Admin keeps the Admin profile.
func (d *Directory) UpdateUserSecurityProfiles(ctx context.Context, instanceID, userID string, ids []string) error {
	err := d.updateUser(ctx, instanceID, userID, func(tx store.Tx, u *User) error {
		checked, err := checkProfiles(tx, instanceID, ids)
		if err != nil {
			return err
		}
		if !slices.Contains(checked, AdminProfileID) {
			if err := checkNotLastAdmin(tx, instanceID, *u); err != nil {
				return err
			}
		}
		u.SecurityProfileIDs = checked
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user security profiles: %w", err)
	}
	return nil
}

// UpdateUserIdentityInfo replaces a user's identity information.
func (d *Directory) UpdateUserIdentityInfo(ctx context.Context, instanceID, userID string, info IdentityInfo) error {
	if err := validateIdentity(info); err != nil {
		return err
	}
	err := d.updateUser(ctx, instanceID, userID, func(_ store.Tx, u *User) error {
		u.IdentityInfo = info
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user identity info: %w", err)
	}
	return nil
}

// UpdateUserPhoneConfig replaces a user's phone settings.
func (d *Directory) UpdateUserPhoneConfig(ctx context.Context, instanceID, userID string, pc PhoneConfig) error {
	if err := validatePhone(&pc); err != nil {
		return err
	}
	err := d.updateUser(ctx, instanceID, userID, func(_ store.Tx, u *User) error {
		u.PhoneConfig = pc
		return nil
	})
	if err != nil {
		return fmt.Errorf("update user phone config: %w", err)
	}
	return nil
}

// DeleteUser deletes a user and their workspace sessions. The instance's
// last Admin cannot be deleted.
func (d *Directory) DeleteUser(ctx context.Context, instanceID, userID string) error {
	defer d.sessions.clear()
	err := d.st.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		r, err := tx.GetResource(instanceID, store.KindUser, userID)
		if errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		u, err := UserFromResource(r)
		if err != nil {
			return err
		}
		if err := checkNotLastAdmin(tx, instanceID, u); err != nil {
			return err
		}
		if err := tx.DeleteResource(instanceID, store.KindUser, userID); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(instanceID, userID); err != nil {
			return err
		}
		return d.userChanged(tx, instanceID, u, true)
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}
