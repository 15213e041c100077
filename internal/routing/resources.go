package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Limits of the routing resources, as Connect documents them.
const (
	maxNameLength        = 127
	maxDescriptionLength = 250
	maxTags              = 50
	maxTagKeyLength      = 128
	maxTagValueLength    = 256
	// maxQueueConfigsPerCall bounds QueueConfigs of one routing profile call.
	maxQueueConfigsPerCall = 10
	// maxQuickConnectsPerCall bounds the quick connect IDs of one queue call.
	maxQuickConnectsPerCall = 50
	maxHoursConfigs         = 100
	maxPriority             = 99
	maxDelay                = 9999
	maxChatConcurrency      = 10
	maxDisplayOrder         = 50
)

// Cross-channel behaviours of a media concurrency.
const (
	RouteCurrentChannelOnly = "ROUTE_CURRENT_CHANNEL_ONLY"
	RouteAnyChannel         = "ROUTE_ANY_CHANNEL"
)

// ChannelEmail is accepted in routing profiles, like TASK, so Connect
// configurations import unchanged; Parley routes no email.
const ChannelEmail = "EMAIL"

// Queue types of ListQueues.
const (
	QueueTypeStandard = "STANDARD"
	QueueTypeAgent    = "AGENT"
)

// States of agent statuses.
const (
	statusEnabled  = "ENABLED"
	statusDisabled = "DISABLED"
)

// kindInfo names one kind of resource for the store and for errors.
type kindInfo struct {
	kind         string // the store kind
	resourceType string // the fault's ResourceType
	label        string // how messages name it
}

var (
	kindQueue        = kindInfo{store.KindQueue, "QUEUE", "Queue"}
	kindProfile      = kindInfo{store.KindRoutingProfile, "ROUTING_PROFILE", "Routing profile"}
	kindHours        = kindInfo{store.KindHours, "HOURS_OF_OPERATION", "Hours of operation"}
	kindQuickConnect = kindInfo{store.KindQuickConnect, "QUICK_CONNECT", "Quick connect"}
	kindAgentStatus  = kindInfo{store.KindAgentStatus, "AGENT_STATUS", "Agent status"}
	kindUser         = kindInfo{store.KindUser, "USER", "User"}
)

func (k kindInfo) notFound(id string) error {
	return fault.NotFoundf(k.resourceType, id, "%s %s not found", k.label, id)
}

func invalid(format string, args ...any) error {
	return fault.Errorf(fault.InvalidParameter, format, args...)
}

// ---- decoding and storing ----

func decodeBody[T any](r store.Resource) (T, error) {
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return v, fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
	}
	return v, nil
}

// decodeQueue reads a queue resource. A queue stored without a status is
// enabled.
func decodeQueue(r store.Resource) (Queue, error) {
	q, err := decodeBody[Queue](r)
	if err != nil {
		return q, err
	}
	q.ID, q.UpdatedAt = r.ID, r.UpdatedAt
	if q.Status == "" {
		q.Status = QueueEnabled
	}
	return q, nil
}

// decodeProfile reads a routing profile resource.
func decodeProfile(r store.Resource) (RoutingProfile, error) {
	p, err := decodeBody[RoutingProfile](r)
	if err != nil {
		return p, err
	}
	p.ID, p.UpdatedAt = r.ID, r.UpdatedAt
	return p, nil
}

// decodeHours reads an hours of operation resource.
func decodeHours(r store.Resource) (HoursOfOperation, error) {
	h, err := decodeBody[HoursOfOperation](r)
	if err != nil {
		return h, err
	}
	h.ID, h.UpdatedAt = r.ID, r.UpdatedAt
	return h, nil
}

// decodeQuickConnect reads a quick connect resource.
func decodeQuickConnect(r store.Resource) (QuickConnect, error) {
	qc, err := decodeBody[QuickConnect](r)
	if err != nil {
		return qc, err
	}
	qc.ID, qc.UpdatedAt = r.ID, r.UpdatedAt
	return qc, nil
}

// decodeAgentStatus reads an agent status resource.
func decodeAgentStatus(r store.Resource) (AgentStatus, error) {
	st, err := decodeBody[AgentStatus](r)
	if err != nil {
		return st, err
	}
	st.ID, st.UpdatedAt = r.ID, r.UpdatedAt
	if st.Type == "" {
		st.Type = StatusCustom
	}
	return st, nil
}

// txGet reads one resource inside a write; a missing one is NotFound.
func txGet(tx store.Tx, instanceID string, k kindInfo, id string) (store.Resource, error) {
	if id == "" {
		return store.Resource{}, k.notFound(id)
	}
	r, err := tx.GetResource(instanceID, k.kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, k.notFound(id)
	} else if err != nil {
		return r, fmt.Errorf("get %s %s: %w", k.kind, id, err)
	}
	return r, nil
}

// txList reads and decodes every resource of a kind inside a write.
func txList[T any](tx store.Tx, instanceID, kind string, decode func(store.Resource) (T, error)) ([]T, error) {
	rs, err := tx.ListResources(instanceID, kind)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	out := make([]T, 0, len(rs))
	for _, r := range rs {
		v, err := decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// get reads and decodes one resource outside a write.
func get[T any](ctx context.Context, s *Service, instanceID string, k kindInfo, id string, decode func(store.Resource) (T, error)) (T, error) {
	var zero T
	if id == "" {
		return zero, k.notFound(id)
	}
	r, err := s.store.GetResource(ctx, instanceID, k.kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return zero, k.notFound(id)
	} else if err != nil {
		return zero, fmt.Errorf("get %s %s: %w", k.kind, id, err)
	}
	return decode(r)
}

// list reads and decodes every resource of a kind outside a write, by name.
func list[T any](ctx context.Context, s *Service, instanceID string, k kindInfo, decode func(store.Resource) (T, error)) ([]T, error) {
	rs, err := s.store.ListResources(ctx, instanceID, k.kind)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", k.kind, err)
	}
	out := make([]T, 0, len(rs))
	for _, r := range rs {
		v, err := decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// put stores a resource as body, keeping old's creation time when it
// replaces one; a name another resource of the kind has is Duplicate.
func (s *Service) put(tx store.Tx, instanceID string, k kindInfo, old *store.Resource, id, name string, body any) (time.Time, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return time.Time{}, fmt.Errorf("encode %s %s: %w", k.kind, id, err)
	}
	now := s.clock()
	r := store.Resource{InstanceID: instanceID, Kind: k.kind, ID: id, Name: name, Body: raw, CreatedAt: now, UpdatedAt: now}
	if old != nil {
		r.CreatedAt = old.CreatedAt
	}
	err = tx.PutResource(r)
	if errors.Is(err, store.ErrDuplicate) {
		return time.Time{}, fault.Errorf(fault.Duplicate, "%s named %q already exists", k.label, name)
	} else if err != nil {
		return time.Time{}, fmt.Errorf("put %s %s: %w", k.kind, id, err)
	}
	return now, nil
}

// write runs fn in a transaction holding the instance's routing lock, so
// reference checks and the write they guard cannot interleave with
// another configuration change or a routing pass. With kick set, a
// routing pass follows the commit: the change may make a match possible.
func (s *Service) write(ctx context.Context, instanceID string, kick bool, fn func(tx store.Tx) error) error {
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return fmt.Errorf("lock routing: %w", err)
		}
		return fn(tx)
	})
	if err != nil {
		return err
	}
	if kick {
		s.dispatch.kick(instanceID)
	}
	return nil
}

