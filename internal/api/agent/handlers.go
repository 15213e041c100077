package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
)

// userView is a user as the workspace shows them: never the stored
// record, which holds the password hash.
type userView struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"displayName"`
}

func viewUser(u auth.User) userView {
	return userView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName()}
}

type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Instance string `json:"instance"`
}

type loginOutput struct {
	User      userView  `json:"user"`
	CSRFToken string    `json:"csrfToken"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// login opens a session and sets its cookie. It needs no session and no
// CSRF token (there is none yet), but a cross-origin Origin is refused so
// another site cannot log a browser in to an account of its choosing.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := checkOrigin(r); err != nil {
		h.writeError(w, r, err)
		return
	}
	var in loginInput
	if err := decode(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if in.Username == "" || in.Password == "" {
		h.writeError(w, r, fault.Errorf(fault.InvalidParameter, "username and password are required"))
		return
	}
	if len(in.Username) > MaxIDLength || len(in.Password) > 1024 || len(in.Instance) > MaxIDLength {
		h.writeError(w, r, fault.Errorf(fault.InvalidParameter, "username, password or instance is too long"))
		return
	}
	sess, err := h.dir.Login(r.Context(), auth.LoginInput{Instance: in.Instance, Username: in.Username, Password: in.Password, ClientIP: clientIP(r)})
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == fault.AccessDenied {
		// One answer for an unknown user, a wrong password and an unknown
		// instance: the login page must not tell which exist.
		h.writeError(w, r, &apiError{status: http.StatusUnauthorized, code: "InvalidCredentials", message: "Invalid username or password"})
		return
	} else if err != nil {
		h.writeError(w, r, err)
		return
	}
	http.SetCookie(w, h.cookie(r, sess.Token, sess.ExpiresAt))
	writeJSON(w, http.StatusOK, loginOutput{User: viewUser(sess.User), CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt})
}

// cookie returns the session cookie; an empty value with a past expiry
// clears it.
func (h *Handler) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: CookieName, Value: value, Path: prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure || r.TLS != nil, Expires: expires}
	if value == "" {
		c.MaxAge = -1
		c.Expires = time.Time{}
	}
	return c
}

// logout puts the agent Offline, closes their event sockets on this node
// and ends the session. Failing to set the status does not keep anyone
// logged in: it is logged and the session ends anyway.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	ctx := r.Context()
	st, err := h.routing.Agent(ctx, s.InstanceID, s.User.ID)
	if err == nil && st.Status.StatusID != routing.StatusOfflineID {
		_, err = h.routing.SetStatus(ctx, s.InstanceID, s.User.ID, routing.StatusOfflineID)
	}
	if err != nil {
		h.log.Warn("logout: could not set the agent offline", "instance_id", s.InstanceID, "user_id", s.User.ID, "err", err)
	}
	if err := h.dir.Logout(ctx, s.token); err != nil {
		return nil, fmt.Errorf("logout: %w", err)
	}
	h.sockets.endSession(s.token)
	http.SetCookie(w, h.cookie(r, "", time.Time{}))
	return nil, nil
}

type meOutput struct {
	User        userView           `json:"user"`
	CSRFToken   string             `json:"csrfToken"`
	ExpiresAt   time.Time          `json:"expiresAt"`
	State       routing.AgentState `json:"state"`
	Permissions []string           `json:"permissions"`
}

// me tells a (re)loaded workspace who is logged in, the CSRF token to
// use, what the user may do and where they stand.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	ctx := r.Context()
	perms := []string{}
	for _, p := range auth.AllPermissions {
		ok, err := h.can(ctx, s, p)
		if err != nil {
			return nil, err
		}
		if ok {
			perms = append(perms, p)
		}
	}
	st, err := h.routing.Agent(ctx, s.InstanceID, s.User.ID)
	if err != nil {
		return nil, fmt.Errorf("agent state: %w", err)
	}
	return meOutput{User: viewUser(s.User), CSRFToken: s.CSRF, ExpiresAt: s.ExpiresAt, State: st, Permissions: perms}, nil
}

