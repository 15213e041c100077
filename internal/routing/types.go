package routing

import "time"

// Channels a routing profile can serve. Parley routes chats; TASK is
// accepted in routing profiles so Connect configurations import unchanged.
const (
	ChannelChat  = "CHAT"
	ChannelTask  = "TASK"
	ChannelVoice = "VOICE"
)

// Queue statuses.
const (
	QueueEnabled  = "ENABLED"
	QueueDisabled = "DISABLED"
)

// Queue is a standard queue (store.KindQueue). Agent queues are not
// stored: every user has one, addressed as AgentQueueID(userID).
type Queue struct {
	ID                 string `json:"Id"`
	Name               string `json:"Name"`
	Description        string `json:"Description,omitempty"`
	HoursOfOperationID string `json:"HoursOfOperationId,omitempty"` // empty: always open
	// MaxContacts caps how many contacts may wait in the queue; 0 is no cap.
	MaxContacts          int                   `json:"MaxContacts,omitempty"`
	Status               string                `json:"Status"`
	OutboundCallerConfig *OutboundCallerConfig `json:"OutboundCallerConfig,omitempty"`
	QuickConnectIDs      []string              `json:"QuickConnectIds,omitempty"`
	Tags                 map[string]string     `json:"Tags,omitempty"`
	// UpdatedAt is when the resource was last written (the store row's,
	// not part of the body).
	UpdatedAt time.Time `json:"-"`
}

// OutboundCallerConfig is a queue's outbound settings, kept for Connect
// compatibility (chat does not dial out).
type OutboundCallerConfig struct {
	OutboundCallerIDName     string `json:"OutboundCallerIdName,omitempty"`
	OutboundCallerIDNumberID string `json:"OutboundCallerIdNumberId,omitempty"`
	OutboundFlowID           string `json:"OutboundFlowId,omitempty"`
}

// RoutingProfile says which queues its agents serve, in what order, and
// how many contacts of each channel they handle at once
// (store.KindRoutingProfile).
type RoutingProfile struct {
	ID                     string             `json:"Id"`
	Name                   string             `json:"Name"`
	Description            string             `json:"Description,omitempty"`
	DefaultOutboundQueueID string             `json:"DefaultOutboundQueueId"`
	MediaConcurrencies     []MediaConcurrency `json:"MediaConcurrencies"`
	Queues                 []ProfileQueue     `json:"Queues"`
	// AgentAvailabilityTimer is TIME_SINCE_LAST_ACTIVITY (default) or
	// TIME_SINCE_LAST_INBOUND, as in Connect.
	AgentAvailabilityTimer string            `json:"AgentAvailabilityTimer,omitempty"`
	Tags                   map[string]string `json:"Tags,omitempty"`
	// UpdatedAt is when the resource was last written (the store row's,
	// not part of the body).
	UpdatedAt time.Time `json:"-"`
}

// MediaConcurrency is how many contacts of one channel an agent handles at
// once (CHAT: 1 to 10), and whether other channels may be offered meanwhile.
type MediaConcurrency struct {
	Channel     string `json:"Channel"`
	Concurrency int    `json:"Concurrency"`
	// CrossChannelBehavior is ROUTE_CURRENT_CHANNEL_ONLY or ROUTE_ANY_CHANNEL.
	CrossChannelBehavior string `json:"CrossChannelBehavior,omitempty"`
}

// ProfileQueue is one queue of a routing profile for one channel. Lower
// Priority is served first; a contact is offered to the profile's agents
// only once it has waited Delay seconds.
type ProfileQueue struct {
	QueueID  string `json:"QueueId"`
	Channel  string `json:"Channel"`
	Priority int    `json:"Priority"`
	Delay    int    `json:"Delay"`
}

// ChatConcurrency returns the profile's chat concurrency (0 if it takes no
// chats).
func (p RoutingProfile) ChatConcurrency() int {
	for _, m := range p.MediaConcurrencies {
		if m.Channel == ChannelChat {
			return m.Concurrency
		}
	}
	return 0
}

// HoursOfOperation is a weekly schedule in a time zone, with dated
// overrides (store.KindHours).
type HoursOfOperation struct {
	ID          string            `json:"Id"`
	Name        string            `json:"Name"`
	Description string            `json:"Description,omitempty"`
	TimeZone    string            `json:"TimeZone"`
	Config      []HoursConfig     `json:"Config"`
	Overrides   []HoursOverride   `json:"Overrides,omitempty"`
	Tags        map[string]string `json:"Tags,omitempty"`
	// UpdatedAt is when the resource was last written (the store row's,
	// not part of the body).
	UpdatedAt time.Time `json:"-"`
}