// modify changes one stored resource in a write: fn edits its decoded
// value, which is then stored under its (possibly new) name.
func modify[T any](ctx context.Context, s *Service, instanceID string, k kindInfo, id string, kick bool,
	decode func(store.Resource) (T, error), name func(*T) string, fn func(tx store.Tx, v *T) error) error {
	return s.write(ctx, instanceID, kick, func(tx store.Tx) error {
		r, err := txGet(tx, instanceID, k, id)
		if err != nil {
			return err
		}
		v, err := decode(r)
		if err != nil {
			return err
		}
		if err := fn(tx, &v); err != nil {
			return err
		}
		_, err = s.put(tx, instanceID, k, &r, id, name(&v), v)
		return err
	})
}

// ---- validation shared by every kind ----

func checkName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLength {
		return invalid("Name must be 1 to %d characters", maxNameLength)
	}
	return nil
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > maxDescriptionLength {
		return invalid("Description must be at most %d characters", maxDescriptionLength)
	}
	return nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return invalid("Tags: at most %d tags", maxTags)
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLength {
			return invalid("Tags: keys must be 1 to %d characters", maxTagKeyLength)
		}
		if strings.HasPrefix(k, "aws:") {
			return invalid("Tags: the aws: prefix is reserved")
		}
		if utf8.RuneCountInString(v) > maxTagValueLength {
			return invalid("Tags: values must be at most %d characters", maxTagValueLength)
		}
	}
	return nil
}

// checkNaming validates the fields every resource has.
func checkNaming(name, description string, tags map[string]string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkDescription(description); err != nil {
		return err
	}
	return checkTags(tags)
}

// rename applies UpdateXName's optional Name and Description; at least
// one must be given.
func rename(name, description *string, curName, curDesc *string) error {
	if name == nil && description == nil {
		return invalid("Name or Description is required")
	}
	if name != nil {
		if err := checkName(*name); err != nil {
			return err
		}
		*curName = *name
	}
	if description != nil {
		if err := checkDescription(*description); err != nil {
			return err
		}
		*curDesc = *description
	}
	return nil
}

// ---- queues ----

// QueueSummary is one entry of ListQueues.
type QueueSummary struct {
	ID        string
	Name      string
	Type      string // QueueTypeStandard or QueueTypeAgent
	UpdatedAt time.Time
}

// IsAgentQueue reports whether a queue ID names an agent's own queue.
func IsAgentQueue(queueID string) bool { return strings.HasPrefix(queueID, AgentQueuePrefix) }

func errAgentQueue(queueID string) error {
	return fault.Errorf(fault.InvalidRequest, "Queue %s is an agent queue, which cannot be changed", queueID)
}

func checkQueue(q Queue) error {
	if err := checkNaming(q.Name, q.Description, q.Tags); err != nil {
		return err
	}
	if q.MaxContacts < 0 {
		return invalid("MaxContacts must be at least 0")
	}
	if len(q.QuickConnectIDs) > maxQuickConnectsPerCall {
		return invalid("QuickConnectIds: at most %d", maxQuickConnectsPerCall)
	}
	return nil
}

// CreateQueue creates an enabled standard queue from q (its ID and Status
// are ignored). Its hours of operation and quick connects must exist.
func (s *Service) CreateQueue(ctx context.Context, instanceID string, q Queue) (Queue, error) {
	q.ID, q.Status = uuid.NewString(), QueueEnabled
	q.QuickConnectIDs = dedupe(q.QuickConnectIDs)
	if err := checkQueue(q); err != nil {
		return Queue{}, err
	}
	if q.HoursOfOperationID == "" {
		return Queue{}, invalid("HoursOfOperationId is required")
	}
	err := s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindHours, q.HoursOfOperationID); err != nil {
			return err
		}
		for _, id := range q.QuickConnectIDs {
			if _, err := txGet(tx, instanceID, kindQuickConnect, id); err != nil {
				return err
			}
		}
		at, err := s.put(tx, instanceID, kindQueue, nil, q.ID, q.Name, q)
		q.UpdatedAt = at
		return err
	})
	if err != nil {
		return Queue{}, fmt.Errorf("create queue: %w", err)
	}
	return q, nil
}

// Queue returns a queue: a standard one, or an agent's own queue (named
// after the user, always enabled).
func (s *Service) Queue(ctx context.Context, instanceID, queueID string) (Queue, error) {
	if IsAgentQueue(queueID) {
		userID := strings.TrimPrefix(queueID, AgentQueuePrefix)
		r, err := s.store.GetResource(ctx, instanceID, store.KindUser, userID)
		if errors.Is(err, store.ErrNotFound) || userID == "" {
			return Queue{}, kindQueue.notFound(queueID)
		} else if err != nil {
			return Queue{}, fmt.Errorf("get user %s: %w", userID, err)
		}
		return Queue{ID: queueID, Name: r.Name, Status: QueueEnabled, UpdatedAt: r.UpdatedAt}, nil
	}
	return get(ctx, s, instanceID, kindQueue, queueID, decodeQueue)
}

// ListQueues lists the queues of the given types (STANDARD, AGENT; none
// means both): standard queues by name, then agent queues by username.
func (s *Service) ListQueues(ctx context.Context, instanceID string, types []string) ([]QueueSummary, error) {
	standard, agent := len(types) == 0, len(types) == 0
	for _, t := range types {
		switch t {
		case QueueTypeStandard:
			standard = true
		case QueueTypeAgent:
			agent = true
		default:
			return nil, invalid("QueueTypes: unknown type %q", t)
		}
	}
	var out []QueueSummary
	if standard {
		qs, err := list(ctx, s, instanceID, kindQueue, decodeQueue)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			out = append(out, QueueSummary{ID: q.ID, Name: q.Name, Type: QueueTypeStandard, UpdatedAt: q.UpdatedAt})
		}
	}
	if agent {
		us, err := s.store.ListResources(ctx, instanceID, store.KindUser)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range us {
			out = append(out, QueueSummary{ID: AgentQueueID(u.ID), Name: u.Name, Type: QueueTypeAgent, UpdatedAt: u.UpdatedAt})
		}
	}
	return out, nil
}

// modifyQueue changes a standard queue.
func (s *Service) modifyQueue(ctx context.Context, instanceID, queueID string, kick bool, fn func(tx store.Tx, q *Queue) error) error {
	if IsAgentQueue(queueID) {
		return errAgentQueue(queueID)
	}
	return modify(ctx, s, instanceID, kindQueue, queueID, kick, decodeQueue, func(q *Queue) string { return q.Name }, fn)
}