// statusOption is an agent status in the status menu.
type statusOption struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Type         string `json:"type"` // ROUTABLE, CUSTOM or OFFLINE
	DisplayOrder int    `json:"displayOrder,omitempty"`
}

type statusesOutput struct {
	Statuses []statusOption `json:"statuses"`
}

// statuses lists the statuses an agent can choose.
func (h *Handler) statuses(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	list, err := h.routing.SelectableStatuses(r.Context(), s.InstanceID)
	if err != nil {
		return nil, fmt.Errorf("list agent statuses: %w", err)
	}
	out := statusesOutput{Statuses: make([]statusOption, 0, len(list))}
	for _, st := range list {
		out.Statuses = append(out.Statuses, statusOption{ID: st.ID, Name: st.Name, Description: st.Description, Type: st.Type, DisplayOrder: st.DisplayOrder})
	}
	return out, nil
}

type statusInput struct {
	StatusID string `json:"statusId"`
}

type statusOutput struct {
	Status routing.StatusView `json:"status"`
}

func (h *Handler) setStatus(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	return h.putStatus(w, r, s, s.User.ID)
}

// setUserStatus sets another agent's status, as a supervisor may in
// Connect: it takes AgentStates.View and AccessMetrics (the directory's
// definition). Setting one's own status this way needs only
// BasicAgentAccess, like PUT /status.
func (h *Handler) setUserStatus(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	userID, err := pathID(r, "userId")
	if err != nil {
		return nil, err
	}
	perms := []string{auth.PermAgentStatesView, auth.PermAccessMetrics}
	if userID == s.User.ID {
		perms = []string{auth.PermBasicAgentAccess}
	}
	for _, p := range perms {
		if err := h.require(r.Context(), s, p); err != nil {
			return nil, err
		}
	}
	return h.putStatus(w, r, s, userID)
}

func (h *Handler) putStatus(w http.ResponseWriter, r *http.Request, s session, userID string) (any, error) {
	var in statusInput
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if err := checkID("statusId", in.StatusID); err != nil {
		return nil, err
	}
	v, err := h.routing.SetStatus(r.Context(), s.InstanceID, userID, in.StatusID)
	if err != nil {
		return nil, err
	}
	return statusOutput{Status: v}, nil
}

type contactsOutput struct {
	Status   routing.StatusView     `json:"status"`
	Contacts []routing.AgentContact `json:"contacts"`
}

// contacts lists the agent's offered, connected and after-contact-work
// contacts, with their status.
func (h *Handler) contacts(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	st, err := h.routing.Agent(r.Context(), s.InstanceID, s.User.ID)
	if err != nil {
		return nil, err
	}
	return contactsOutput{Status: st.Status, Contacts: st.Contacts}, nil
}

// contactAction runs one action on a contact of the agent, the body
// being empty (or {}).
func (h *Handler) contactAction(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, contactID string) (any, error)) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var none struct{}
	if err := decode(w, r, &none); err != nil {
		return nil, err
	}
	return fn(r.Context(), id)
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	return h.contactAction(w, r, func(ctx context.Context, id string) (any, error) {
		return h.routing.Accept(ctx, s.InstanceID, s.User.ID, id)
	})
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	return h.contactAction(w, r, func(ctx context.Context, id string) (any, error) {
		return nil, h.routing.Reject(ctx, s.InstanceID, s.User.ID, id)
	})
}

func (h *Handler) token(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	return h.contactAction(w, r, func(ctx context.Context, id string) (any, error) {
		return h.routing.ParticipantToken(ctx, s.InstanceID, s.User.ID, id)
	})
}

func (h *Handler) end(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	return h.contactAction(w, r, func(ctx context.Context, id string) (any, error) {
		return nil, h.routing.EndContact(ctx, s.InstanceID, s.User.ID, id)
	})
}

