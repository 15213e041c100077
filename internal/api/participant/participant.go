// Package participant serves the Amazon Connect Participant Service API
// (/participant/*) and the chat websocket gateway that chatjs and the AWS
// SDK speak. Calls authenticate with the X-Amz-Bearer header only: SigV4
// signing headers that the SDKs add are ignored, as the real service
// ignores them. Browsers on any origin may call it (CORS), because a
// company's website is never Parley's origin.
package participant

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Handler serves the participant API and websocket gateway.
type Handler struct {
	chat     *chat.Service
	gw       *Gateway
	log      *slog.Logger
	throttle *throttle // nil: no rate limit
	// wsBase is the public base URL of the websocket endpoint, e.g.
	// "wss://chat.example.com/ws/chat".
	wsBase string
}

// WebsocketPath is where the gateway accepts websockets.
const WebsocketPath = "/ws/chat"

// New returns the handler. publicURL is the externally visible base URL
// (http(s)://host[:port][/prefix]) from which websocket URLs are built.
// ratePerToken, if positive, limits each bearer token to that many
// requests a second on this node (bursts of twice that).
func New(svc *chat.Service, gw *Gateway, publicURL string, ratePerToken float64, log *slog.Logger) *Handler {
	base := strings.TrimSuffix(publicURL, "/")
	switch {
	case strings.HasPrefix(base, "https://"):
		base = "wss://" + strings.TrimPrefix(base, "https://")
	case strings.HasPrefix(base, "http://"):
		base = "ws://" + strings.TrimPrefix(base, "http://")
	}
	return &Handler{chat: svc, gw: gw, log: log, wsBase: base + WebsocketPath, throttle: newThrottle(ratePerToken)}
}

// Register adds the participant routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("OPTIONS /participant/", h.preflight)
	mux.HandleFunc("POST /participant/connection", h.call(h.createConnection))
	mux.HandleFunc("POST /participant/message", h.call(h.send(h.chat.SendMessage)))
	mux.HandleFunc("POST /participant/event", h.call(h.send(h.chat.SendEvent)))
	mux.HandleFunc("POST /participant/transcript", h.call(h.getTranscript))
	mux.HandleFunc("POST /participant/disconnect", h.call(h.disconnect))
	mux.HandleFunc("/participant/", h.call(h.unsupported))
	mux.HandleFunc("GET "+WebsocketPath, h.gw.ServeHTTP)
}

// allowHeaders are the request headers browsers may send, covering what
// chatjs and both generations of the AWS SDK send.
const allowHeaders = "content-type, x-amz-bearer, authorization, x-amz-date, x-amz-user-agent, " +
	"amz-sdk-invocation-id, amz-sdk-request, x-amz-content-sha256, x-amz-security-token, x-amzn-trace-id"

func cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date")
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	cors(w)
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		// The bearer token travels in a header, never a cookie, so any
		// requested header is safe to allow.
		hdr.Set("Access-Control-Allow-Headers", req)
	} else {
		hdr.Set("Access-Control-Allow-Headers", allowHeaders)
	}
	hdr.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type operation func(ctx context.Context, r *http.Request, token string, body []byte) (any, error)

// call wraps an operation with CORS, body reading, request IDs and error
// mapping.
func (h *Handler) call(op operation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		awsapi.Serve(w, r, "ValidationException", h.mapError, func(body []byte) (any, error) {
			token := r.Header.Get("X-Amz-Bearer")
			if h.throttle != nil && token != "" && !h.throttle.allow(token) {
				return nil, awsapi.Errorf("ThrottlingException", http.StatusTooManyRequests, "Rate exceeded")
			}
			return op(r.Context(), r, token, body)
		})
	}
}

// mapError turns a domain error into the Participant API's exceptions.
func (h *Handler) mapError(err error) *awsapi.Error {
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		return ae
	}
	var ce *fault.Error
	if !errors.As(err, &ce) {
		if errors.Is(err, context.Canceled) {
			return awsapi.Errorf("InternalServerException", 500, "Request cancelled")
		}
		return awsapi.Internal(h.log, "InternalServerException", err)
	}
	switch ce.Code {
	case fault.InvalidParameter, fault.InvalidRequest:
		return awsapi.Errorf("ValidationException", 400, "%s", ce.Message)
	case fault.AccessDenied, fault.ContactNotFound:
		return awsapi.Errorf("AccessDeniedException", 403, "Access denied")
	case fault.NotFound:
		e := awsapi.Errorf("ResourceNotFoundException", 404, "%s", ce.Message)
		e.Fields = map[string]string{"ResourceType": ce.ResourceType, "ResourceId": ce.ResourceID}
		return e
	case fault.QuotaExceeded, fault.LimitExceeded:
		return awsapi.Errorf("ServiceQuotaExceededException", 402, "%s", ce.Message)
	}
	return awsapi.Internal(h.log, "InternalServerException", err)
}

func (h *Handler) session(ctx context.Context, token string) (chat.Session, error) {
	return h.chat.Authenticate(ctx, token, store.TokenConnection)
}