// UpdateQueueStatus enables or disables a queue. A disabled queue keeps
// its contacts but none is offered from it.
func (s *Service) UpdateQueueStatus(ctx context.Context, instanceID, queueID, status string) error {
	if status != QueueEnabled && status != QueueDisabled {
		return invalid("Status must be ENABLED or DISABLED")
	}
	return s.modifyQueue(ctx, instanceID, queueID, true, func(_ store.Tx, q *Queue) error {
		q.Status = status
		return nil
	})
}

// UpdateQueueHoursOfOperation sets a queue's hours of operation, which
// must exist.
func (s *Service) UpdateQueueHoursOfOperation(ctx context.Context, instanceID, queueID, hoursID string) error {
	if hoursID == "" {
		return invalid("HoursOfOperationId is required")
	}
	return s.modifyQueue(ctx, instanceID, queueID, true, func(tx store.Tx, q *Queue) error {
		if _, err := txGet(tx, instanceID, kindHours, hoursID); err != nil {
			return err
		}
		q.HoursOfOperationID = hoursID
		return nil
	})
}

// UpdateQueueMaxContacts sets how many contacts may wait in a queue; 0
// (or none given) lifts the cap.
func (s *Service) UpdateQueueMaxContacts(ctx context.Context, instanceID, queueID string, maxContacts int) error {
	if maxContacts < 0 {
		return invalid("MaxContacts must be at least 0")
	}
	return s.modifyQueue(ctx, instanceID, queueID, false, func(_ store.Tx, q *Queue) error {
		q.MaxContacts = maxContacts
		return nil
	})
}

// UpdateQueueName changes a queue's name, description or both.
func (s *Service) UpdateQueueName(ctx context.Context, instanceID, queueID string, name, description *string) error {
	return s.modifyQueue(ctx, instanceID, queueID, false, func(_ store.Tx, q *Queue) error {
		return rename(name, description, &q.Name, &q.Description)
	})
}

// UpdateQueueOutboundCallerConfig sets a queue's outbound caller
// settings, kept for compatibility (chat does not dial out).
func (s *Service) UpdateQueueOutboundCallerConfig(ctx context.Context, instanceID, queueID string, cfg OutboundCallerConfig) error {
	return s.modifyQueue(ctx, instanceID, queueID, false, func(_ store.Tx, q *Queue) error {
		q.OutboundCallerConfig = &cfg
		return nil
	})
}

// AssociateQueueQuickConnects adds quick connects (which must exist) to a
// queue's list; ones already there are kept once.
func (s *Service) AssociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, ids []string) error {
	if len(ids) == 0 || len(ids) > maxQuickConnectsPerCall {
		return invalid("QuickConnectIds must list 1 to %d quick connects", maxQuickConnectsPerCall)
	}
	return s.modifyQueue(ctx, instanceID, queueID, false, func(tx store.Tx, q *Queue) error {
		for _, id := range ids {
			if _, err := txGet(tx, instanceID, kindQuickConnect, id); err != nil {
				return err
			}
		}
		q.QuickConnectIDs = dedupe(append(q.QuickConnectIDs, ids...))
		return nil
	})
}

// DisassociateQueueQuickConnects removes quick connects from a queue's
// list; ones not listed are ignored.
func (s *Service) DisassociateQueueQuickConnects(ctx context.Context, instanceID, queueID string, ids []string) error {
	if len(ids) == 0 || len(ids) > maxQuickConnectsPerCall {
		return invalid("QuickConnectIds must list 1 to %d quick connects", maxQuickConnectsPerCall)
	}
	return s.modifyQueue(ctx, instanceID, queueID, false, func(_ store.Tx, q *Queue) error {
		q.QuickConnectIDs = slices.DeleteFunc(q.QuickConnectIDs, func(id string) bool { return slices.Contains(ids, id) })
		return nil
	})
}

// QueueQuickConnects returns the quick connects of a queue, by name.
// Quick connects deleted since they were associated are left out.
func (s *Service) QueueQuickConnects(ctx context.Context, instanceID, queueID string) ([]QuickConnect, error) {
	q, err := s.Queue(ctx, instanceID, queueID)
	if err != nil {
		return nil, err
	}
	all, err := list(ctx, s, instanceID, kindQuickConnect, decodeQuickConnect)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(qc QuickConnect) bool { return !slices.Contains(q.QuickConnectIDs, qc.ID) }), nil
}

// DeleteQueue deletes a standard queue that nothing uses: no routing
// profile lists it or sends outbound through it, no quick connect
// targets it, and no contact waits in it (ResourceInUse otherwise).
func (s *Service) DeleteQueue(ctx context.Context, instanceID, queueID string) error {
	if IsAgentQueue(queueID) {
		return errAgentQueue(queueID)
	}
	return s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindQueue, queueID); err != nil {
			return err
		}
		profiles, err := txList(tx, instanceID, store.KindRoutingProfile, decodeProfile)
		if err != nil {
			return err
		}
		for _, p := range profiles {
			uses := p.DefaultOutboundQueueID == queueID ||
				slices.ContainsFunc(p.Queues, func(pq ProfileQueue) bool { return pq.QueueID == queueID })
			if uses {
				return fault.Errorf(fault.InUse, "Queue %s is used by routing profile %q", queueID, p.Name)
			}
		}
		qcs, err := txList(tx, instanceID, store.KindQuickConnect, decodeQuickConnect)
		if err != nil {
			return err
		}
		for _, qc := range qcs {
			if c := qc.Config.QueueConfig; c != nil && c.QueueID == queueID {
				return fault.Errorf(fault.InUse, "Queue %s is the target of quick connect %q", queueID, qc.Name)
			}
		}
		n, err := tx.CountQueued(instanceID, queueID)
		if err != nil {
			return fmt.Errorf("count queued: %w", err)
		}
		if n > 0 {
			return fault.Errorf(fault.InUse, "Queue %s has %d contacts waiting", queueID, n)
		}
		if err := tx.DeleteResource(instanceID, store.KindQueue, queueID); err != nil {
			return fmt.Errorf("delete queue: %w", err)
		}
		return nil
	})
}

// ---- routing profiles ----

// ProfileQueueRef names one queue of a routing profile for one channel.
type ProfileQueueRef struct {
	QueueID string
	Channel string
}

// ProfileQueueSummary is one queue of a routing profile with the queue's
// name, for ListRoutingProfileQueues.
type ProfileQueueSummary struct {
	ProfileQueue
	QueueName string
}

// channels lists the channels a routing profile may name, with the
// highest concurrency each takes.
var channels = map[string]int{ChannelVoice: 1, ChannelChat: maxChatConcurrency, ChannelTask: maxChatConcurrency, ChannelEmail: maxChatConcurrency}

func checkChannel(field, ch string) error {
	if _, ok := channels[ch]; !ok {
		return invalid("%s: Channel must be VOICE, CHAT, TASK or EMAIL, not %q", field, ch)
	}
	return nil
}

