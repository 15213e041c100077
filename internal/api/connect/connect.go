// Package connect serves the Amazon Connect control-plane operations that
// chat needs (StartChatContact, StopContact, DescribeContact, contact
// attributes, CreateParticipant, UpdateParticipantRoleConfig) in the
// REST-JSON shapes of the AWS SDK, with AWS exception names. Every call is
// authenticated (SigV4 with an instance's access key) and may only touch
// that instance.
package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/widget"
)

// Authenticator verifies a request (with its already-read body) and
// returns the ID of the instance whose credentials signed it. Its error
// should be an *awsapi.Error.
type Authenticator func(r *http.Request, body []byte) (instanceID string, err error)

// Deps are what the handler serves the API with.
type Deps struct {
	Chat    *chat.Service
	Routing *routing.Service
	// Directory serves the user and security profile operations.
	Directory *auth.Directory
	// Flows serves the contact flow operations (and Parley's function
	// and flow-log extensions); without it they are not registered.
	Flows *flow.Service
	// Widgets serves Parley's chat widget operations; without it they
	// are not registered.
	Widgets *widget.Service
	// Auth authenticates every call.
	Auth   Authenticator
	Region string
	Log    *slog.Logger
}

// Handler serves the Connect API.
type Handler struct {
	Deps
	chat *chat.Service
	auth Authenticator
	log  *slog.Logger
}

// New returns the handler.
func New(d Deps) *Handler {
	return &Handler{Deps: d, chat: d.Chat, auth: d.Auth, log: d.Log}
}

// Register adds the Connect routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("PUT /contact/chat", h.call(h.startChatContact))
	mux.HandleFunc("POST /contact/stop", h.call(h.stopContact))
	mux.HandleFunc("GET /contacts/{InstanceId}/{ContactId}", h.call(h.describeContact))
	mux.HandleFunc("GET /contact/attributes/{InstanceId}/{InitialContactId}", h.call(h.getContactAttributes))
	mux.HandleFunc("POST /contact/attributes", h.call(h.updateContactAttributes))
	mux.HandleFunc("POST /contact/create-participant", h.call(h.createParticipant))
	mux.HandleFunc("PUT /contact/participant-role-config/{InstanceId}/{ContactId}", h.call(h.updateParticipantRoleConfig))
	h.registerRouting(mux)
	h.registerAgents(mux)
	h.registerUsers(mux)
	h.registerQuickResponses(mux)
	if h.Flows != nil {
		h.registerFlows(mux)
	}
	if h.Widgets != nil {
		h.registerWidgets(mux)
	}
}

// request is an authenticated Connect call.
type request struct {
	r        *http.Request
	body     []byte
	instance string // the caller's instance
}

// decode parses the request body.
func (q request) decode(v any) error {
	if err := awsapi.Decode(q.body, v, "InvalidRequestException"); err != nil {
		return err
	}
	return nil
}

// checkInstance answers ResourceNotFoundException for any instance other
// than the caller's, so no caller can learn what other instances exist.
func (q request) checkInstance(id string) error {
	if id == "" {
		return awsapi.Errorf("InvalidParameterException", 400, "InstanceId is required")
	}
	if resourceID(id) != q.instance {
		return awsapi.Errorf("ResourceNotFoundException", 404, "Instance %s not found", id)
	}
	return nil
}

type operation func(ctx context.Context, q request) (any, error)

func (h *Handler) call(op operation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		awsapi.Serve(w, r, "InvalidRequestException", h.mapError, func(body []byte) (any, error) {
			instanceID, err := h.auth(r, body)
			if err != nil {
				return nil, err
			}
			return op(r.Context(), request{r: r, body: body, instance: instanceID})
		})
	}
}