// transfer moves a contact to a queue, an agent or a quick connect's
// destination (exactly one of them; routing checks that).
func (h *Handler) transfer(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var to routing.TransferTarget
	if err := decode(w, r, &to); err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"queueId": to.QueueID, "userId": to.UserID, "quickConnectId": to.QuickConnectID} {
		if len(v) > MaxIDLength {
			return nil, fault.Errorf(fault.InvalidParameter, "%s must be at most %d characters", name, MaxIDLength)
		}
	}
	return nil, h.routing.Transfer(r.Context(), s.InstanceID, s.User.ID, id, to)
}

// quickConnectView is a transfer destination in the transfer dialog; a
// transfer names it by id (quickConnectId).
type quickConnectView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"` // USER or QUEUE
	QueueID     string `json:"queueId,omitempty"`
	UserID      string `json:"userId,omitempty"`
}

type quickConnectsOutput struct {
	QuickConnects []quickConnectView `json:"quickConnects"`
}

// quickConnects lists the agent's transfer destinations for the transfer
// dialog.
func (h *Handler) quickConnects(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	all, err := h.routing.AgentQuickConnects(r.Context(), s.InstanceID, s.User.RoutingProfileID)
	if err != nil {
		return nil, err
	}
	out := quickConnectsOutput{QuickConnects: make([]quickConnectView, 0, len(all))}
	for _, qc := range all {
		v := quickConnectView{ID: qc.ID, Name: qc.Name, Description: qc.Description, Type: qc.Config.Type}
		if c := qc.Config.QueueConfig; c != nil {
			v.QueueID = c.QueueID
		}
		if c := qc.Config.UserConfig; c != nil {
			v.UserID = c.UserID
		}
		out.QuickConnects = append(out.QuickConnects, v)
	}
	return out, nil
}

type liveContactsOutput struct {
	Contacts []routing.LiveContact `json:"contacts"`
}

// liveContacts lists the instance's queued, offered and connected
// contacts for a supervisor. It takes ManagerListenIn (the list is what
// a supervisor picks a chat to monitor from) or AccessMetrics (the
// directory's permission to see live contacts).
func (h *Handler) liveContacts(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	ok, err := h.can(r.Context(), s, auth.PermManagerListenIn)
	if err == nil && !ok {
		ok, err = h.can(r.Context(), s, auth.PermAccessMetrics)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, forbidden("You need the " + auth.PermManagerListenIn + " or " + auth.PermAccessMetrics + " permission")
	}
	list, err := h.routing.LiveContacts(r.Context(), s.InstanceID)
	if err != nil {
		return nil, err
	}
	return liveContactsOutput{Contacts: list}, nil
}

// monitor joins a supervisor to a live chat, silently (ManagerListenIn)
// or barging in (ManagerBargeIn); the answer carries their participant
// token. The body is optional: {"mode":"SILENT_MONITOR"|"BARGE"},
// silent by default.
func (h *Handler) monitor(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var in struct {
		Mode string `json:"mode"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return nil, err
		}
	}
	if in.Mode == "" {
		in.Mode = routing.MonitorSilent
	}
	if in.Mode == routing.MonitorBarge {
		if err := h.require(r.Context(), s, auth.PermManagerBargeIn); err != nil {
			return nil, err
		}
	}
	return h.routing.Monitor(r.Context(), s.InstanceID, s.User.ID, id, in.Mode)
}

// barge turns the supervisor's silent monitoring participant
// ({"participantId": ...}) into a visible one that may write.
func (h *Handler) barge(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var in struct {
		ParticipantID string `json:"participantId"`
	}
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if in.ParticipantID == "" || len(in.ParticipantID) > 256 {
		return nil, &fault.Error{Code: fault.InvalidParameter, Message: "participantId is required"}
	}
	return nil, h.routing.Barge(r.Context(), s.InstanceID, s.User.ID, id, in.ParticipantID)
}