func checkConcurrencies(mcs []MediaConcurrency) error {
	if len(mcs) == 0 {
		return invalid("MediaConcurrencies is required")
	}
	seen := map[string]bool{}
	for _, m := range mcs {
		if err := checkChannel("MediaConcurrencies", m.Channel); err != nil {
			return err
		}
		if seen[m.Channel] {
			return invalid("MediaConcurrencies: channel %s is listed twice", m.Channel)
		}
		seen[m.Channel] = true
		if top := channels[m.Channel]; m.Concurrency < 1 || m.Concurrency > top {
			return invalid("MediaConcurrencies: %s concurrency must be 1 to %d, not %d", m.Channel, top, m.Concurrency)
		}
		switch m.CrossChannelBehavior {
		case "", RouteCurrentChannelOnly, RouteAnyChannel:
		default:
			return invalid("MediaConcurrencies: CrossChannelBehavior must be ROUTE_CURRENT_CHANNEL_ONLY or ROUTE_ANY_CHANNEL")
		}
	}
	return nil
}

// checkQueueConfigs validates one call's queue configurations: at most
// ten, no queue and channel twice, priorities 1-99, delays 0-9999 s.
func checkQueueConfigs(qs []ProfileQueue) error {
	if len(qs) > maxQueueConfigsPerCall {
		return invalid("QueueConfigs: at most %d per call", maxQueueConfigsPerCall)
	}
	seen := map[ProfileQueueRef]bool{}
	for _, q := range qs {
		if q.QueueID == "" {
			return invalid("QueueConfigs: QueueReference.QueueId is required")
		}
		if err := checkChannel("QueueConfigs", q.Channel); err != nil {
			return err
		}
		ref := ProfileQueueRef{q.QueueID, q.Channel}
		if seen[ref] {
			return invalid("QueueConfigs: queue %s is listed twice for %s", q.QueueID, q.Channel)
		}
		seen[ref] = true
		if q.Priority < 1 || q.Priority > maxPriority {
			return invalid("QueueConfigs: Priority must be 1 to %d", maxPriority)
		}
		if q.Delay < 0 || q.Delay > maxDelay {
			return invalid("QueueConfigs: Delay must be 0 to %d", maxDelay)
		}
	}
	return nil
}

// txQueuesExist checks that standard queues exist.
func txQueuesExist(tx store.Tx, instanceID string, qs []ProfileQueue) error {
	for _, q := range qs {
		if _, err := txGet(tx, instanceID, kindQueue, q.QueueID); err != nil {
			return err
		}
	}
	return nil
}

// CreateRoutingProfile creates a routing profile from p (its ID is
// ignored): Name and Description are required, the default outbound
// queue and every queue listed must exist.
func (s *Service) CreateRoutingProfile(ctx context.Context, instanceID string, p RoutingProfile) (RoutingProfile, error) {
	p.ID = uuid.NewString()
	if err := checkNaming(p.Name, p.Description, p.Tags); err != nil {
		return RoutingProfile{}, err
	}
	if p.Description == "" {
		return RoutingProfile{}, invalid("Description is required")
	}
	if p.DefaultOutboundQueueID == "" {
		return RoutingProfile{}, invalid("DefaultOutboundQueueId is required")
	}
	if err := checkConcurrencies(p.MediaConcurrencies); err != nil {
		return RoutingProfile{}, err
	}
	if err := checkQueueConfigs(p.Queues); err != nil {
		return RoutingProfile{}, err
	}
	if err := checkAvailabilityTimer(p.AgentAvailabilityTimer); err != nil {
		return RoutingProfile{}, err
	}
	if p.Queues == nil {
		p.Queues = []ProfileQueue{}
	}
	err := s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindQueue, p.DefaultOutboundQueueID); err != nil {
			return err
		}
		if err := txQueuesExist(tx, instanceID, p.Queues); err != nil {
			return err
		}
		at, err := s.put(tx, instanceID, kindProfile, nil, p.ID, p.Name, p)
		p.UpdatedAt = at
		return err
	})
	if err != nil {
		return RoutingProfile{}, fmt.Errorf("create routing profile: %w", err)
	}
	return p, nil
}

func checkAvailabilityTimer(t string) error {
	switch t {
	case "", "TIME_SINCE_LAST_ACTIVITY", "TIME_SINCE_LAST_INBOUND":
		return nil
	}
	return invalid("AgentAvailabilityTimer must be TIME_SINCE_LAST_ACTIVITY or TIME_SINCE_LAST_INBOUND")
}

// RoutingProfile returns a routing profile.
func (s *Service) RoutingProfile(ctx context.Context, instanceID, profileID string) (RoutingProfile, error) {
	return get(ctx, s, instanceID, kindProfile, profileID, decodeProfile)
}

// RoutingProfileUsers counts the users on a routing profile.
func (s *Service) RoutingProfileUsers(ctx context.Context, instanceID, profileID string) (int, error) {
	us, err := s.store.ListResources(ctx, instanceID, store.KindUser)
	if err != nil {
		return 0, fmt.Errorf("list users: %w", err)
	}
	n := 0
	for _, u := range us {
		if ref, err := profileOf(u); err == nil && ref == profileID {
			n++
		}
	}
	return n, nil
}

// profileOf reads the routing profile a user resource names.
func profileOf(u store.Resource) (string, error) {
	var body struct {
		RoutingProfileID string `json:"RoutingProfileId"`
	}
	if err := json.Unmarshal(u.Body, &body); err != nil {
		return "", fmt.Errorf("decode user %s: %w", u.ID, err)
	}
	return body.RoutingProfileID, nil
}

// ListRoutingProfiles returns the routing profiles, by name.
func (s *Service) ListRoutingProfiles(ctx context.Context, instanceID string) ([]RoutingProfile, error) {
	return list(ctx, s, instanceID, kindProfile, decodeProfile)
}

// RoutingProfileQueues returns a profile's queues in service order
// (priority, then delay), with their names.
func (s *Service) RoutingProfileQueues(ctx context.Context, instanceID, profileID string) ([]ProfileQueueSummary, error) {
	p, err := s.RoutingProfile(ctx, instanceID, profileID)
	if err != nil {
		return nil, err
	}
	qs, err := list(ctx, s, instanceID, kindQueue, decodeQueue)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(qs))
	for _, q := range qs {
		names[q.ID] = q.Name
	}
	out := make([]ProfileQueueSummary, 0, len(p.Queues))
	for _, pq := range p.Queues {
		out = append(out, ProfileQueueSummary{ProfileQueue: pq, QueueName: names[pq.QueueID]})
	}
	slices.SortStableFunc(out, func(a, b ProfileQueueSummary) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		return a.Delay - b.Delay
	})
	return out, nil
}

func (s *Service) modifyProfile(ctx context.Context, instanceID, profileID string, kick bool, fn func(tx store.Tx, p *RoutingProfile) error) error {
	return modify(ctx, s, instanceID, kindProfile, profileID, kick, decodeProfile, func(p *RoutingProfile) string { return p.Name }, fn)
}

