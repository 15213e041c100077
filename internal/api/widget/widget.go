// Package widget serves the public endpoints of the customer chat widget
// under /widget-api/: a widget's display configuration and the start of a
// chat. They need no credentials, so a browser on a company's page calls
// them directly; what protects them is the widget's allowed origins (CORS,
// enforced for every request, not only by browsers), a per-client-address
// rate limit and, when the widget asks for it, a JWT from the company's
// backend.
//
// The client address is the connection's remote address. X-Forwarded-For
// is not trusted: behind a reverse proxy every customer shares the proxy's
// address and thus one rate-limit bucket per widget, so size
// RateLimitPerMinute for that, or terminate TLS in Parley.
package widget

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/widget"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// Error codes of the public API's JSON errors.
const (
	CodeOriginNotAllowed = "origin_not_allowed"
	CodeInvalidRequest   = "invalid_request"
	CodeInvalidToken     = "invalid_token"
	CodeNotFound         = "widget_not_found"
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal_error"
)

// Handler serves /widget-api/.
type Handler struct {
	svc *widget.Service
	log *slog.Logger
}

// New returns the handler.
func New(svc *widget.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, log: log}
}

// Register adds the public widget routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget-api/{widgetId}/config", h.config)
	mux.HandleFunc("POST /widget-api/{widgetId}/start", h.start)
	mux.HandleFunc("OPTIONS /widget-api/{widgetId}/{op}", h.preflight)
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// allow sets the CORS headers of an allowed origin.
func allow(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Retry-After")
}

// checkOrigin answers the request itself (403 or 404, without CORS
// headers) unless its Origin may use the widget; then it sets the CORS
// headers and returns true.
func (h *Handler) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if err := h.svc.CheckOrigin(r.Context(), r.PathValue("widgetId"), origin); err != nil {
		h.fail(w, err)
		return false
	}
	allow(w, origin)
	return true
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if op := r.PathValue("op"); op != "config" && op != "start" {
		http.NotFound(w, r)
		return
	}
	if !h.checkOrigin(w, r) {
		return
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "Content-Type")
	hdr.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// theme, field, form and config are the wire shapes of the public
// configuration.
type theme struct {
	Primary    string `json:"primary"`
	Text       string `json:"text"`
	Background string `json:"background"`
}

type field struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Options  []string `json:"options,omitempty"`
}

type form struct {
	Enabled bool    `json:"enabled"`
	Fields  []field `json:"fields"`
}

type config struct {
	WidgetID    string `json:"widgetId"`
	Title       string `json:"title"`
	Greeting    string `json:"greeting"`
	LogoURL     string `json:"logoUrl"`
	Position    string `json:"position"`
	Theme       theme  `json:"theme"`
	Locale      string `json:"locale"`
	PreChatForm form   `json:"preChatForm"`
	RequireJWT  bool   `json:"requireJwt"`
}

func (h *Handler) config(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(w, r) {
		return
	}
	p, err := h.svc.PublicConfig(r.Context(), r.PathValue("widgetId"), r.Header.Get("Origin"))
	if err != nil {
		h.fail(w, err)
		return
	}
	out := config{WidgetID: p.WidgetID, Title: p.Title, Greeting: p.Greeting, LogoURL: p.LogoURL, Position: p.Position,
		Theme: theme(p.Theme), Locale: p.Locale, PreChatForm: form{Enabled: p.PreChatForm.Enabled, Fields: []field{}}, RequireJWT: p.RequireJWT}
	for _, f := range p.PreChatForm.Fields {
		out.PreChatForm.Fields = append(out.PreChatForm.Fields, field(f))
	}
	writeJSON(w, http.StatusOK, out)
}

type startRequest struct {
	DisplayName string            `json:"displayName"`
	Attributes  map[string]string `json:"attributes"`
	JWT         string            `json:"jwt"`
}

type startResponse struct {
	ContactID              string    `json:"contactId"`
	ParticipantID          string    `json:"participantId"`
	ParticipantToken       string    `json:"participantToken"`
	ParticipantTokenExpiry time.Time `json:"participantTokenExpiry"`
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(w, r) {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{CodeInvalidRequest, "The request body is larger than 64 KiB"})
			return
		}
		writeJSON(w, http.StatusBadRequest, apiError{CodeInvalidRequest, "The request body could not be read"})
		return
	}
	var in startRequest
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{CodeInvalidRequest, "The body must be a JSON object {displayName, attributes, jwt} with string values"})
			return
		}
	}
	res, err := h.svc.Start(r.Context(), r.PathValue("widgetId"), r.Header.Get("Origin"), clientIP(r),
		widget.StartRequest{DisplayName: in.DisplayName, Attributes: in.Attributes, JWT: in.JWT})
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, startResponse{res.ContactID, res.ParticipantID, res.ParticipantToken, res.Expiry})
}

// clientIP is the connection's remote address without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fail answers err as a JSON error. An origin refusal carries no CORS
// header, so the refused page cannot even read it.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var jwtErr *widget.JWTError
	if errors.As(err, &jwtErr) {
		writeJSON(w, http.StatusUnauthorized, apiError{CodeInvalidToken, jwtErr.Error()})
		return
	}
	var rl *widget.RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int((rl.RetryAfter+time.Second-1)/time.Second))))
		writeJSON(w, http.StatusTooManyRequests, apiError{CodeRateLimited, rl.Error()})
		return
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		if errors.Is(err, context.Canceled) {
			return
		}
		h.log.Error("widget api", "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{CodeInternal, "Internal error"})
		return
	}
	switch fe.Code {
	case fault.AccessDenied:
		w.Header().Del("Access-Control-Allow-Origin")
		w.Header().Del("Access-Control-Expose-Headers")
		writeJSON(w, http.StatusForbidden, apiError{CodeOriginNotAllowed, fe.Message})
	case fault.NotFound:
		if fe.ResourceType == "WIDGET" {
			writeJSON(w, http.StatusNotFound, apiError{CodeNotFound, fe.Message})
			return
		}
		// The widget's flow is gone: a configuration problem, not the customer's.
		writeJSON(w, http.StatusServiceUnavailable, apiError{CodeUnavailable, "Chat is not available right now"})
	case fault.InvalidParameter, fault.InvalidRequest:
		writeJSON(w, http.StatusBadRequest, apiError{CodeInvalidRequest, fe.Message})
	case fault.LimitExceeded, fault.QuotaExceeded:
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusTooManyRequests, apiError{CodeRateLimited, fe.Message})
	default:
		writeJSON(w, http.StatusBadRequest, apiError{CodeInvalidRequest, fe.Message})
	}
}
