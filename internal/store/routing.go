package store

import (
	"context"
	"time"
)

// Resource kinds. A resource is an instance's configuration object whose
// shape the owning domain package defines and stores as JSON in Body.
const (
	KindUser            = "user"
	KindSecurityProfile = "security-profile"
	KindQueue           = "queue"
	KindRoutingProfile  = "routing-profile"
	KindHours           = "hours-of-operation"
	KindQuickConnect    = "quick-connect"
	KindAgentStatus     = "agent-status"
	// KindWidget is a customer chat widget's configuration (package
	// widget): where it may be embedded and how it starts chats.
	KindWidget = "widget"
)

// Resource is a configuration object of an instance: a user, a queue, a
// routing profile and so on. Names are unique per instance and kind
// (case-sensitive), which is how users are found by username.
type Resource struct {
	InstanceID string
	Kind       string
	ID         string
	Name       string
	// Body is the resource as JSON, owned by the domain package.
	Body      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Agent is the routing state of one user: their status and how much of
// their chat capacity is in use.
type Agent struct {
	InstanceID       string
	UserID           string
	RoutingProfileID string
	// StatusID and StatusName are the agent status resource the agent set,
	// or a system state such as Missed (StatusID empty then).
	StatusID   string
	StatusName string
	// Routable is whether the status lets routing offer contacts.
	Routable    bool
	StatusSince time.Time
	// LastRoutedAt is when the agent last became routable or was last
	// offered a contact: the agent idle longest has the oldest.
	LastRoutedAt time.Time
	// ChatSlots is the agent's chat concurrency; ChatsUsed counts their
	// assignments that hold a slot (offered, connected, after-contact work).
	ChatSlots int
	ChatsUsed int
	UpdatedAt time.Time
}

// Contact routing states.
const (
	RoutingQueued    = "QUEUED"    // waiting in QueueID for an agent
	RoutingOffered   = "OFFERED"   // offered to AgentID, who has not answered yet
	RoutingConnected = "CONNECTED" // AgentID accepted
	RoutingDone      = "DONE"      // left routing: the contact ended or is with no agent
)

// ContactRouting is where a contact stands in routing. A contact has one
// once it is first queued; transfers update it.
type ContactRouting struct {
	InstanceID string
	ContactID  string
	State      string
	QueueID    string
	// TargetUserID is set when QueueID is an agent's own queue: only that
	// agent may be offered the contact.
	TargetUserID string
	// Priority orders contacts in a queue: 1 is served first; 5 is the
	// default, as in Connect.
	Priority int
	// RankAt orders contacts of equal priority, oldest first: the enqueue
	// time less any queue-time adjustment.
	RankAt     time.Time
	EnqueuedAt time.Time
	DequeuedAt time.Time // zero while queued
	// AgentID is the agent offered or connected; PreviousAgentID the last
	// agent who left the contact.
	AgentID         string
	PreviousAgentID string
	// Transfers is the JSON array of the contact's transfers, oldest first.
	Transfers string
	UpdatedAt time.Time
}

// Assignment states.
const (
	AssignmentOffered   = "OFFERED"
	AssignmentConnected = "CONNECTED" // accepted; the agent participant exists
	AssignmentACW       = "ACW"       // the agent left the chat, after-contact work runs
	AssignmentDone      = "DONE"      // after-contact work cleared
	AssignmentMissed    = "MISSED"    // the offer timed out
	AssignmentRejected  = "REJECTED"
	AssignmentCancelled = "CANCELLED" // the contact ended or moved before the agent answered
)

// Assignment is one offer of a contact to an agent and what became of it.
// Offered, Connected and ACW assignments hold one of the agent's slots.
type Assignment struct {
	ID            string
	InstanceID    string
	ContactID     string
	UserID        string
	QueueID       string
	State         string
	ParticipantID string
	OfferedAt     time.Time
	ExpiresAt     time.Time // the offer's deadline
	AcceptedAt    time.Time
	ConnectedAt   time.Time // the agent participant first connected
	ACWStartedAt  time.Time
	EndedAt       time.Time // terminal state reached
	UpdatedAt     time.Time
}

// AssignmentQuery selects assignments of one instance: those of a user,
// or of a contact, or both. Active limits them to the states that hold a
// slot. They are returned oldest offer first.
type AssignmentQuery struct {
	InstanceID string
	UserID     string
	ContactID  string
	Active     bool
}

// Session is a logged-in user's workspace session, stored as the SHA-256
// of its cookie value.
type Session struct {
	Hash       []byte
	InstanceID string
	UserID     string
	// CSRF is the token the session's state-changing requests must echo.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RoutingReader holds the routing reads of Store.
type RoutingReader interface {
	// GetResource returns one resource of an instance.
	GetResource(ctx context.Context, instanceID, kind, id string) (Resource, error)
	// GetResourceByName returns the resource of a kind with this name.
	GetResourceByName(ctx context.Context, instanceID, kind, name string) (Resource, error)
	// ListResources returns the resources of one kind, by name.
	ListResources(ctx context.Context, instanceID, kind string) ([]Resource, error)

	// GetAgent returns the routing state of a user.
	GetAgent(ctx context.Context, instanceID, userID string) (Agent, error)
	// ListAgents returns the routing state of every agent of an instance.
	ListAgents(ctx context.Context, instanceID string) ([]Agent, error)
	// GetContactRouting returns where a contact stands in routing.
	GetContactRouting(ctx context.Context, instanceID, contactID string) (ContactRouting, error)
	// ListContactRoutings returns the contacts of an instance that are in
	// one of the given routing states, oldest enqueue first.
	ListContactRoutings(ctx context.Context, instanceID string, states []string) ([]ContactRouting, error)
	// ListAssignments returns the assignments q selects.
	ListAssignments(ctx context.Context, q AssignmentQuery) ([]Assignment, error)

	// LookupSession returns the session with this hash, whatever its
	// expiry (callers check it).
	LookupSession(ctx context.Context, hash []byte) (Session, error)
}

// RoutingTx holds the routing writes of Tx.
type RoutingTx interface {
	// LockRouting serialises routing decisions of one instance until the
	// transaction ends. Every routing change takes it after any contact
	// lock and before touching agents, contact routings or assignments.
	LockRouting(instanceID string) error

	// PutResource inserts or replaces (by instance, kind and ID) a
	// resource; ErrDuplicate when another resource of the kind has the name.
	PutResource(r Resource) error
	// GetResource is Store.GetResource inside the transaction.
	GetResource(instanceID, kind, id string) (Resource, error)
	// GetResourceByName is Store.GetResourceByName inside the transaction.
	GetResourceByName(instanceID, kind, name string) (Resource, error)
	// ListResources is Store.ListResources inside the transaction.
	ListResources(instanceID, kind string) ([]Resource, error)
	// DeleteResource deletes a resource (ErrNotFound if missing).
	DeleteResource(instanceID, kind, id string) error

	// PutAgent inserts or replaces the routing state of a user.
	PutAgent(a Agent) error
	// GetAgent is Store.GetAgent inside the transaction.
	GetAgent(instanceID, userID string) (Agent, error)
	// ListAgents is Store.ListAgents inside the transaction.
	ListAgents(instanceID string) ([]Agent, error)

	// PutContactRouting inserts or replaces a contact's routing.
	PutContactRouting(r ContactRouting) error
	// GetContactRouting is Store.GetContactRouting inside the transaction.
	GetContactRouting(instanceID, contactID string) (ContactRouting, error)
	// ListQueued returns, for each queue in limits, up to its limit (0 or
	// less: all) of the contacts queued in it, in service order: priority,
	// then RankAt, then contact ID. A routing pass reads the heads of all
	// the queues it serves in one call (one round trip in PostgreSQL).
	ListQueued(instanceID string, limits map[string]int) (map[string][]ContactRouting, error)
	// CountQueued returns how many contacts are queued in one queue.
	CountQueued(instanceID, queueID string) (int, error)

	// PutAssignment inserts or replaces an assignment.
	PutAssignment(a Assignment) error
	// GetAssignment returns one assignment of an instance.
	GetAssignment(instanceID, id string) (Assignment, error)
	// ListAssignments is Store.ListAssignments inside the transaction.
	ListAssignments(q AssignmentQuery) ([]Assignment, error)

	// InsertSession stores a workspace session.
	InsertSession(s Session) error
	// DeleteSession deletes a session; a missing one is not an error.
	DeleteSession(hash []byte) error
	// DeleteUserSessions deletes every session of a user.
	DeleteUserSessions(instanceID, userID string) error
	// DeleteExpiredSessions deletes sessions that expired before t.
	DeleteExpiredSessions(before time.Time) (int, error)
}