// AssociateRoutingProfileQueues adds queues to a routing profile. A queue
// already associated for the same channel is InvalidParameter (use
// UpdateRoutingProfileQueues to change it).
func (s *Service) AssociateRoutingProfileQueues(ctx context.Context, instanceID, profileID string, qs []ProfileQueue) error {
	if len(qs) == 0 {
		return invalid("QueueConfigs is required")
	}
	if err := checkQueueConfigs(qs); err != nil {
		return err
	}
	return s.modifyProfile(ctx, instanceID, profileID, true, func(tx store.Tx, p *RoutingProfile) error {
		for _, q := range qs {
			if slices.ContainsFunc(p.Queues, func(pq ProfileQueue) bool { return pq.QueueID == q.QueueID && pq.Channel == q.Channel }) {
				return invalid("Queue %s is already associated for %s", q.QueueID, q.Channel)
			}
		}
		if err := txQueuesExist(tx, instanceID, qs); err != nil {
			return err
		}
		p.Queues = append(p.Queues, qs...)
		return nil
	})
}

// DisassociateRoutingProfileQueues removes queues from a routing profile;
// references to queues it does not have are ignored.
func (s *Service) DisassociateRoutingProfileQueues(ctx context.Context, instanceID, profileID string, refs []ProfileQueueRef) error {
	if len(refs) == 0 {
		return invalid("QueueReferences is required")
	}
	if len(refs) > maxQueueConfigsPerCall {
		return invalid("QueueReferences: at most %d per call", maxQueueConfigsPerCall)
	}
	for _, r := range refs {
		if err := checkChannel("QueueReferences", r.Channel); err != nil {
			return err
		}
	}
	return s.modifyProfile(ctx, instanceID, profileID, false, func(_ store.Tx, p *RoutingProfile) error {
		p.Queues = slices.DeleteFunc(p.Queues, func(pq ProfileQueue) bool {
			return slices.Contains(refs, ProfileQueueRef{pq.QueueID, pq.Channel})
		})
		return nil
	})
}

// UpdateRoutingProfileQueues changes the priority and delay of queues a
// routing profile already has (InvalidParameter for one it has not).
func (s *Service) UpdateRoutingProfileQueues(ctx context.Context, instanceID, profileID string, qs []ProfileQueue) error {
	if len(qs) == 0 {
		return invalid("QueueConfigs is required")
	}
	if err := checkQueueConfigs(qs); err != nil {
		return err
	}
	return s.modifyProfile(ctx, instanceID, profileID, true, func(_ store.Tx, p *RoutingProfile) error {
		for _, q := range qs {
			i := slices.IndexFunc(p.Queues, func(pq ProfileQueue) bool { return pq.QueueID == q.QueueID && pq.Channel == q.Channel })
			if i < 0 {
				return invalid("Queue %s is not associated with the routing profile for %s", q.QueueID, q.Channel)
			}
			p.Queues[i].Priority, p.Queues[i].Delay = q.Priority, q.Delay
		}
		return nil
	})
}

// UpdateRoutingProfileConcurrency sets the concurrency of the channels
// given; channels not given keep theirs. Agents on the profile get their
// new capacity in the same transaction.
func (s *Service) UpdateRoutingProfileConcurrency(ctx context.Context, instanceID, profileID string, mcs []MediaConcurrency) error {
	if err := checkConcurrencies(mcs); err != nil {
		return err
	}
	return s.write(ctx, instanceID, true, func(tx store.Tx) error {
		r, err := txGet(tx, instanceID, kindProfile, profileID)
		if err != nil {
			return err
		}
		p, err := decodeProfile(r)
		if err != nil {
			return err
		}
		for _, m := range mcs {
			i := slices.IndexFunc(p.MediaConcurrencies, func(c MediaConcurrency) bool { return c.Channel == m.Channel })
			if i < 0 {
				p.MediaConcurrencies = append(p.MediaConcurrencies, m)
				continue
			}
			if m.CrossChannelBehavior == "" {
				m.CrossChannelBehavior = p.MediaConcurrencies[i].CrossChannelBehavior
			}
			p.MediaConcurrencies[i] = m
		}
		if _, err := s.put(tx, instanceID, kindProfile, &r, p.ID, p.Name, p); err != nil {
			return err
		}
		if err := s.profileChanged(tx, instanceID, profileID); err != nil {
			return fmt.Errorf("refresh agents of routing profile %s: %w", profileID, err)
		}
		return nil
	})
}

// UpdateRoutingProfileName changes a routing profile's name, description
// or both.
func (s *Service) UpdateRoutingProfileName(ctx context.Context, instanceID, profileID string, name, description *string) error {
	return s.modifyProfile(ctx, instanceID, profileID, false, func(_ store.Tx, p *RoutingProfile) error {
		return rename(name, description, &p.Name, &p.Description)
	})
}

// UpdateRoutingProfileDefaultOutboundQueue sets a routing profile's
// default outbound queue, which must exist.
func (s *Service) UpdateRoutingProfileDefaultOutboundQueue(ctx context.Context, instanceID, profileID, queueID string) error {
	if queueID == "" {
		return invalid("DefaultOutboundQueueId is required")
	}
	return s.modifyProfile(ctx, instanceID, profileID, false, func(tx store.Tx, p *RoutingProfile) error {
		if _, err := txGet(tx, instanceID, kindQueue, queueID); err != nil {
			return err
		}
		p.DefaultOutboundQueueID = queueID
		return nil
	})
}

// UpdateRoutingProfileAgentAvailabilityTimer sets how a routing profile
// ranks its idle agents.
func (s *Service) UpdateRoutingProfileAgentAvailabilityTimer(ctx context.Context, instanceID, profileID, timer string) error {
	if timer == "" {
		return invalid("AgentAvailabilityTimer is required")
	}
	if err := checkAvailabilityTimer(timer); err != nil {
		return err
	}
	return s.modifyProfile(ctx, instanceID, profileID, false, func(_ store.Tx, p *RoutingProfile) error {
		p.AgentAvailabilityTimer = timer
		return nil
	})
}

// DeleteRoutingProfile deletes a routing profile no user is on
// (ResourceInUse otherwise).
func (s *Service) DeleteRoutingProfile(ctx context.Context, instanceID, profileID string) error {
	return s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindProfile, profileID); err != nil {
			return err
		}
		us, err := tx.ListResources(instanceID, store.KindUser)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		for _, u := range us {
			ref, err := profileOf(u)
			if err != nil {
				return err
			}
			if ref == profileID {
				return fault.Errorf(fault.InUse, "Routing profile %s is used by user %q", profileID, u.Name)
			}
		}
		if err := tx.DeleteResource(instanceID, store.KindRoutingProfile, profileID); err != nil {
			return fmt.Errorf("delete routing profile: %w", err)
		}
		return nil
	})
}

// ---- hours of operation ----

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func checkTimeOfDay(field string, t TimeOfDay) error {
	if t.Hours < 0 || t.Hours > 23 || t.Minutes < 0 || t.Minutes > 59 {
		return invalid("%s must be a time of day: Hours 0-23, Minutes 0-59", field)
	}
	return nil
}

func checkHoursConfig(cfg []HoursConfig) error {
	if len(cfg) > maxHoursConfigs {
		return invalid("Config: at most %d intervals", maxHoursConfigs)
	}
	for _, c := range cfg {
		if _, ok := weekdays[c.Day]; !ok {
			return invalid("Config: Day must be MONDAY to SUNDAY, not %q", c.Day)
		}
		if err := checkTimeOfDay("Config.StartTime", c.StartTime); err != nil {
			return err
		}
		if err := checkTimeOfDay("Config.EndTime", c.EndTime); err != nil {
			return err
		}
	}
	return nil
}