// mapError turns a domain error into the Connect API's exceptions.
func (h *Handler) mapError(err error) *awsapi.Error {
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		return ae
	}
	var ce *fault.Error
	if !errors.As(err, &ce) {
		return awsapi.Internal(h.log, "InternalServiceException", err)
	}
	switch ce.Code {
	case fault.InvalidParameter:
		return awsapi.Errorf("InvalidParameterException", 400, "%s", ce.Message)
	case fault.InvalidRequest:
		return awsapi.Errorf("InvalidRequestException", 400, "%s", ce.Message)
	case fault.NotFound:
		return awsapi.Errorf("ResourceNotFoundException", 404, "%s", ce.Message)
	case fault.ContactNotFound:
		return awsapi.Errorf("ContactNotFoundException", 410, "%s", ce.Message)
	case fault.AccessDenied:
		return awsapi.Errorf("AccessDeniedException", 403, "%s", ce.Message)
	case fault.QuotaExceeded:
		return awsapi.Errorf("ServiceQuotaExceededException", 402, "%s", ce.Message)
	case fault.LimitExceeded:
		return awsapi.Errorf("LimitExceededException", http.StatusTooManyRequests, "%s", ce.Message)
	case fault.Duplicate:
		return awsapi.Errorf("DuplicateResourceException", http.StatusConflict, "%s", ce.Message)
	case fault.InUse:
		return awsapi.Errorf("ResourceInUseException", http.StatusConflict, "%s", ce.Message)
	case fault.Conflict:
		return awsapi.Errorf("ResourceConflictException", http.StatusConflict, "%s", ce.Message)
	}
	return awsapi.Internal(h.log, "InternalServiceException", err)
}

type startChatInput struct {
	InstanceID         string `json:"InstanceId"`
	ContactFlowID      string `json:"ContactFlowId"`
	Attributes         map[string]string
	ParticipantDetails *struct{ DisplayName string }
	InitialMessage     *struct {
		ContentType string
		Content     string
	}
	ClientToken                    string
	ChatDurationInMinutes          int
	SupportedMessagingContentTypes []string
	PersistentChat                 *struct {
		RehydrationType string
		SourceContactID string `json:"SourceContactId"`
	}
	RelatedContactID         string `json:"RelatedContactId"`
	SegmentAttributes        json.RawMessage
	CustomerID               string `json:"CustomerId"`
	DisconnectOnCustomerExit []string
	ParticipantConfiguration *struct{ ResponseMode string }
}

func (h *Handler) startChatContact(ctx context.Context, q request) (any, error) {
	var in startChatInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if err := q.checkInstance(in.InstanceID); err != nil {
		return nil, err
	}
	if in.ParticipantDetails == nil {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "ParticipantDetails is required")
	}
	if pc := in.ParticipantConfiguration; pc != nil && pc.ResponseMode != "" && pc.ResponseMode != "COMPLETE" && pc.ResponseMode != "INCREMENTAL" {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "ParticipantConfiguration.ResponseMode must be COMPLETE or INCREMENTAL")
	}
	start := chat.StartInput{
		ContactFlowID:            in.ContactFlowID,
		DisplayName:              in.ParticipantDetails.DisplayName,
		Attributes:               in.Attributes,
		ClientToken:              in.ClientToken,
		ChatDurationMinutes:      in.ChatDurationInMinutes,
		SupportedContentTypes:    in.SupportedMessagingContentTypes,
		RelatedContactID:         in.RelatedContactID,
		SegmentAttributes:        in.SegmentAttributes,
		CustomerID:               in.CustomerID,
		DisconnectOnCustomerExit: in.DisconnectOnCustomerExit,
	}
	if m := in.InitialMessage; m != nil {
		start.InitialMessage = &chat.MessageInput{ContentType: m.ContentType, Content: m.Content}
	}
	if pc := in.PersistentChat; pc != nil {
		start.PersistentChat = &chat.PersistentChat{RehydrationType: pc.RehydrationType, SourceContactID: pc.SourceContactID}
	}
	return h.chat.StartChat(ctx, q.instance, start)
}

func (h *Handler) stopContact(ctx context.Context, q request) (any, error) {
	var in struct {
		InstanceID       string `json:"InstanceId"`
		ContactID        string `json:"ContactId"`
		DisconnectReason *struct{ Code string }
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if err := q.checkInstance(in.InstanceID); err != nil {
		return nil, err
	}
	if in.ContactID == "" {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "ContactId is required")
	}
	reason := ""
	if in.DisconnectReason != nil {
		reason = in.DisconnectReason.Code
	}
	return struct{}{}, h.chat.StopContact(ctx, q.instance, in.ContactID, reason)
}

