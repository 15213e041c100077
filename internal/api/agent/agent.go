// Package agent serves the workspace API (/api/agent/*): Parley's own
// small JSON API for what the participant API lacks. The agent
// workspace, a custom agent desktop or a supervisor's screen uses it to
// log in, set a status, see and answer offers, transfer, end and wrap up
// contacts, monitor live chats, and follow its own events over a
// websocket. The chat itself is never here: accepting an offer (or
// monitoring) yields a participant token, and the client then speaks the
// participant API like any participant.
//
// Callers are people with a browser, so the API authenticates with a
// session cookie (parley_session: HttpOnly, SameSite=Strict, scoped to
// /api/agent) that the auth.Directory issues at login. Every request
// that changes something must also echo the session's CSRF token in the
// X-CSRF-Token header and, if the browser sent an Origin, come from this
// server's own origin. Handlers are thin: decode, check the caller's
// permission, call one routing or directory method, encode; domain
// errors become HTTP statuses in one place (apiError).
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
)

// Wire constants.
const (
	// CookieName is the session cookie.
	CookieName = "parley_session"
	// CSRFHeader carries the session's CSRF token on every request that
	// is not a GET.
	CSRFHeader = "X-CSRF-Token"
	// MaxBody is the largest request body accepted (64 KiB).
	MaxBody = 64 << 10
	// MaxIDLength bounds an ID in a path or body.
	MaxIDLength = 256

	prefix = "/api/agent"
)

// Deps is what the handler needs.
type Deps struct {
	Routing   *routing.Service
	Directory *auth.Directory
	// Flows serves the test-chat endpoints (testchat.go), which are
	// registered only when it is set.
	Flows *flow.Service
	// Log receives operational logs; slog.Default when nil.
	Log *slog.Logger
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests (set it when a TLS-terminating proxy is in front).
	// Requests that arrive over TLS always get a Secure cookie.
	SecureCookies bool
}

// Handler serves the workspace API and its events websocket.
type Handler struct {
	routing *routing.Service
	dir     *auth.Directory
	flows   *flow.Service
	log     *slog.Logger
	secure  bool
	sockets *sockets
}

// New returns the handler.
func New(d Deps) *Handler {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	return &Handler{routing: d.Routing, dir: d.Directory, flows: d.Flows, log: log, secure: d.SecureCookies, sockets: newSockets()}
}

// Register adds the workspace routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+prefix+"/login", h.login)
	mux.HandleFunc("POST "+prefix+"/logout", h.call(nil, h.logout))
	mux.HandleFunc("GET "+prefix+"/me", h.call(nil, h.me))

	agent := []string{auth.PermBasicAgentAccess}
	mux.HandleFunc("GET "+prefix+"/statuses", h.call(agent, h.statuses))
	mux.HandleFunc("PUT "+prefix+"/status", h.call(agent, h.setStatus))
	mux.HandleFunc("PUT "+prefix+"/users/{userId}/status", h.call(nil, h.setUserStatus))
	mux.HandleFunc("GET "+prefix+"/contacts", h.call(agent, h.contacts))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/accept", h.call(agent, h.accept))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/reject", h.call(agent, h.reject))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/token", h.call(agent, h.token))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/transfer", h.call(agent, h.transfer))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/end", h.call(agent, h.end))
	mux.HandleFunc("POST "+prefix+"/contacts/{contactId}/complete-acw", h.call(agent, h.completeACW))
	mux.HandleFunc("GET "+prefix+"/quick-connects", h.call(agent, h.quickConnects))
	mux.HandleFunc("GET "+prefix+"/contacts/{contactId}", h.call(agent, h.contact))
	mux.HandleFunc("GET "+prefix+"/quick-responses", h.call(agent, h.quickResponses))

	mux.HandleFunc("GET "+prefix+"/supervisor/contacts", h.call(nil, h.liveContacts))
	mux.HandleFunc("POST "+prefix+"/supervisor/contacts/{contactId}/monitor", h.call([]string{auth.PermManagerListenIn}, h.monitor))
	mux.HandleFunc("POST "+prefix+"/supervisor/contacts/{contactId}/barge", h.call([]string{auth.PermManagerBargeIn}, h.barge))

	if h.flows != nil {
		flows := []string{auth.PermContactFlowsView}
		mux.HandleFunc("GET "+prefix+"/test-chat/flows", h.call(flows, h.testChatFlows))
		mux.HandleFunc("POST "+prefix+"/test-chat/start", h.call(flows, h.testChatStart))
		mux.HandleFunc("GET "+prefix+"/test-chat/{contactId}/flow-logs", h.call(flows, h.testChatLogs))
	}

	mux.HandleFunc("GET "+prefix+"/events", h.events)
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, &apiError{status: http.StatusNotFound, code: "NotFound", message: "No such endpoint"})
	})
}

// session is an authenticated call: who makes it, and with which
// session token (kept only to end the session or watch it).
type session struct {
	auth.SessionInfo
	token string
}

// endpoint is one operation. It returns the response body (nil for {}).
type endpoint func(w http.ResponseWriter, r *http.Request, s session) (any, error)