func checkTimeZone(tz string) error {
	if _, err := loadZone(tz); err != nil {
		return invalid("TimeZone %q is not an IANA time zone", tz)
	}
	return nil
}

// CreateHoursOfOperation creates a weekly schedule from h (its ID and
// overrides are ignored).
func (s *Service) CreateHoursOfOperation(ctx context.Context, instanceID string, h HoursOfOperation) (HoursOfOperation, error) {
	h.ID, h.Overrides = uuid.NewString(), nil
	if err := checkNaming(h.Name, h.Description, h.Tags); err != nil {
		return HoursOfOperation{}, err
	}
	if err := checkTimeZone(h.TimeZone); err != nil {
		return HoursOfOperation{}, err
	}
	if h.Config == nil {
		return HoursOfOperation{}, invalid("Config is required")
	}
	if err := checkHoursConfig(h.Config); err != nil {
		return HoursOfOperation{}, err
	}
	err := s.write(ctx, instanceID, false, func(tx store.Tx) error {
		at, err := s.put(tx, instanceID, kindHours, nil, h.ID, h.Name, h)
		h.UpdatedAt = at
		return err
	})
	if err != nil {
		return HoursOfOperation{}, fmt.Errorf("create hours of operation: %w", err)
	}
	return h, nil
}

// HoursOfOperation returns an hours of operation with its overrides.
func (s *Service) HoursOfOperation(ctx context.Context, instanceID, hoursID string) (HoursOfOperation, error) {
	return get(ctx, s, instanceID, kindHours, hoursID, decodeHours)
}

// ListHoursOfOperations returns the hours of operation, by name.
func (s *Service) ListHoursOfOperations(ctx context.Context, instanceID string) ([]HoursOfOperation, error) {
	return list(ctx, s, instanceID, kindHours, decodeHours)
}

// HoursUpdate is UpdateHoursOfOperation's input: nil fields are kept.
type HoursUpdate struct {
	Name        *string
	Description *string
	TimeZone    *string
	Config      *[]HoursConfig
}

func (s *Service) modifyHours(ctx context.Context, instanceID, hoursID string, kick bool, fn func(tx store.Tx, h *HoursOfOperation) error) error {
	return modify(ctx, s, instanceID, kindHours, hoursID, kick, decodeHours, func(h *HoursOfOperation) string { return h.Name }, fn)
}

// UpdateHoursOfOperation changes the fields of u that are set.
func (s *Service) UpdateHoursOfOperation(ctx context.Context, instanceID, hoursID string, u HoursUpdate) error {
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return err
		}
	}
	if u.Description != nil {
		if err := checkDescription(*u.Description); err != nil {
			return err
		}
	}
	if u.TimeZone != nil {
		if err := checkTimeZone(*u.TimeZone); err != nil {
			return err
		}
	}
	if u.Config != nil {
		if err := checkHoursConfig(*u.Config); err != nil {
			return err
		}
	}
	return s.modifyHours(ctx, instanceID, hoursID, true, func(_ store.Tx, h *HoursOfOperation) error {
		if u.Name != nil {
			h.Name = *u.Name
		}
		if u.Description != nil {
			h.Description = *u.Description
		}
		if u.TimeZone != nil {
			h.TimeZone = *u.TimeZone
		}
		if u.Config != nil {
			h.Config = *u.Config
		}
		return nil
	})
}

// DeleteHoursOfOperation deletes an hours of operation no queue uses
// (ResourceInUse otherwise).
func (s *Service) DeleteHoursOfOperation(ctx context.Context, instanceID, hoursID string) error {
	return s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindHours, hoursID); err != nil {
			return err
		}
		qs, err := txList(tx, instanceID, store.KindQueue, decodeQueue)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if q.HoursOfOperationID == hoursID {
				return fault.Errorf(fault.InUse, "Hours of operation %s is used by queue %q", hoursID, q.Name)
			}
		}
		if err := tx.DeleteResource(instanceID, store.KindHours, hoursID); err != nil {
			return fmt.Errorf("delete hours of operation: %w", err)
		}
		return nil
	})
}

// checkOverride validates an override: a name, OPEN or CLOSED, dates
// YYYY-MM-DD with the end not before the start, and for OPEN at least
// one interval.
func checkOverride(o HoursOverride) error {
	if err := checkName(o.Name); err != nil {
		return err
	}
	if err := checkDescription(o.Description); err != nil {
		return err
	}
	if o.Type != OverrideOpen && o.Type != OverrideClosed {
		return invalid("OverrideType must be OPEN or CLOSED")
	}
	from, err1 := time.Parse(dateLayout, o.EffectiveFrom)
	till, err2 := time.Parse(dateLayout, o.EffectiveTill)
	if !dateRE.MatchString(o.EffectiveFrom) || !dateRE.MatchString(o.EffectiveTill) || err1 != nil || err2 != nil {
		return invalid("EffectiveFrom and EffectiveTill must be dates YYYY-MM-DD")
	}
	if till.Before(from) {
		return invalid("EffectiveTill must not be before EffectiveFrom")
	}
	if len(o.Config) > maxHoursConfigs {
		return invalid("Config: at most %d intervals", maxHoursConfigs)
	}
	if o.Type == OverrideOpen && len(o.Config) == 0 {
		return invalid("Config is required for an OPEN override")
	}
	for _, c := range o.Config {
		if _, ok := weekdays[c.Day]; !ok && c.Day != "" {
			return invalid("Config: Day must be MONDAY to SUNDAY, not %q", c.Day)
		}
		if err := checkTimeOfDay("Config.StartTime", c.StartTime); err != nil {
			return err
		}
		if err := checkTimeOfDay("Config.EndTime", c.EndTime); err != nil {
			return err
		}
	}
	return nil
}

func overrideNotFound(id string) error {
	return fault.NotFoundf("HOURS_OF_OPERATION_OVERRIDE", id, "Hours of operation override %s not found", id)
}

// checkOverrideName refuses a name another override of the same hours has.
func checkOverrideName(h *HoursOfOperation, o HoursOverride) error {
	for _, other := range h.Overrides {
		if other.ID != o.ID && other.Name == o.Name {
			return fault.Errorf(fault.Duplicate, "Hours of operation override named %q already exists", o.Name)
		}
	}
	return nil
}

// CreateHoursOverride adds a dated override to an hours of operation
// (its ID is ignored). Override names are unique per hours of operation.
func (s *Service) CreateHoursOverride(ctx context.Context, instanceID, hoursID string, o HoursOverride) (HoursOverride, error) {
	o.ID = uuid.NewString()
	if err := checkOverride(o); err != nil {
		return HoursOverride{}, err
	}
	err := s.modifyHours(ctx, instanceID, hoursID, true, func(_ store.Tx, h *HoursOfOperation) error {
		if err := checkOverrideName(h, o); err != nil {
			return err
		}
		h.Overrides = append(h.Overrides, o)
		return nil
	})
	if err != nil {
		return HoursOverride{}, err
	}
	return o, nil
}