// HoursConfig is one open interval on one weekday. An end before or equal
// to the start runs past midnight into the next day, as in Connect
// (00:00–00:00 is the whole day).
type HoursConfig struct {
	Day       string    `json:"Day"` // MONDAY ... SUNDAY
	StartTime TimeOfDay `json:"StartTime"`
	EndTime   TimeOfDay `json:"EndTime"`
}

// TimeOfDay is a wall-clock time in the schedule's time zone.
type TimeOfDay struct {
	Hours   int `json:"Hours"`
	Minutes int `json:"Minutes"`
}

// HoursOverride replaces the weekly schedule between two dates: CLOSED
// closes those days, OPEN opens only the listed intervals on them.
type HoursOverride struct {
	ID            string                `json:"HoursOfOperationOverrideId"`
	Name          string                `json:"Name"`
	Description   string                `json:"Description,omitempty"`
	Type          string                `json:"OverrideType"`  // OPEN or CLOSED
	EffectiveFrom string                `json:"EffectiveFrom"` // YYYY-MM-DD
	EffectiveTill string                `json:"EffectiveTill"` // YYYY-MM-DD, inclusive
	Config        []HoursOverrideConfig `json:"OverrideConfig,omitempty"`
}

// HoursOverrideConfig is one interval of an override.
type HoursOverrideConfig struct {
	Day       string    `json:"Day"`
	StartTime TimeOfDay `json:"StartTime"`
	EndTime   TimeOfDay `json:"EndTime"`
}

// Quick connect types.
const (
	QuickConnectTypeUser  = "USER"
	QuickConnectTypeQueue = "QUEUE"
	QuickConnectTypePhone = "PHONE_NUMBER"
)

// QuickConnect is a saved transfer destination (store.KindQuickConnect).
type QuickConnect struct {
	ID          string             `json:"Id"`
	Name        string             `json:"Name"`
	Description string             `json:"Description,omitempty"`
	Config      QuickConnectConfig `json:"QuickConnectConfig"`
	Tags        map[string]string  `json:"Tags,omitempty"`
	// UpdatedAt is when the resource was last written (the store row's,
	// not part of the body).
	UpdatedAt time.Time `json:"-"`
}

// QuickConnectConfig is where a quick connect goes.
type QuickConnectConfig struct {
	Type        string                   `json:"QuickConnectType"`
	UserConfig  *UserQuickConnectConfig  `json:"UserConfig,omitempty"`
	QueueConfig *QueueQuickConnectConfig `json:"QueueConfig,omitempty"`
	PhoneConfig *struct {
		PhoneNumber string `json:"PhoneNumber"`
	} `json:"PhoneConfig,omitempty"`
}

// UserQuickConnectConfig transfers to one agent through a transfer-to-agent flow.
type UserQuickConnectConfig struct {
	UserID        string `json:"UserId"`
	ContactFlowID string `json:"ContactFlowId"`
}

// QueueQuickConnectConfig transfers to a queue through a transfer-to-queue flow.
type QueueQuickConnectConfig struct {
	QueueID       string `json:"QueueId"`
	ContactFlowID string `json:"ContactFlowId"`
}

// Agent status types.
const (
	StatusRoutable = "ROUTABLE"
	StatusCustom   = "CUSTOM"
	StatusOffline  = "OFFLINE"
)

// AgentStatus is a status an agent can set (store.KindAgentStatus). The
// built-in Available and Offline exist in every instance without being
// stored (BuiltinStatuses).
type AgentStatus struct {
	ID           string            `json:"AgentStatusId"`
	Name         string            `json:"Name"`
	Description  string            `json:"Description,omitempty"`
	Type         string            `json:"Type"`
	DisplayOrder int               `json:"DisplayOrder,omitempty"`
	State        string            `json:"State"` // ENABLED or DISABLED
	Tags         map[string]string `json:"Tags,omitempty"`
	// UpdatedAt is when the resource was last written (the store row's,
	// not part of the body).
	UpdatedAt time.Time `json:"-"`
}

// IDs of the built-in agent statuses, the same in every instance.
const (
	StatusAvailableID = "00000000-0000-4000-b000-000000000001"
	StatusOfflineID   = "00000000-0000-4000-b000-000000000002"
)

// BuiltinStatuses are the agent statuses every instance has.
var BuiltinStatuses = []AgentStatus{
	{ID: StatusAvailableID, Name: "Available", Type: StatusRoutable, DisplayOrder: 1, State: "ENABLED"},
	{ID: StatusOfflineID, Name: "Offline", Type: StatusOffline, DisplayOrder: 2, State: "ENABLED"},
}

// System states an agent is put in by routing, not by choice; neither is
// routable, and setting any status leaves them.
const (
	StateMissed   = "Missed"
	StateRejected = "Rejected"
)

// AgentQueuePrefix starts the ID of an agent's own queue.
const AgentQueuePrefix = "agent/"

// AgentQueueID returns the ID of a user's own queue.
func AgentQueueID(userID string) string { return AgentQueuePrefix + userID }
