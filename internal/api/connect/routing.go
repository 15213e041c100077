package connect

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/routing"
)

// registerRouting adds the routing resource operations: queues, routing
// profiles, hours of operation (and their overrides), quick connects and
// agent statuses.
func (h *Handler) registerRouting(mux *http.ServeMux) {
	for _, r := range []struct {
		pattern string
		op      operation
	}{
		{"PUT /queues/{InstanceId}", h.createQueue},
		{"GET /queues/{InstanceId}/{QueueId}", h.describeQueue},
		{"GET /queues-summary/{InstanceId}", h.listQueues},
		{"POST /queues/{InstanceId}/{QueueId}/status", h.updateQueueStatus},
		{"POST /queues/{InstanceId}/{QueueId}/hours-of-operation", h.updateQueueHoursOfOperation},
		{"POST /queues/{InstanceId}/{QueueId}/max-contacts", h.updateQueueMaxContacts},
		{"POST /queues/{InstanceId}/{QueueId}/name", h.updateQueueName},
		{"POST /queues/{InstanceId}/{QueueId}/outbound-caller-config", h.updateQueueOutboundCallerConfig},
		{"POST /queues/{InstanceId}/{QueueId}/associate-quick-connects", h.associateQueueQuickConnects},
		{"POST /queues/{InstanceId}/{QueueId}/disassociate-quick-connects", h.disassociateQueueQuickConnects},
		{"GET /queues/{InstanceId}/{QueueId}/quick-connects", h.listQueueQuickConnects},
		{"DELETE /queues/{InstanceId}/{QueueId}", h.deleteQueue},

		{"PUT /routing-profiles/{InstanceId}", h.createRoutingProfile},
		{"GET /routing-profiles/{InstanceId}/{RoutingProfileId}", h.describeRoutingProfile},
		{"GET /routing-profiles-summary/{InstanceId}", h.listRoutingProfiles},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/associate-queues", h.associateRoutingProfileQueues},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/disassociate-queues", h.disassociateRoutingProfileQueues},
		{"GET /routing-profiles/{InstanceId}/{RoutingProfileId}/queues", h.listRoutingProfileQueues},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/queues", h.updateRoutingProfileQueues},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/concurrency", h.updateRoutingProfileConcurrency},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/name", h.updateRoutingProfileName},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/default-outbound-queue", h.updateRoutingProfileDefaultOutboundQueue},
		{"POST /routing-profiles/{InstanceId}/{RoutingProfileId}/agent-availability-timer", h.updateRoutingProfileAgentAvailabilityTimer},
		{"DELETE /routing-profiles/{InstanceId}/{RoutingProfileId}", h.deleteRoutingProfile},

		{"PUT /hours-of-operations/{InstanceId}", h.createHoursOfOperation},
		{"GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}", h.describeHoursOfOperation},
		{"GET /hours-of-operations-summary/{InstanceId}", h.listHoursOfOperations},
		{"POST /hours-of-operations/{InstanceId}/{HoursOfOperationId}", h.updateHoursOfOperation},
		{"DELETE /hours-of-operations/{InstanceId}/{HoursOfOperationId}", h.deleteHoursOfOperation},
		{"PUT /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides", h.createHoursOfOperationOverride},
		{"GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides", h.listHoursOfOperationOverrides},
		{"GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides/{HoursOfOperationOverrideId}", h.describeHoursOfOperationOverride},
		{"POST /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides/{HoursOfOperationOverrideId}", h.updateHoursOfOperationOverride},
		{"DELETE /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides/{HoursOfOperationOverrideId}", h.deleteHoursOfOperationOverride},

		{"PUT /quick-connects/{InstanceId}", h.createQuickConnect},
		{"GET /quick-connects/{InstanceId}/{QuickConnectId}", h.describeQuickConnect},
		{"GET /quick-connects/{InstanceId}", h.listQuickConnects},
		{"POST /quick-connects/{InstanceId}/{QuickConnectId}/name", h.updateQuickConnectName},
		{"POST /quick-connects/{InstanceId}/{QuickConnectId}/config", h.updateQuickConnectConfig},
		{"DELETE /quick-connects/{InstanceId}/{QuickConnectId}", h.deleteQuickConnect},

		{"PUT /agent-status/{InstanceId}", h.createAgentStatus},
		{"GET /agent-status/{InstanceId}/{AgentStatusId}", h.describeAgentStatus},
		{"GET /agent-status/{InstanceId}", h.listAgentStatuses},
		{"POST /agent-status/{InstanceId}/{AgentStatusId}", h.updateAgentStatus},
	} {
		mux.HandleFunc(r.pattern, h.call(r.op))
	}
}