// HoursOverride returns one override of an hours of operation.
func (s *Service) HoursOverride(ctx context.Context, instanceID, hoursID, overrideID string) (HoursOverride, error) {
	h, err := s.HoursOfOperation(ctx, instanceID, hoursID)
	if err != nil {
		return HoursOverride{}, err
	}
	for _, o := range h.Overrides {
		if o.ID == overrideID {
			return o, nil
		}
	}
	return HoursOverride{}, overrideNotFound(overrideID)
}

// OverrideUpdate is UpdateHoursOverride's input: nil fields are kept.
type OverrideUpdate struct {
	Name          *string
	Description   *string
	Type          *string
	EffectiveFrom *string
	EffectiveTill *string
	Config        *[]HoursOverrideConfig
}

// UpdateHoursOverride changes the fields of u that are set.
func (s *Service) UpdateHoursOverride(ctx context.Context, instanceID, hoursID, overrideID string, u OverrideUpdate) error {
	return s.modifyHours(ctx, instanceID, hoursID, true, func(_ store.Tx, h *HoursOfOperation) error {
		i := slices.IndexFunc(h.Overrides, func(o HoursOverride) bool { return o.ID == overrideID })
		if i < 0 {
			return overrideNotFound(overrideID)
		}
		o := h.Overrides[i]
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&o.Name, u.Name)
		set(&o.Description, u.Description)
		set(&o.Type, u.Type)
		set(&o.EffectiveFrom, u.EffectiveFrom)
		set(&o.EffectiveTill, u.EffectiveTill)
		if u.Config != nil {
			o.Config = *u.Config
		}
		if err := checkOverride(o); err != nil {
			return err
		}
		if err := checkOverrideName(h, o); err != nil {
			return err
		}
		h.Overrides[i] = o
		return nil
	})
}

// DeleteHoursOverride removes an override.
func (s *Service) DeleteHoursOverride(ctx context.Context, instanceID, hoursID, overrideID string) error {
	return s.modifyHours(ctx, instanceID, hoursID, true, func(_ store.Tx, h *HoursOfOperation) error {
		n := len(h.Overrides)
		h.Overrides = slices.DeleteFunc(h.Overrides, func(o HoursOverride) bool { return o.ID == overrideID })
		if len(h.Overrides) == n {
			return overrideNotFound(overrideID)
		}
		return nil
	})
}

// ---- quick connects ----

var phoneRE = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// checkQuickConnectConfig validates a destination: USER and QUEUE need
// their target and a flow, PHONE_NUMBER an E.164 number (stored, though
// chats cannot be transferred to a phone).
func (s *Service) checkQuickConnectConfig(ctx context.Context, instanceID string, c QuickConnectConfig) error {
	flow := ""
	switch c.Type {
	case QuickConnectTypeUser:
		if c.UserConfig == nil || c.UserConfig.UserID == "" || c.UserConfig.ContactFlowID == "" {
			return invalid("UserConfig with UserId and ContactFlowId is required for a USER quick connect")
		}
		if c.QueueConfig != nil || c.PhoneConfig != nil {
			return invalid("A USER quick connect takes only UserConfig")
		}
		flow = c.UserConfig.ContactFlowID
	case QuickConnectTypeQueue:
		if c.QueueConfig == nil || c.QueueConfig.QueueID == "" || c.QueueConfig.ContactFlowID == "" {
			return invalid("QueueConfig with QueueId and ContactFlowId is required for a QUEUE quick connect")
		}
		if c.UserConfig != nil || c.PhoneConfig != nil {
			return invalid("A QUEUE quick connect takes only QueueConfig")
		}
		flow = c.QueueConfig.ContactFlowID
	case QuickConnectTypePhone:
		if c.PhoneConfig == nil || !phoneRE.MatchString(c.PhoneConfig.PhoneNumber) {
			return invalid("PhoneConfig with an E.164 PhoneNumber is required for a PHONE_NUMBER quick connect")
		}
		if c.UserConfig != nil || c.QueueConfig != nil {
			return invalid("A PHONE_NUMBER quick connect takes only PhoneConfig")
		}
		return nil
	default:
		return invalid("QuickConnectType must be USER, QUEUE or PHONE_NUMBER, not %q", c.Type)
	}
	if _, err := s.store.GetContactFlow(ctx, instanceID, flow); errors.Is(err, store.ErrNotFound) {
		return fault.NotFoundf("CONTACT_FLOW", flow, "Contact flow %s not found", flow)
	} else if err != nil {
		return fmt.Errorf("get contact flow %s: %w", flow, err)
	}
	return nil
}

// txQuickConnectTarget checks, inside the write, that a quick connect's
// user or queue exists.
func txQuickConnectTarget(tx store.Tx, instanceID string, c QuickConnectConfig) error {
	switch {
	case c.UserConfig != nil:
		_, err := txGet(tx, instanceID, kindUser, c.UserConfig.UserID)
		return err
	case c.QueueConfig != nil:
		_, err := txGet(tx, instanceID, kindQueue, c.QueueConfig.QueueID)
		return err
	}
	return nil
}

// CreateQuickConnect creates a transfer destination from qc (its ID is
// ignored). Its user or queue and its flow must exist.
func (s *Service) CreateQuickConnect(ctx context.Context, instanceID string, qc QuickConnect) (QuickConnect, error) {
	qc.ID = uuid.NewString()
	if err := checkNaming(qc.Name, qc.Description, qc.Tags); err != nil {
		return QuickConnect{}, err
	}
	if err := s.checkQuickConnectConfig(ctx, instanceID, qc.Config); err != nil {
		return QuickConnect{}, err
	}
	err := s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if err := txQuickConnectTarget(tx, instanceID, qc.Config); err != nil {
			return err
		}
		at, err := s.put(tx, instanceID, kindQuickConnect, nil, qc.ID, qc.Name, qc)
		qc.UpdatedAt = at
		return err
	})
	if err != nil {
		return QuickConnect{}, fmt.Errorf("create quick connect: %w", err)
	}
	return qc, nil
}

// QuickConnect returns a quick connect.
func (s *Service) QuickConnect(ctx context.Context, instanceID, quickConnectID string) (QuickConnect, error) {
	return get(ctx, s, instanceID, kindQuickConnect, quickConnectID, decodeQuickConnect)
}

// ListQuickConnects returns the quick connects of the given types (all
// when none is given), by name.
func (s *Service) ListQuickConnects(ctx context.Context, instanceID string, types []string) ([]QuickConnect, error) {
	for _, t := range types {
		switch t {
		case QuickConnectTypeUser, QuickConnectTypeQueue, QuickConnectTypePhone, "FLOW":
		default:
			return nil, invalid("QuickConnectTypes: unknown type %q", t)
		}
	}
	all, err := list(ctx, s, instanceID, kindQuickConnect, decodeQuickConnect)
	if err != nil || len(types) == 0 {
		return all, err
	}
	return slices.DeleteFunc(all, func(qc QuickConnect) bool { return !slices.Contains(types, qc.Config.Type) }), nil
}

func (s *Service) modifyQuickConnect(ctx context.Context, instanceID, id string, fn func(tx store.Tx, qc *QuickConnect) error) error {
	return modify(ctx, s, instanceID, kindQuickConnect, id, false, decodeQuickConnect, func(qc *QuickConnect) string { return qc.Name }, fn)
}