// createConnectionInput is CreateParticipantConnection's body.
// ConnectParticipant is accepted and needs no handling: every connection
// connects its participant.
type createConnectionInput struct {
	Type               []string
	ConnectParticipant bool
}

type websocketOut struct {
	URL              string `json:"Url"`
	ConnectionExpiry string
}

type credentialsOut struct {
	ConnectionToken string
	Expiry          string
}

type createConnectionOutput struct {
	Websocket             *websocketOut   `json:",omitempty"`
	ConnectionCredentials *credentialsOut `json:",omitempty"`
}

func (h *Handler) createConnection(ctx context.Context, _ *http.Request, token string, body []byte) (any, error) {
	var in createConnectionInput
	if err := awsapi.Decode(body, &in, "ValidationException"); err != nil {
		return nil, err
	}
	conn, err := h.chat.CreateConnection(ctx, token, in.Type)
	if err != nil {
		return nil, err
	}
	var out createConnectionOutput
	if conn.WebsocketToken != "" {
		out.Websocket = &websocketOut{URL: h.wsBase + "?token=" + conn.WebsocketToken, ConnectionExpiry: chat.FormatTime(conn.WebsocketExpiry)}
	}
	if conn.ConnectionToken != "" {
		out.ConnectionCredentials = &credentialsOut{ConnectionToken: conn.ConnectionToken, Expiry: chat.FormatTime(conn.ConnectionExpiry)}
	}
	return out, nil
}

type sendInput struct {
	ContentType string
	Content     string
	ClientToken string
}

type sendOutput struct {
	ID           string `json:"Id"`
	AbsoluteTime string
}

// send serves SendMessage and SendEvent (send is the chat service's
// method), which share their wire shapes.
func (h *Handler) send(send func(ctx context.Context, sess chat.Session, contentType, content, clientToken string) (chat.Sent, error)) operation {
	return func(ctx context.Context, _ *http.Request, token string, body []byte) (any, error) {
		sess, err := h.session(ctx, token)
		if err != nil {
			return nil, err
		}
		var in sendInput
		if err := awsapi.Decode(body, &in, "ValidationException"); err != nil {
			return nil, err
		}
		sent, err := send(ctx, sess, in.ContentType, in.Content, in.ClientToken)
		if err != nil {
			return nil, err
		}
		return sendOutput{ID: sent.ID, AbsoluteTime: chat.FormatTime(sent.AbsoluteTime)}, nil
	}
}

type transcriptInput struct {
	ContactID     string `json:"ContactId"`
	MaxResults    int
	NextToken     string
	ScanDirection string
	SortOrder     string
	StartPosition *struct {
		ID           string `json:"Id"`
		AbsoluteTime string
		MostRecent   *int
	}
}

type transcriptOutput struct {
	InitialContactID string `json:"InitialContactId"`
	Transcript       []chat.Item
	NextToken        string `json:",omitempty"`
}

func (h *Handler) getTranscript(ctx context.Context, _ *http.Request, token string, body []byte) (any, error) {
	sess, err := h.session(ctx, token)
	if err != nil {
		return nil, err
	}
	var in transcriptInput
	if err := awsapi.Decode(body, &in, "ValidationException"); err != nil {
		return nil, err
	}
	q := chat.TranscriptInput{ContactID: in.ContactID, MaxResults: in.MaxResults, NextToken: in.NextToken, ScanDirection: in.ScanDirection, SortOrder: in.SortOrder}
	if sp := in.StartPosition; sp != nil {
		set := 0
		for _, ok := range []bool{sp.ID != "", sp.AbsoluteTime != "", sp.MostRecent != nil} {
			if ok {
				set++
			}
		}
		if set > 1 {
			return nil, awsapi.Errorf("ValidationException", 400, "StartPosition takes only one of Id, AbsoluteTime and MostRecent")
		}
		q.StartPosition = chat.StartPosition{ID: sp.ID, AbsoluteTime: sp.AbsoluteTime, MostRecent: sp.MostRecent}
	}
	t, err := h.chat.GetTranscript(ctx, sess, q)
	if err != nil {
		return nil, err
	}
	return transcriptOutput{InitialContactID: t.InitialContactID, Transcript: t.Items, NextToken: t.NextToken}, nil
}

func (h *Handler) disconnect(ctx context.Context, _ *http.Request, token string, body []byte) (any, error) {
	sess, err := h.session(ctx, token)
	if err != nil {
		return nil, err
	}
	var in struct{ ClientToken string }
	if err := awsapi.Decode(body, &in, "ValidationException"); err != nil {
		return nil, err
	}
	if err := h.chat.Disconnect(ctx, sess, in.ClientToken); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) unsupported(ctx context.Context, r *http.Request, token string, _ []byte) (any, error) {
	if _, err := h.session(ctx, token); err != nil {
		return nil, err
	}
	return nil, awsapi.Errorf("ValidationException", 400, "%s %s is not supported by this Parley version", r.Method, r.URL.Path)
}