// contactOut is DescribeContact's Contact.
type contactOut struct {
	Arn                 string
	ID                  string              `json:"Id"`
	InitialContactID    string              `json:"InitialContactId,omitempty"`
	PreviousContactID   string              `json:"PreviousContactId,omitempty"`
	RelatedContactID    string              `json:"RelatedContactId,omitempty"`
	InitiationMethod    string              `json:",omitempty"`
	Channel             string              `json:",omitempty"`
	InitiationTimestamp awsapi.EpochSeconds `json:",omitempty"`
	DisconnectTimestamp *awsapi.EpochSeconds
	LastUpdateTimestamp awsapi.EpochSeconds
	CustomerID          string          `json:"CustomerId,omitempty"`
	SegmentAttributes   json.RawMessage `json:",omitempty"`
	DisconnectReason    string          `json:",omitempty"`
	ChatMetrics         *chatMetrics    `json:",omitempty"`
	QueueInfo           *queueInfo      `json:",omitempty"`
	AgentInfo           *agentInfo      `json:",omitempty"`
	QueuePriority       int             `json:",omitempty"`
}

type queueInfo struct {
	ID               string `json:"Id"`
	EnqueueTimestamp awsapi.EpochSeconds
}

type agentInfo struct {
	ID                             string               `json:"Id"`
	AcceptedByAgentTimestamp       *awsapi.EpochSeconds `json:",omitempty"`
	ConnectedToAgentTimestamp      *awsapi.EpochSeconds `json:",omitempty"`
	AfterContactWorkStartTimestamp *awsapi.EpochSeconds `json:",omitempty"`
	AfterContactWorkEndTimestamp   *awsapi.EpochSeconds `json:",omitempty"`
	AfterContactWorkDuration       int                  `json:",omitempty"`
}

// epochPtr is a timestamp field that is absent while t is zero.
func epochPtr(t time.Time) *awsapi.EpochSeconds {
	if t.IsZero() {
		return nil
	}
	e := awsapi.EpochSeconds(t)
	return &e
}

type chatMetrics struct {
	ChatContactMetrics struct {
		MultiParty bool
	}
}

func (h *Handler) describeContact(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	c, err := h.chat.Contact(ctx, q.instance, q.r.PathValue("ContactId"))
	if err != nil {
		return nil, err
	}
	ps, err := h.chat.Participants(ctx, c)
	if err != nil {
		return nil, err
	}
	out := contactOut{
		Arn:                 fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/contact/%s", h.Region, AccountID, c.InstanceID, c.ID),
		ID:                  c.ID,
		InitialContactID:    c.InitialContactID,
		PreviousContactID:   c.PreviousContactID,
		RelatedContactID:    c.RelatedContactID,
		InitiationMethod:    c.InitiationMethod,
		Channel:             c.Channel,
		InitiationTimestamp: awsapi.EpochSeconds(c.InitiatedAt),
		LastUpdateTimestamp: awsapi.EpochSeconds(c.LastUpdatedAt),
		CustomerID:          c.CustomerID,
		DisconnectReason:    c.DisconnectReason,
		ChatMetrics:         &chatMetrics{},
	}
	if c.SegmentAttributes != "" {
		out.SegmentAttributes = json.RawMessage(c.SegmentAttributes)
	}
	if h.Routing != nil {
		info, ok, err := h.Routing.Contact(ctx, q.instance, c.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out.QueueInfo = &queueInfo{ID: info.QueueID, EnqueueTimestamp: awsapi.EpochSeconds(info.EnqueuedAt)}
			out.QueuePriority = info.Priority
			if info.AgentID != "" {
				out.AgentInfo = &agentInfo{ID: info.AgentID, AcceptedByAgentTimestamp: epochPtr(info.AcceptedAt),
					ConnectedToAgentTimestamp: epochPtr(info.ConnectedToAgentAt), AfterContactWorkStartTimestamp: epochPtr(info.ACWStartedAt),
					AfterContactWorkEndTimestamp: epochPtr(info.ACWEndedAt), AfterContactWorkDuration: info.AfterContactWorkSeconds}
			}
		}
	}
	if !c.DisconnectedAt.IsZero() {
		t := awsapi.EpochSeconds(c.DisconnectedAt)
		out.DisconnectTimestamp = &t
	}
	humans := 0
	for _, p := range ps {
		if p.Role == store.RoleAgent || p.Role == store.RoleSupervisor {
			humans++
		}
	}
	out.ChatMetrics.ChatContactMetrics.MultiParty = humans > 1
	return struct{ Contact contactOut }{out}, nil
}