// call wraps an endpoint with the session, CSRF, origin and permission
// checks, and writes its result or error.
func (h *Handler) call(perms []string, ep endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, err := h.authenticate(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := checkOrigin(r); err != nil {
				h.writeError(w, r, err)
				return
			}
			if !s.CheckCSRF(r.Header.Get(CSRFHeader)) {
				h.writeError(w, r, forbidden("Missing or wrong "+CSRFHeader+" header"))
				return
			}
		}
		for _, p := range perms {
			if err := h.require(r.Context(), s, p); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		out, err := ep(w, r, s)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if out == nil {
			out = struct{}{}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// authenticate returns the session of the request's cookie.
func (h *Handler) authenticate(r *http.Request) (session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return session{}, unauthenticated()
	}
	info, err := h.dir.Authenticate(r.Context(), c.Value)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == fault.AccessDenied {
		return session{}, unauthenticated()
	} else if err != nil {
		return session{}, fmt.Errorf("authenticate session: %w", err)
	}
	return session{SessionInfo: info, token: c.Value}, nil
}

// can reports whether the session's user has a permission.
func (h *Handler) can(ctx context.Context, s session, perm string) (bool, error) {
	ok, err := h.dir.Can(ctx, s.InstanceID, s.User, perm)
	if err != nil {
		return false, fmt.Errorf("check permission %s: %w", perm, err)
	}
	return ok, nil
}

// require is can as an error: 403 without the permission.
func (h *Handler) require(ctx context.Context, s session, perm string) error {
	ok, err := h.can(ctx, s, perm)
	if err != nil {
		return err
	}
	if !ok {
		return forbidden("You need the " + perm + " permission")
	}
	return nil
}

// checkOrigin refuses a request whose Origin header, if any, names
// another host than the one it was sent to: a browser always sends
// Origin on cross-site state-changing requests, so this stops them even
// if a CSRF token leaked.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return forbidden("Cross-origin request refused")
	}
	return nil
}

// pathID returns a path value, checked: 1 to MaxIDLength printable
// characters.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if err := checkID(name, id); err != nil {
		return "", err
	}
	return id, nil
}

func checkID(name, id string) error {
	if id == "" || len(id) > MaxIDLength {
		return fault.Errorf(fault.InvalidParameter, "%s must be 1 to %d characters", name, MaxIDLength)
	}
	if strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fault.Errorf(fault.InvalidParameter, "%s must not contain control characters", name)
	}
	return nil
}

// decode reads a JSON body of at most MaxBody bytes into v, refusing
// unknown fields and trailing data. An empty body decodes as {}.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "InvalidRequest", message: fmt.Sprintf("Request body exceeds %d bytes", MaxBody)}
	} else if err != nil {
		return fault.Errorf(fault.InvalidRequest, "Could not read the request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return fault.Errorf(fault.InvalidRequest, "Invalid type for field %s", te.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fault.Errorf(fault.InvalidRequest, "Unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return fault.Errorf(fault.InvalidRequest, "Request body is not valid JSON")
	}
	if dec.More() {
		return fault.Errorf(fault.InvalidRequest, "Request body has data after the JSON object")
	}
	return nil
}

// clientIP is the peer address of the request. Forwarding headers are
// not trusted: a client could set them to dodge the failed-login limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// apiError is an error with its HTTP status and wire code already
// chosen (for what is not a domain error: no session, bad CSRF token).
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func unauthenticated() error {
	return &apiError{status: http.StatusUnauthorized, code: "Unauthenticated", message: "Not logged in, or the session ended"}
}

func forbidden(msg string) error {
	return &apiError{status: http.StatusForbidden, code: "AccessDenied", message: msg}
}

// faultCodes names each fault code on the wire, with its HTTP status.
var faultCodes = map[fault.Code]struct {
	name   string
	status int
}{
	fault.InvalidParameter: {"InvalidParameter", http.StatusBadRequest},
	fault.InvalidRequest:   {"InvalidRequest", http.StatusBadRequest},
	fault.NotFound:         {"NotFound", http.StatusNotFound},
	fault.ContactNotFound:  {"ContactNotFound", http.StatusNotFound},
	fault.AccessDenied:     {"AccessDenied", http.StatusForbidden},
	fault.QuotaExceeded:    {"QuotaExceeded", http.StatusPaymentRequired},
	fault.LimitExceeded:    {"LimitExceeded", http.StatusTooManyRequests},
	fault.Duplicate:        {"Duplicate", http.StatusConflict},
	fault.InUse:            {"InUse", http.StatusConflict},
	fault.Conflict:         {"Conflict", http.StatusConflict},
}

// toAPI is the one place an error becomes a status, a code and a
// message. Anything that is not the caller's fault is a 500 with a
// generic message, and is logged.
func (h *Handler) toAPI(r *http.Request, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		if c, ok := faultCodes[fe.Code]; ok {
			return &apiError{status: c.status, code: c.name, message: fe.Message}
		}
	}
	if !errors.Is(err, context.Canceled) {
		h.log.Error("workspace API call failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return &apiError{status: http.StatusInternalServerError, code: "InternalError", message: "Internal error"}
}

// writeError writes err as {"error":{"code":...,"message":...}}.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := h.toAPI(r, err)
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, e.status, struct {
		Error body `json:"error"`
	}{body{e.code, e.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		raw = []byte(`{"error":{"code":"InternalError","message":"Internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(raw, '\n'))
}