// ---- shared plumbing ----

// ARN resource types of the routing resources.
const (
	arnQueue        = "queue"
	arnProfile      = "routing-profile"
	arnHours        = "operating-hours"
	arnQuickConnect = "transfer-destination"
	arnAgentStatus  = "agent-state"
)

// idOf returns the resource ID a request names, bare or as an ARN of the
// caller's instance (arn:...:instance/<id>/<type>/<resource id>). An ARN
// of another instance is returned whole, so its lookup finds nothing.
func (q request) idOf(v string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	_, rest, ok := strings.Cut(v, ":instance/")
	if !ok {
		return v
	}
	inst, rest, ok := strings.Cut(rest, "/")
	if !ok || inst != q.instance {
		return v
	}
	if _, id, ok := strings.Cut(rest, "/"); ok {
		return id
	}
	return v
}

// path returns a path parameter as a resource ID.
func (q request) path(name string) string { return q.idOf(q.r.PathValue(name)) }

// start checks the instance of a call on a path with {InstanceId} and
// decodes its body into in (nil: no body).
func (q request) start(in any) error {
	if err := q.checkInstance(q.r.PathValue("InstanceId")); err != nil {
		return err
	}
	if in != nil {
		return q.decode(in)
	}
	return nil
}

// page cuts one page out of a List call's items with its nextToken and
// maxResults query parameters.
func page[T any](q request, items []T) ([]T, string, error) {
	query := q.r.URL.Query()
	maxResults := 0
	if v := query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", awsapi.Errorf("InvalidParameterException", 400, "MaxResults must be between 1 and 1000")
		}
		maxResults = n
	}
	return paginate(items, query.Get("nextToken"), maxResults)
}

// resourceSummary is the entry of the plain List calls.
type resourceSummary struct {
	ID                 string `json:"Id"`
	Arn                string
	Name               string
	LastModifiedTime   awsapi.EpochSeconds
	LastModifiedRegion string
}

func (h *Handler) summaryOf(instanceID, arnType, id, name string, at time.Time) resourceSummary {
	return resourceSummary{ID: id, Arn: h.arn(instanceID, arnType, id), Name: name, LastModifiedTime: awsapi.EpochSeconds(at), LastModifiedRegion: h.Region}
}

// nameUpdate is the body of the Update…Name calls.
type nameUpdate struct {
	Name        *string
	Description *string
}

// ---- queues ----

type queueOut struct {
	Name                 string
	QueueArn             string
	QueueID              string `json:"QueueId"`
	Description          string `json:",omitempty"`
	OutboundCallerConfig *routing.OutboundCallerConfig
	HoursOfOperationID   string `json:"HoursOfOperationId,omitempty"`
	MaxContacts          int    `json:",omitempty"`
	Status               string
	Tags                 map[string]string `json:",omitempty"`
	LastModifiedTime     awsapi.EpochSeconds
	LastModifiedRegion   string
}

