package connect

import (
	"context"
	"fmt"
	"net/http"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/routing"
)

// registerAgents adds the operations on agents' real-time state.
func (h *Handler) registerAgents(mux *http.ServeMux) {
	mux.HandleFunc("PUT /users/{InstanceId}/{UserId}/status", h.call(h.putUserStatus))
	mux.HandleFunc("POST /metrics/userdata/{InstanceId}", h.call(h.getCurrentUserData))
	mux.HandleFunc("POST /contact/transfer", h.call(h.transferContact))
	mux.HandleFunc("POST /contacts/{InstanceId}/{ContactId}/routing-data", h.call(h.updateContactRoutingData))
}

func (h *Handler) transferContact(ctx context.Context, q request) (any, error) {
	var in struct {
		InstanceID    string `json:"InstanceId"`
		ContactID     string `json:"ContactId"`
		ContactFlowID string `json:"ContactFlowId"`
		QueueID       string `json:"QueueId"`
		UserID        string `json:"UserId"`
		ClientToken   string
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if err := q.checkInstance(in.InstanceID); err != nil {
		return nil, err
	}
	if in.ContactID == "" || in.ContactFlowID == "" {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "ContactId and ContactFlowId are required")
	}
	to := routing.TransferTarget{QueueID: childID(in.QueueID), UserID: childID(in.UserID)}
	if err := h.Routing.TransferContact(ctx, q.instance, childID(in.ContactID), childID(in.ContactFlowID), to); err != nil {
		return nil, err
	}
	id := childID(in.ContactID)
	return struct {
		ContactID  string `json:"ContactId"`
		ContactArn string
	}{id, h.arn(q.instance, "contact", id)}, nil
}

func (h *Handler) updateContactRoutingData(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in struct {
		QueueTimeAdjustmentSeconds *int
		QueuePriority              *int
		RoutingCriteria            any
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.RoutingCriteria != nil {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "RoutingCriteria (routing steps by proficiency) is not supported")
	}
	if err := h.Routing.UpdateRoutingData(ctx, q.instance, q.r.PathValue("ContactId"), in.QueuePriority, in.QueueTimeAdjustmentSeconds); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Handler) arn(instanceID, kind, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", h.Region, AccountID, instanceID, kind, id)
}

// queueARN is the ARN of a standard queue or of an agent's own queue
// (whose ID is already "agent/<user>").
func (h *Handler) queueARN(instanceID, queueID string) string {
	return h.arn(instanceID, "queue", queueID)
}

func (h *Handler) putUserStatus(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in struct {
		AgentStatusID string `json:"AgentStatusId"`
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.AgentStatusID == "" {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "AgentStatusId is required")
	}
	if _, err := h.Routing.SetStatus(ctx, q.instance, childID(q.r.PathValue("UserId")), childID(in.AgentStatusID)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type userDataOut struct {
	User                    idArn
	RoutingProfile          idArn
	Status                  statusRef
	AvailableSlotsByChannel map[string]int
	MaxSlotsByChannel       map[string]int
	ActiveSlotsByChannel    map[string]int
	Contacts                []agentContactRef
}

type idArn struct {
	ID  string `json:"Id"`
	Arn string
}

type statusRef struct {
	StatusStartTimestamp awsapi.EpochSeconds
	StatusArn            string `json:",omitempty"`
	StatusName           string
}

type agentContactRef struct {
	ContactID                 string `json:"ContactId"`
	Channel                   string
	InitiationMethod          string
	AgentContactState         string
	StateStartTimestamp       awsapi.EpochSeconds
	ConnectedToAgentTimestamp *awsapi.EpochSeconds `json:",omitempty"`
	Queue                     idArn
}

func (h *Handler) getCurrentUserData(ctx context.Context, q request) (any, error) {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return nil, err
	}
	var in struct {
		Filters *struct {
			Queues          []string
			RoutingProfiles []string
			Agents          []string
			ContactFilter   *struct{ ContactStates []string }
		}
		NextToken  string
		MaxResults int
	}
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.Filters == nil || len(in.Filters.Queues)+len(in.Filters.RoutingProfiles)+len(in.Filters.Agents) == 0 {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "Filters must name at least one of Queues, RoutingProfiles and Agents")
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "MaxResults must be between 1 and 100")
	}
	f := routing.UserDataFilter{}
	for _, id := range in.Filters.Queues {
		f.Queues = append(f.Queues, childID(id))
	}
	for _, id := range in.Filters.RoutingProfiles {
		f.RoutingProfiles = append(f.RoutingProfiles, childID(id))
	}
	for _, id := range in.Filters.Agents {
		f.Agents = append(f.Agents, childID(id))
	}
	if cf := in.Filters.ContactFilter; cf != nil {
		f.ContactStates = cf.ContactStates
	}
	data, err := h.Routing.CurrentUserData(ctx, q.instance, f)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(data, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	list := make([]userDataOut, 0, len(page))
	for _, d := range page {
		o := userDataOut{
			User:                    idArn{d.UserID, h.arn(q.instance, "agent", d.UserID)},
			RoutingProfile:          idArn{d.RoutingProfileID, h.arn(q.instance, "routing-profile", d.RoutingProfileID)},
			Status:                  statusRef{StatusStartTimestamp: awsapi.EpochSeconds(d.StatusSince), StatusName: d.StatusName},
			AvailableSlotsByChannel: map[string]int{routing.ChannelChat: d.AvailableSlots},
			MaxSlotsByChannel:       map[string]int{routing.ChannelChat: d.MaxSlots},
			ActiveSlotsByChannel:    map[string]int{routing.ChannelChat: d.ActiveSlots},
			Contacts:                []agentContactRef{},
		}
		if d.StatusID != "" {
			o.Status.StatusArn = h.arn(q.instance, "agent-state", d.StatusID)
		}
		for _, c := range d.Contacts {
			r := agentContactRef{ContactID: c.ContactID, Channel: "CHAT", InitiationMethod: "API", AgentContactState: c.AgentContactState,
				StateStartTimestamp: awsapi.EpochSeconds(c.StateStartTimestamp), Queue: idArn{c.QueueID, h.queueARN(q.instance, c.QueueID)}}
			if !c.ConnectedToAgent.IsZero() {
				t := awsapi.EpochSeconds(c.ConnectedToAgent)
				r.ConnectedToAgentTimestamp = &t
			}
			o.Contacts = append(o.Contacts, r)
		}
		list = append(list, o)
	}
	return struct {
		UserDataList          []userDataOut
		NextToken             string `json:",omitempty"`
		ApproximateTotalCount int
	}{list, next, len(data)}, nil
}