// UpdateQuickConnectName changes a quick connect's name, description or
// both.
func (s *Service) UpdateQuickConnectName(ctx context.Context, instanceID, id string, name, description *string) error {
	return s.modifyQuickConnect(ctx, instanceID, id, func(_ store.Tx, qc *QuickConnect) error {
		return rename(name, description, &qc.Name, &qc.Description)
	})
}

// UpdateQuickConnectConfig changes where a quick connect goes.
func (s *Service) UpdateQuickConnectConfig(ctx context.Context, instanceID, id string, cfg QuickConnectConfig) error {
	if err := s.checkQuickConnectConfig(ctx, instanceID, cfg); err != nil {
		return err
	}
	return s.modifyQuickConnect(ctx, instanceID, id, func(tx store.Tx, qc *QuickConnect) error {
		if err := txQuickConnectTarget(tx, instanceID, cfg); err != nil {
			return err
		}
		qc.Config = cfg
		return nil
	})
}

// DeleteQuickConnect deletes a quick connect and takes it off the queues
// that list it.
func (s *Service) DeleteQuickConnect(ctx context.Context, instanceID, id string) error {
	return s.write(ctx, instanceID, false, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, kindQuickConnect, id); err != nil {
			return err
		}
		rs, err := tx.ListResources(instanceID, store.KindQueue)
		if err != nil {
			return fmt.Errorf("list queues: %w", err)
		}
		for _, r := range rs {
			q, err := decodeQueue(r)
			if err != nil {
				return err
			}
			if !slices.Contains(q.QuickConnectIDs, id) {
				continue
			}
			q.QuickConnectIDs = slices.DeleteFunc(q.QuickConnectIDs, func(x string) bool { return x == id })
			if _, err := s.put(tx, instanceID, kindQueue, &r, q.ID, q.Name, q); err != nil {
				return err
			}
		}
		if err := tx.DeleteResource(instanceID, store.KindQuickConnect, id); err != nil {
			return fmt.Errorf("delete quick connect: %w", err)
		}
		return nil
	})
}

// ---- agent statuses ----

func checkState(state string) error {
	if state != statusEnabled && state != statusDisabled {
		return invalid("State must be ENABLED or DISABLED")
	}
	return nil
}

func checkDisplayOrder(n int) error {
	if n < 1 || n > maxDisplayOrder {
		return invalid("DisplayOrder must be 1 to %d", maxDisplayOrder)
	}
	return nil
}

func builtinStatus(id string) (AgentStatus, bool) {
	for _, b := range BuiltinStatuses {
		if b.ID == id {
			return b, true
		}
	}
	return AgentStatus{}, false
}

// checkStatusName refuses the built-in statuses' names.
func checkStatusName(name string) error {
	for _, b := range BuiltinStatuses {
		if b.Name == name {
			return fault.Errorf(fault.Duplicate, "Agent status named %q already exists", name)
		}
	}
	return nil
}

// CreateAgentStatus creates a CUSTOM agent status from st (its ID and Type
// are ignored). DisplayOrder 0 means none.
func (s *Service) CreateAgentStatus(ctx context.Context, instanceID string, st AgentStatus) (AgentStatus, error) {
	st.ID, st.Type = uuid.NewString(), StatusCustom
	if err := checkNaming(st.Name, st.Description, st.Tags); err != nil {
		return AgentStatus{}, err
	}
	if err := checkState(st.State); err != nil {
		return AgentStatus{}, err
	}
	if st.DisplayOrder != 0 {
		if err := checkDisplayOrder(st.DisplayOrder); err != nil {
			return AgentStatus{}, err
		}
	}
	if err := checkStatusName(st.Name); err != nil {
		return AgentStatus{}, err
	}
	err := s.write(ctx, instanceID, false, func(tx store.Tx) error {
		at, err := s.put(tx, instanceID, kindAgentStatus, nil, st.ID, st.Name, st)
		st.UpdatedAt = at
		return err
	})
	if err != nil {
		return AgentStatus{}, fmt.Errorf("create agent status: %w", err)
	}
	return st, nil
}

// AgentStatus returns an agent status, built-in or stored.
func (s *Service) AgentStatus(ctx context.Context, instanceID, statusID string) (AgentStatus, error) {
	if b, ok := builtinStatus(statusID); ok {
		return b, nil
	}
	return get(ctx, s, instanceID, kindAgentStatus, statusID, decodeAgentStatus)
}

// ListAgentStatuses returns the built-in statuses, then the stored ones by
// name, of the given types (ROUTABLE, CUSTOM, OFFLINE; all when none).
func (s *Service) ListAgentStatuses(ctx context.Context, instanceID string, types []string) ([]AgentStatus, error) {
	for _, t := range types {
		if t != StatusRoutable && t != StatusCustom && t != StatusOffline {
			return nil, invalid("AgentStatusTypes: unknown type %q", t)
		}
	}
	stored, err := list(ctx, s, instanceID, kindAgentStatus, decodeAgentStatus)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clone(BuiltinStatuses), stored...)
	if len(types) == 0 {
		return all, nil
	}
	return slices.DeleteFunc(all, func(st AgentStatus) bool { return !slices.Contains(types, st.Type) }), nil
}

// AgentStatusUpdate is UpdateAgentStatus's input: nil fields are kept;
// ResetOrderNumber clears the display order.
type AgentStatusUpdate struct {
	Name             *string
	Description      *string
	State            *string
	DisplayOrder     *int
	ResetOrderNumber bool
}

// UpdateAgentStatus changes a stored agent status. The built-in statuses
// cannot be changed (InvalidRequest).
func (s *Service) UpdateAgentStatus(ctx context.Context, instanceID, statusID string, u AgentStatusUpdate) error {
	if _, ok := builtinStatus(statusID); ok {
		return fault.Errorf(fault.InvalidRequest, "The built-in agent status %s cannot be changed", statusID)
	}
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return err
		}
		if err := checkStatusName(*u.Name); err != nil {
			return err
		}
	}
	if u.Description != nil {
		if err := checkDescription(*u.Description); err != nil {
			return err
		}
	}
	if u.State != nil {
		if err := checkState(*u.State); err != nil {
			return err
		}
	}
	if u.DisplayOrder != nil {
		if err := checkDisplayOrder(*u.DisplayOrder); err != nil {
			return err
		}
	}
	return modify(ctx, s, instanceID, kindAgentStatus, statusID, false, decodeAgentStatus, func(st *AgentStatus) string { return st.Name },
		func(_ store.Tx, st *AgentStatus) error {
			if u.Name != nil {
				st.Name = *u.Name
			}
			if u.Description != nil {
				st.Description = *u.Description
			}
			if u.State != nil {
				st.State = *u.State
			}
			if u.DisplayOrder != nil {
				st.DisplayOrder = *u.DisplayOrder
			}
			if u.ResetOrderNumber {
				st.DisplayOrder = 0
			}
			return nil
		})
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		if seen[id] {
			return true
		}
		seen[id] = true
		return false
	})
}