func (h *Handler) createQueue(ctx context.Context, q request) (any, error) {
	var in struct {
		Name                 string
		Description          string
		HoursOfOperationID   string `json:"HoursOfOperationId"`
		MaxContacts          int
		OutboundCallerConfig *routing.OutboundCallerConfig
		QuickConnectIDs      []string `json:"QuickConnectIds"`
		Tags                 map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	for i, id := range in.QuickConnectIDs {
		in.QuickConnectIDs[i] = q.idOf(id)
	}
	out, err := h.Routing.CreateQueue(ctx, q.instance, routing.Queue{
		Name: in.Name, Description: in.Description, HoursOfOperationID: q.idOf(in.HoursOfOperationID), MaxContacts: in.MaxContacts,
		OutboundCallerConfig: in.OutboundCallerConfig, QuickConnectIDs: in.QuickConnectIDs, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		QueueID  string `json:"QueueId"`
		QueueArn string
	}{out.ID, h.queueARN(q.instance, out.ID)}, nil
}

func (h *Handler) describeQueue(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qu, err := h.Routing.Queue(ctx, q.instance, q.path("QueueId"))
	if err != nil {
		return nil, err
	}
	return struct{ Queue queueOut }{queueOut{
		Name: qu.Name, QueueArn: h.queueARN(q.instance, qu.ID), QueueID: qu.ID, Description: qu.Description,
		OutboundCallerConfig: qu.OutboundCallerConfig, HoursOfOperationID: qu.HoursOfOperationID, MaxContacts: qu.MaxContacts,
		Status: qu.Status, Tags: qu.Tags, LastModifiedTime: awsapi.EpochSeconds(qu.UpdatedAt), LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listQueues(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qs, err := h.Routing.ListQueues(ctx, q.instance, q.r.URL.Query()["queueTypes"])
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, qs)
	if err != nil {
		return nil, err
	}
	type entry struct {
		resourceSummary
		QueueType string
	}
	list := make([]entry, 0, len(pg))
	for _, s := range pg {
		list = append(list, entry{h.summaryOf(q.instance, arnQueue, s.ID, s.Name, s.UpdatedAt), s.Type})
	}
	return struct {
		QueueSummaryList []entry
		NextToken        string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) updateQueueStatus(ctx context.Context, q request) (any, error) {
	var in struct{ Status string }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQueueStatus(ctx, q.instance, q.path("QueueId"), in.Status)
}

func (h *Handler) updateQueueHoursOfOperation(ctx context.Context, q request) (any, error) {
	var in struct {
		HoursOfOperationID string `json:"HoursOfOperationId"`
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQueueHoursOfOperation(ctx, q.instance, q.path("QueueId"), q.idOf(in.HoursOfOperationID))
}

func (h *Handler) updateQueueMaxContacts(ctx context.Context, q request) (any, error) {
	var in struct{ MaxContacts int }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQueueMaxContacts(ctx, q.instance, q.path("QueueId"), in.MaxContacts)
}

func (h *Handler) updateQueueName(ctx context.Context, q request) (any, error) {
	var in nameUpdate
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQueueName(ctx, q.instance, q.path("QueueId"), in.Name, in.Description)
}

func (h *Handler) updateQueueOutboundCallerConfig(ctx context.Context, q request) (any, error) {
	var in struct{ OutboundCallerConfig *routing.OutboundCallerConfig }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if in.OutboundCallerConfig == nil {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "OutboundCallerConfig is required")
	}
	return struct{}{}, h.Routing.UpdateQueueOutboundCallerConfig(ctx, q.instance, q.path("QueueId"), *in.OutboundCallerConfig)
}

type quickConnectIDs struct {
	QuickConnectIDs []string `json:"QuickConnectIds"`
}

func (in quickConnectIDs) ids(q request) []string {
	out := make([]string, len(in.QuickConnectIDs))
	for i, id := range in.QuickConnectIDs {
		out[i] = q.idOf(id)
	}
	return out
}

func (h *Handler) associateQueueQuickConnects(ctx context.Context, q request) (any, error) {
	var in quickConnectIDs
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.AssociateQueueQuickConnects(ctx, q.instance, q.path("QueueId"), in.ids(q))
}

func (h *Handler) disassociateQueueQuickConnects(ctx context.Context, q request) (any, error) {
	var in quickConnectIDs
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DisassociateQueueQuickConnects(ctx, q.instance, q.path("QueueId"), in.ids(q))
}

type quickConnectSummary struct {
	resourceSummary
	QuickConnectType string
}

func (h *Handler) quickConnectSummaries(instanceID string, qcs []routing.QuickConnect) []quickConnectSummary {
	out := make([]quickConnectSummary, 0, len(qcs))
	for _, qc := range qcs {
		out = append(out, quickConnectSummary{h.summaryOf(instanceID, arnQuickConnect, qc.ID, qc.Name, qc.UpdatedAt), qc.Config.Type})
	}
	return out
}

func (h *Handler) listQueueQuickConnects(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qcs, err := h.Routing.QueueQuickConnects(ctx, q.instance, q.path("QueueId"))
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, qcs)
	if err != nil {
		return nil, err
	}
	return struct {
		QuickConnectSummaryList []quickConnectSummary
		NextToken               string `json:",omitempty"`
	}{h.quickConnectSummaries(q.instance, pg), next}, nil
}

func (h *Handler) deleteQueue(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteQueue(ctx, q.instance, q.path("QueueId"))
}

// ---- routing profiles ----

// mediaConcurrency is MediaConcurrency on the wire, where the cross-channel
// behaviour is an object.
type mediaConcurrency struct {
	Channel              string
	Concurrency          int
	CrossChannelBehavior *struct{ BehaviorType string } `json:",omitempty"`
}

func mediaIn(ms []mediaConcurrency) []routing.MediaConcurrency {
	out := make([]routing.MediaConcurrency, 0, len(ms))
	for _, m := range ms {
		mc := routing.MediaConcurrency{Channel: m.Channel, Concurrency: m.Concurrency}
		if m.CrossChannelBehavior != nil {
			mc.CrossChannelBehavior = m.CrossChannelBehavior.BehaviorType
		}
		out = append(out, mc)
	}
	return out
}

func mediaOut(ms []routing.MediaConcurrency) []mediaConcurrency {
	out := make([]mediaConcurrency, 0, len(ms))
	for _, m := range ms {
		mc := mediaConcurrency{Channel: m.Channel, Concurrency: m.Concurrency}
		behavior := m.CrossChannelBehavior
		if behavior == "" {
			behavior = routing.RouteCurrentChannelOnly
		}
		mc.CrossChannelBehavior = &struct{ BehaviorType string }{behavior}
		out = append(out, mc)
	}
	return out
}

type queueReference struct {
	QueueID string `json:"QueueId"`
	Channel string
}

type queueConfig struct {
	QueueReference queueReference
	Priority       int
	Delay          int
}

func (q request) queueConfigsIn(cs []queueConfig) []routing.ProfileQueue {
	out := make([]routing.ProfileQueue, 0, len(cs))
	for _, c := range cs {
		out = append(out, routing.ProfileQueue{QueueID: q.idOf(c.QueueReference.QueueID), Channel: c.QueueReference.Channel, Priority: c.Priority, Delay: c.Delay})
	}
	return out
}

// refuseManual answers the manual-assignment queues Parley does not have.
func refuseManual[T any](configs []T) error {
	if len(configs) > 0 {
		return awsapi.Errorf("InvalidParameterException", 400, "ManualAssignmentQueueConfigs are not supported")
	}
	return nil
}

func (h *Handler) createRoutingProfile(ctx context.Context, q request) (any, error) {
	var in struct {
		Name                         string
		Description                  string
		DefaultOutboundQueueID       string `json:"DefaultOutboundQueueId"`
		MediaConcurrencies           []mediaConcurrency
		QueueConfigs                 []queueConfig
		ManualAssignmentQueueConfigs []queueConfig
		AgentAvailabilityTimer       string
		Tags                         map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if err := refuseManual(in.ManualAssignmentQueueConfigs); err != nil {
		return nil, err
	}
	p, err := h.Routing.CreateRoutingProfile(ctx, q.instance, routing.RoutingProfile{
		Name: in.Name, Description: in.Description, DefaultOutboundQueueID: q.idOf(in.DefaultOutboundQueueID),
		MediaConcurrencies: mediaIn(in.MediaConcurrencies), Queues: q.queueConfigsIn(in.QueueConfigs),
		AgentAvailabilityTimer: in.AgentAvailabilityTimer, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		RoutingProfileID  string `json:"RoutingProfileId"`
		RoutingProfileArn string
	}{p.ID, h.arn(q.instance, arnProfile, p.ID)}, nil
}

func (h *Handler) describeRoutingProfile(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	p, err := h.Routing.RoutingProfile(ctx, q.instance, q.path("RoutingProfileId"))
	if err != nil {
		return nil, err
	}
	users, err := h.Routing.RoutingProfileUsers(ctx, q.instance, p.ID)
	if err != nil {
		return nil, err
	}
	var queueIDs []string
	for _, pq := range p.Queues {
		if !slices.Contains(queueIDs, pq.QueueID) {
			queueIDs = append(queueIDs, pq.QueueID)
		}
	}
	timer := p.AgentAvailabilityTimer
	if timer == "" {
		timer = "TIME_SINCE_LAST_ACTIVITY"
	}
	type profileOut struct {
		InstanceID               string `json:"InstanceId"`
		Name                     string
		RoutingProfileArn        string
		RoutingProfileID         string `json:"RoutingProfileId"`
		Description              string
		MediaConcurrencies       []mediaConcurrency
		DefaultOutboundQueueID   string            `json:"DefaultOutboundQueueId"`
		Tags                     map[string]string `json:",omitempty"`
		NumberOfAssociatedQueues int
		NumberOfAssociatedUsers  int
		AgentAvailabilityTimer   string
		AssociatedQueueIDs       []string `json:"AssociatedQueueIds"`
		LastModifiedTime         awsapi.EpochSeconds
		LastModifiedRegion       string
	}
	return struct{ RoutingProfile profileOut }{profileOut{
		InstanceID: q.instance, Name: p.Name, RoutingProfileArn: h.arn(q.instance, arnProfile, p.ID), RoutingProfileID: p.ID,
		Description: p.Description, MediaConcurrencies: mediaOut(p.MediaConcurrencies), DefaultOutboundQueueID: p.DefaultOutboundQueueID,
		Tags: p.Tags, NumberOfAssociatedQueues: len(p.Queues), NumberOfAssociatedUsers: users, AgentAvailabilityTimer: timer,
		AssociatedQueueIDs: queueIDs, LastModifiedTime: awsapi.EpochSeconds(p.UpdatedAt), LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listRoutingProfiles(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	ps, err := h.Routing.ListRoutingProfiles(ctx, q.instance)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, ps)
	if err != nil {
		return nil, err
	}
	list := make([]resourceSummary, 0, len(pg))
	for _, p := range pg {
		list = append(list, h.summaryOf(q.instance, arnProfile, p.ID, p.Name, p.UpdatedAt))
	}
	return struct {
		RoutingProfileSummaryList []resourceSummary
		NextToken                 string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) associateRoutingProfileQueues(ctx context.Context, q request) (any, error) {
	var in struct {
		QueueConfigs                 []queueConfig
		ManualAssignmentQueueConfigs []queueConfig
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if err := refuseManual(in.ManualAssignmentQueueConfigs); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.AssociateRoutingProfileQueues(ctx, q.instance, q.path("RoutingProfileId"), q.queueConfigsIn(in.QueueConfigs))
}

func (h *Handler) disassociateRoutingProfileQueues(ctx context.Context, q request) (any, error) {
	var in struct {
		QueueReferences                 []queueReference
		ManualAssignmentQueueReferences []queueReference
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if err := refuseManual(in.ManualAssignmentQueueReferences); err != nil {
		return nil, err
	}
	refs := make([]routing.ProfileQueueRef, 0, len(in.QueueReferences))
	for _, r := range in.QueueReferences {
		refs = append(refs, routing.ProfileQueueRef{QueueID: q.idOf(r.QueueID), Channel: r.Channel})
	}
	return struct{}{}, h.Routing.DisassociateRoutingProfileQueues(ctx, q.instance, q.path("RoutingProfileId"), refs)
}

func (h *Handler) listRoutingProfileQueues(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qs, err := h.Routing.RoutingProfileQueues(ctx, q.instance, q.path("RoutingProfileId"))
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, qs)
	if err != nil {
		return nil, err
	}
	type entry struct {
		QueueID   string `json:"QueueId"`
		QueueArn  string
		QueueName string
		Priority  int
		Delay     int
		Channel   string
	}
	list := make([]entry, 0, len(pg))
	for _, pq := range pg {
		list = append(list, entry{pq.QueueID, h.queueARN(q.instance, pq.QueueID), pq.QueueName, pq.Priority, pq.Delay, pq.Channel})
	}
	return struct {
		RoutingProfileQueueConfigSummaryList []entry
		NextToken                            string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) updateRoutingProfileQueues(ctx context.Context, q request) (any, error) {
	var in struct{ QueueConfigs []queueConfig }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateRoutingProfileQueues(ctx, q.instance, q.path("RoutingProfileId"), q.queueConfigsIn(in.QueueConfigs))
}

func (h *Handler) updateRoutingProfileConcurrency(ctx context.Context, q request) (any, error) {
	var in struct{ MediaConcurrencies []mediaConcurrency }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateRoutingProfileConcurrency(ctx, q.instance, q.path("RoutingProfileId"), mediaIn(in.MediaConcurrencies))
}

func (h *Handler) updateRoutingProfileName(ctx context.Context, q request) (any, error) {
	var in nameUpdate
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateRoutingProfileName(ctx, q.instance, q.path("RoutingProfileId"), in.Name, in.Description)
}

func (h *Handler) updateRoutingProfileDefaultOutboundQueue(ctx context.Context, q request) (any, error) {
	var in struct {
		DefaultOutboundQueueID string `json:"DefaultOutboundQueueId"`
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateRoutingProfileDefaultOutboundQueue(ctx, q.instance, q.path("RoutingProfileId"), q.idOf(in.DefaultOutboundQueueID))
}

func (h *Handler) updateRoutingProfileAgentAvailabilityTimer(ctx context.Context, q request) (any, error) {
	var in struct{ AgentAvailabilityTimer string }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateRoutingProfileAgentAvailabilityTimer(ctx, q.instance, q.path("RoutingProfileId"), in.AgentAvailabilityTimer)
}

func (h *Handler) deleteRoutingProfile(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteRoutingProfile(ctx, q.instance, q.path("RoutingProfileId"))
}

// ---- hours of operation ----

func (h *Handler) createHoursOfOperation(ctx context.Context, q request) (any, error) {
	var in struct {
		Name                          string
		Description                   string
		TimeZone                      string
		Config                        []routing.HoursConfig
		ParentHoursOfOperationConfigs []any
		Tags                          map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if len(in.ParentHoursOfOperationConfigs) > 0 {
		return nil, awsapi.Errorf("InvalidParameterException", 400, "ParentHoursOfOperationConfigs are not supported")
	}
	out, err := h.Routing.CreateHoursOfOperation(ctx, q.instance, routing.HoursOfOperation{
		Name: in.Name, Description: in.Description, TimeZone: in.TimeZone, Config: in.Config, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		HoursOfOperationID  string `json:"HoursOfOperationId"`
		HoursOfOperationArn string
	}{out.ID, h.arn(q.instance, arnHours, out.ID)}, nil
}

func (h *Handler) describeHoursOfOperation(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	ho, err := h.Routing.HoursOfOperation(ctx, q.instance, q.path("HoursOfOperationId"))
	if err != nil {
		return nil, err
	}
	type hoursOut struct {
		HoursOfOperationID  string `json:"HoursOfOperationId"`
		HoursOfOperationArn string
		Name                string
		Description         string `json:",omitempty"`
		TimeZone            string
		Config              []routing.HoursConfig
		Tags                map[string]string `json:",omitempty"`
		LastModifiedTime    awsapi.EpochSeconds
		LastModifiedRegion  string
	}
	cfg := ho.Config
	if cfg == nil {
		cfg = []routing.HoursConfig{}
	}
	return struct{ HoursOfOperation hoursOut }{hoursOut{
		HoursOfOperationID: ho.ID, HoursOfOperationArn: h.arn(q.instance, arnHours, ho.ID), Name: ho.Name, Description: ho.Description,
		TimeZone: ho.TimeZone, Config: cfg, Tags: ho.Tags, LastModifiedTime: awsapi.EpochSeconds(ho.UpdatedAt), LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listHoursOfOperations(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	hs, err := h.Routing.ListHoursOfOperations(ctx, q.instance)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, hs)
	if err != nil {
		return nil, err
	}
	list := make([]resourceSummary, 0, len(pg))
	for _, ho := range pg {
		list = append(list, h.summaryOf(q.instance, arnHours, ho.ID, ho.Name, ho.UpdatedAt))
	}
	return struct {
		HoursOfOperationSummaryList []resourceSummary
		NextToken                   string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) updateHoursOfOperation(ctx context.Context, q request) (any, error) {
	var in struct {
		Name        *string
		Description *string
		TimeZone    *string
		Config      *[]routing.HoursConfig
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateHoursOfOperation(ctx, q.instance, q.path("HoursOfOperationId"), routing.HoursUpdate{
		Name: in.Name, Description: in.Description, TimeZone: in.TimeZone, Config: in.Config,
	})
}

func (h *Handler) deleteHoursOfOperation(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteHoursOfOperation(ctx, q.instance, q.path("HoursOfOperationId"))
}

// overrideOut is HoursOfOperationOverride on the wire.
type overrideOut struct {
	HoursOfOperationOverrideID string `json:"HoursOfOperationOverrideId"`
	HoursOfOperationID         string `json:"HoursOfOperationId"`
	HoursOfOperationArn        string
	Name                       string
	Description                string `json:",omitempty"`
	Config                     []routing.HoursOverrideConfig
	EffectiveFrom              string
	EffectiveTill              string
	OverrideType               string
}

func (h *Handler) overrideOut(instanceID, hoursID string, o routing.HoursOverride) overrideOut {
	cfg := o.Config
	if cfg == nil {
		cfg = []routing.HoursOverrideConfig{}
	}
	return overrideOut{HoursOfOperationOverrideID: o.ID, HoursOfOperationID: hoursID, HoursOfOperationArn: h.arn(instanceID, arnHours, hoursID),
		Name: o.Name, Description: o.Description, Config: cfg, EffectiveFrom: o.EffectiveFrom, EffectiveTill: o.EffectiveTill, OverrideType: o.Type}
}

// overrideIn is the body of CreateHoursOfOperationOverride and
// UpdateHoursOfOperationOverride.
type overrideIn struct {
	Name             *string
	Description      *string
	Config           *[]routing.HoursOverrideConfig
	EffectiveFrom    *string
	EffectiveTill    *string
	OverrideType     *string
	RecurrenceConfig any
}

func (in overrideIn) check() error {
	if in.RecurrenceConfig != nil {
		return awsapi.Errorf("InvalidParameterException", 400, "RecurrenceConfig is not supported")
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (h *Handler) createHoursOfOperationOverride(ctx context.Context, q request) (any, error) {
	var in overrideIn
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	o := routing.HoursOverride{Name: deref(in.Name), Description: deref(in.Description), Type: deref(in.OverrideType),
		EffectiveFrom: deref(in.EffectiveFrom), EffectiveTill: deref(in.EffectiveTill)}
	if in.Config != nil {
		o.Config = *in.Config
	}
	out, err := h.Routing.CreateHoursOverride(ctx, q.instance, q.path("HoursOfOperationId"), o)
	if err != nil {
		return nil, err
	}
	return struct {
		HoursOfOperationOverrideID string `json:"HoursOfOperationOverrideId"`
	}{out.ID}, nil
}

func (h *Handler) listHoursOfOperationOverrides(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	ho, err := h.Routing.HoursOfOperation(ctx, q.instance, q.path("HoursOfOperationId"))
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, ho.Overrides)
	if err != nil {
		return nil, err
	}
	list := make([]overrideOut, 0, len(pg))
	for _, o := range pg {
		list = append(list, h.overrideOut(q.instance, ho.ID, o))
	}
	return struct {
		HoursOfOperationOverrideList []overrideOut
		NextToken                    string `json:",omitempty"`
		LastModifiedTime             awsapi.EpochSeconds
		LastModifiedRegion           string
	}{list, next, awsapi.EpochSeconds(ho.UpdatedAt), h.Region}, nil
}

func (h *Handler) describeHoursOfOperationOverride(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	hoursID := q.path("HoursOfOperationId")
	o, err := h.Routing.HoursOverride(ctx, q.instance, hoursID, q.r.PathValue("HoursOfOperationOverrideId"))
	if err != nil {
		return nil, err
	}
	return struct{ HoursOfOperationOverride overrideOut }{h.overrideOut(q.instance, hoursID, o)}, nil
}

func (h *Handler) updateHoursOfOperationOverride(ctx context.Context, q request) (any, error) {
	var in overrideIn
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateHoursOverride(ctx, q.instance, q.path("HoursOfOperationId"), q.r.PathValue("HoursOfOperationOverrideId"),
		routing.OverrideUpdate{Name: in.Name, Description: in.Description, Type: in.OverrideType,
			EffectiveFrom: in.EffectiveFrom, EffectiveTill: in.EffectiveTill, Config: in.Config})
}

func (h *Handler) deleteHoursOfOperationOverride(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteHoursOverride(ctx, q.instance, q.path("HoursOfOperationId"), q.r.PathValue("HoursOfOperationOverrideId"))
}

// ---- quick connects ----

// quickConnectConfigIn reads a QuickConnectConfig, whose wire shape is the
// stored one, with IDs given as ARNs made bare. FlowConfig (FLOW quick
// connects) is not supported and is refused by the domain's type check.
func (q request) quickConnectConfigIn(c *routing.QuickConnectConfig) (routing.QuickConnectConfig, error) {
	if c == nil {
		return routing.QuickConnectConfig{}, awsapi.Errorf("InvalidParameterException", 400, "QuickConnectConfig is required")
	}
	out := *c
	if u := out.UserConfig; u != nil {
		out.UserConfig = &routing.UserQuickConnectConfig{UserID: q.idOf(u.UserID), ContactFlowID: q.idOf(u.ContactFlowID)}
	}
	if qc := out.QueueConfig; qc != nil {
		out.QueueConfig = &routing.QueueQuickConnectConfig{QueueID: q.idOf(qc.QueueID), ContactFlowID: q.idOf(qc.ContactFlowID)}
	}
	return out, nil
}

func (h *Handler) createQuickConnect(ctx context.Context, q request) (any, error) {
	var in struct {
		Name               string
		Description        string
		QuickConnectConfig *routing.QuickConnectConfig
		Tags               map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	cfg, err := q.quickConnectConfigIn(in.QuickConnectConfig)
	if err != nil {
		return nil, err
	}
	out, err := h.Routing.CreateQuickConnect(ctx, q.instance, routing.QuickConnect{Name: in.Name, Description: in.Description, Config: cfg, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return struct {
		QuickConnectID  string `json:"QuickConnectId"`
		QuickConnectARN string
	}{out.ID, h.arn(q.instance, arnQuickConnect, out.ID)}, nil
}

func (h *Handler) describeQuickConnect(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qc, err := h.Routing.QuickConnect(ctx, q.instance, q.path("QuickConnectId"))
	if err != nil {
		return nil, err
	}
	type quickConnectOut struct {
		QuickConnectARN    string
		QuickConnectID     string `json:"QuickConnectId"`
		Name               string
		Description        string `json:",omitempty"`
		QuickConnectConfig routing.QuickConnectConfig
		Tags               map[string]string `json:",omitempty"`
		LastModifiedTime   awsapi.EpochSeconds
		LastModifiedRegion string
	}
	return struct{ QuickConnect quickConnectOut }{quickConnectOut{
		QuickConnectARN: h.arn(q.instance, arnQuickConnect, qc.ID), QuickConnectID: qc.ID, Name: qc.Name, Description: qc.Description,
		QuickConnectConfig: qc.Config, Tags: qc.Tags, LastModifiedTime: awsapi.EpochSeconds(qc.UpdatedAt), LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listQuickConnects(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	qcs, err := h.Routing.ListQuickConnects(ctx, q.instance, q.r.URL.Query()["QuickConnectTypes"])
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, qcs)
	if err != nil {
		return nil, err
	}
	return struct {
		QuickConnectSummaryList []quickConnectSummary
		NextToken               string `json:",omitempty"`
	}{h.quickConnectSummaries(q.instance, pg), next}, nil
}

func (h *Handler) updateQuickConnectName(ctx context.Context, q request) (any, error) {
	var in nameUpdate
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQuickConnectName(ctx, q.instance, q.path("QuickConnectId"), in.Name, in.Description)
}

func (h *Handler) updateQuickConnectConfig(ctx context.Context, q request) (any, error) {
	var in struct{ QuickConnectConfig *routing.QuickConnectConfig }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	cfg, err := q.quickConnectConfigIn(in.QuickConnectConfig)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateQuickConnectConfig(ctx, q.instance, q.path("QuickConnectId"), cfg)
}

func (h *Handler) deleteQuickConnect(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteQuickConnect(ctx, q.instance, q.path("QuickConnectId"))
}

// ---- agent statuses ----

func (h *Handler) createAgentStatus(ctx context.Context, q request) (any, error) {
	var in struct {
		Name         string
		Description  string
		State        string
		DisplayOrder int
		Tags         map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	st, err := h.Routing.CreateAgentStatus(ctx, q.instance, routing.AgentStatus{
		Name: in.Name, Description: in.Description, State: in.State, DisplayOrder: in.DisplayOrder, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return struct {
		AgentStatusID  string `json:"AgentStatusId"`
		AgentStatusARN string
	}{st.ID, h.arn(q.instance, arnAgentStatus, st.ID)}, nil
}

func (h *Handler) describeAgentStatus(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	st, err := h.Routing.AgentStatus(ctx, q.instance, q.path("AgentStatusId"))
	if err != nil {
		return nil, err
	}
	type statusOut struct {
		AgentStatusARN     string
		AgentStatusID      string `json:"AgentStatusId"`
		Name               string
		Description        string `json:",omitempty"`
		Type               string
		DisplayOrder       int `json:",omitempty"`
		State              string
		Tags               map[string]string    `json:",omitempty"`
		LastModifiedTime   *awsapi.EpochSeconds `json:",omitempty"`
		LastModifiedRegion string
	}
	return struct{ AgentStatus statusOut }{statusOut{
		AgentStatusARN: h.arn(q.instance, arnAgentStatus, st.ID), AgentStatusID: st.ID, Name: st.Name, Description: st.Description,
		Type: st.Type, DisplayOrder: st.DisplayOrder, State: st.State, Tags: st.Tags, LastModifiedTime: epochPtr(st.UpdatedAt),
		LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listAgentStatuses(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	sts, err := h.Routing.ListAgentStatuses(ctx, q.instance, q.r.URL.Query()["AgentStatusTypes"])
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, sts)
	if err != nil {
		return nil, err
	}
	type entry struct {
		ID                 string `json:"Id"`
		Arn                string
		Name               string
		Type               string
		LastModifiedTime   *awsapi.EpochSeconds `json:",omitempty"`
		LastModifiedRegion string
	}
	list := make([]entry, 0, len(pg))
	for _, st := range pg {
		list = append(list, entry{st.ID, h.arn(q.instance, arnAgentStatus, st.ID), st.Name, st.Type, epochPtr(st.UpdatedAt), h.Region})
	}
	return struct {
		AgentStatusSummaryList []entry
		NextToken              string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) updateAgentStatus(ctx context.Context, q request) (any, error) {
	var in struct {
		Name             *string
		Description      *string
		State            *string
		DisplayOrder     *int
		ResetOrderNumber bool
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.UpdateAgentStatus(ctx, q.instance, q.path("AgentStatusId"), routing.AgentStatusUpdate{
		Name: in.Name, Description: in.Description, State: in.State, DisplayOrder: in.DisplayOrder, ResetOrderNumber: in.ResetOrderNumber,
	})
}