// AccountID is the AWS account number in the ARNs Parley hands out: a
// self-hosted instance belongs to no AWS account.
const AccountID = "000000000000"

func (h *Handler) getContactAttributes(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	attrs, err := h.chat.Attributes(ctx, q.instance, q.r.PathValue("InitialContactId"))
	if err != nil {
		return nil, err
	}
	return struct{ Attributes map[string]string }{attrs}, nil
}

func (h *Handler) updateContactAttributes(ctx context.Context, q request) (any, error) {
	var in struct {
		InstanceID       string `json:"InstanceId"`
		InitialContactID string `json:"InitialContactId"`
		Attributes       map[string]string
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if err := q.checkInstance(in.InstanceID); err != nil {
		return nil, err
	}
	if in.InitialContactID == "" {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "InitialContactId is required")
	}
	return struct{}{}, h.chat.UpdateAttributes(ctx, q.instance, in.InitialContactID, in.Attributes)
}

func (h *Handler) createParticipant(ctx context.Context, q request) (any, error) {
	var in struct {
		InstanceID         string `json:"InstanceId"`
		ContactID          string `json:"ContactId"`
		ClientToken        string
		ParticipantDetails *struct {
			ParticipantRole string
			DisplayName     string
		}
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if err := q.checkInstance(in.InstanceID); err != nil {
		return nil, err
	}
	if in.ContactID == "" || in.ParticipantDetails == nil {
		return nil, awsapi.Errorf("InvalidRequestException", 400, "ContactId and ParticipantDetails are required")
	}
	out, err := h.chat.CreateParticipant(ctx, q.instance, in.ContactID, chat.NewParticipantInput{
		Role: in.ParticipantDetails.ParticipantRole, DisplayName: in.ParticipantDetails.DisplayName, ClientToken: in.ClientToken,
	})
	if err != nil {
		return nil, err
	}
	type creds struct {
		ParticipantToken string
		Expiry           string
	}
	return struct {
		ParticipantCredentials creds
		ParticipantID          string `json:"ParticipantId"`
	}{creds{out.ParticipantToken, chat.FormatTime(out.Expiry)}, out.ParticipantID}, nil
}

func (h *Handler) updateParticipantRoleConfig(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in struct {
		ChannelConfiguration *struct {
			Chat *struct {
				ParticipantTimerConfigList []struct {
					ParticipantRole string
					TimerType       string
					TimerValue      struct {
						ParticipantTimerAction            string
						ParticipantTimerDurationInMinutes *int
					}
				}
			}
		}
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.ChannelConfiguration == nil || in.ChannelConfiguration.Chat == nil {
		return nil, awsapi.Errorf("InvalidRequestException", 400, "ChannelConfiguration.Chat is required")
	}
	var cfg []chat.TimerConfig
	for _, t := range in.ChannelConfiguration.Chat.ParticipantTimerConfigList {
		v := t.TimerValue
		tc := chat.TimerConfig{Role: t.ParticipantRole, Type: t.TimerType}
		switch {
		case v.ParticipantTimerAction != "" && v.ParticipantTimerDurationInMinutes != nil:
			return nil, awsapi.Errorf("InvalidParameterException", 400, "TimerValue takes exactly one of ParticipantTimerAction and ParticipantTimerDurationInMinutes")
		case v.ParticipantTimerAction == "Unset":
		case v.ParticipantTimerAction != "":
			return nil, awsapi.Errorf("InvalidParameterException", 400, "ParticipantTimerAction must be Unset")
		case v.ParticipantTimerDurationInMinutes != nil:
			tc.Minutes = *v.ParticipantTimerDurationInMinutes
			if tc.Minutes == 0 {
				return nil, awsapi.Errorf("InvalidParameterException", 400, "ParticipantTimerDurationInMinutes must be between 2 and 480")
			}
		default:
			return nil, awsapi.Errorf("InvalidParameterException", 400, "TimerValue is required")
		}
		cfg = append(cfg, tc)
	}
	return struct{}{}, h.chat.UpdateParticipantRoleConfig(ctx, q.instance, q.r.PathValue("ContactId"), cfg)
}

// resourceID accepts an ID or an ARN (instance/<id>/...) and returns the
// instance-level ID it names.
func resourceID(idOrARN string) string {
	if !strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN
	}
	_, rest, ok := strings.Cut(idOrARN, ":instance/")
	if !ok {
		return idOrARN
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
