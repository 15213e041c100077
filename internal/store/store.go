// Package store defines Parley's persistence port: the records every domain
// package reads and writes, and the Store interface that the SQLite
// (embedded default) and PostgreSQL drivers implement.
//
// The store is a dumb, durable keeper of records. Business rules (who may
// send what, when a chat ends) live in the domain packages; the store only
// guarantees atomicity, per-contact serialisation and the per-contact item
// sequence. All writes go through Store.Write, whose function runs inside
// one transaction: either everything it did is committed, or nothing is.
// Write returns only after the commit is durable, which is what lets the
// API acknowledge a message.
//
// Every query is scoped by instance ID where the record belongs to an
// instance, so one tenant can never read another's data by guessing IDs.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound reports that a record does not exist (or belongs to another
// instance, which callers must not be able to tell apart).
var ErrNotFound = errors.New("store: not found")

// ErrDuplicate reports a write that would break a uniqueness rule.
var ErrDuplicate = errors.New("store: duplicate")

// Store is the persistence port. Implementations must be safe for
// concurrent use.
type Store interface {
	// Write runs fn in one transaction and commits it durably before
	// returning. If fn returns an error, nothing fn did is kept and that
	// error is returned unchanged (so callers can errors.Is/As it).
	// Contacts locked with Tx.LockContact stay locked until the end of the
	// transaction, which serialises every state change of one contact.
	// fn may be called more than once if the driver retries a
	// serialisation failure, so it must not have side effects outside tx.
	// fn must read only through tx: a read on the Store from inside fn
	// needs a second connection and can wait forever for a lock fn's own
	// transaction holds.
	Write(ctx context.Context, fn func(tx Tx) error) error

	// GetInstance returns one instance.
	GetInstance(ctx context.Context, id string) (Instance, error)
	// ListInstances returns all instances, oldest first.
	ListInstances(ctx context.Context) ([]Instance, error)
	// GetAccessKey returns the SigV4 access key with this access key ID.
	GetAccessKey(ctx context.Context, accessKeyID string) (AccessKey, error)
	// GetContactFlow returns one flow of an instance.
	GetContactFlow(ctx context.Context, instanceID, flowID string) (ContactFlow, error)

	// GetContact returns one contact of an instance.
	GetContact(ctx context.Context, instanceID, contactID string) (Contact, error)
	// ListParticipants returns the participants of a contact, in the order
	// they were added.
	ListParticipants(ctx context.Context, contactID string) ([]Participant, error)
	// GetParticipant returns one participant.
	GetParticipant(ctx context.Context, participantID string) (Participant, error)
	// LookupToken returns the token whose SHA-256 hash is hash, whatever its
	// expiry (callers check it).
	LookupToken(ctx context.Context, hash []byte) (Token, error)
	// ListItems returns items of one contact by sequence range, see ItemQuery.
	ListItems(ctx context.Context, q ItemQuery) ([]Item, error)
	// GetItem returns one item of a contact by its ID.
	GetItem(ctx context.Context, contactID, itemID string) (Item, error)
	// ListReceipts returns the receipts recorded for the given message IDs
	// of one contact.
	ListReceipts(ctx context.Context, contactID string, messageIDs []string) ([]Receipt, error)
	// GetIdempotent returns the stored result of an idempotent call.
	GetIdempotent(ctx context.Context, scope, key string) ([]byte, error)

	// ClaimTimers atomically claims up to limit timers due at or before
	// now that are unclaimed or whose claim has lapsed, marking them
	// claimed by owner until now+lease. A claimed timer is not returned to
	// anyone else until its lease lapses; the claimer deletes it
	// (Tx.DeleteTimer) in the same transaction as its effect.
	ClaimTimers(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]Timer, error)
	// NextTimer returns the due time of the earliest timer, or ok=false.
	NextTimer(ctx context.Context) (due time.Time, ok bool, err error)

	RoutingReader
	FlowReader

	// Close releases the store's resources.
	Close() error
}

// Tx is the set of writes available inside Store.Write. Reads inside a Tx
// see the transaction's own writes.
type Tx interface {
	// CreateInstance inserts an instance with its access key, resources
	// (the first admin user, queues, routing profiles, ...) and flows.
	CreateInstance(ni NewInstance) error

	// LockContact reads a contact and locks it until the transaction ends.
	LockContact(instanceID, contactID string) (Contact, error)
	// InsertContact inserts a new contact. LastSeq must be 0.
	InsertContact(c Contact) error
	// UpdateContact saves the mutable fields of a contact: State,
	// Attributes, DisconnectedAt, DisconnectReason, LastUpdatedAt and
	// ParticipantTimers (LastSeq is the store's to manage).
	UpdateContact(c Contact) error
	// HasContinuation reports whether some contact already continues
	// (PersistentChat) from sourceContactID.
	HasContinuation(sourceContactID string) (bool, error)
	// AddActiveChats adds delta to the instance's count of active chat
	// contacts and returns the new count (ErrNotFound for an unknown
	// instance). It serialises with every other change of the count.
	AddActiveChats(instanceID string, delta int) (int, error)

	// InsertParticipant inserts a participant.
	InsertParticipant(p Participant) error
	// UpdateParticipant saves the mutable fields of a participant:
	// State, ConnectedAt, LeftAt, LastActiveAt, Hidden.
	UpdateParticipant(p Participant) error
	// ListParticipants is Store.ListParticipants inside the transaction.
	ListParticipants(contactID string) ([]Participant, error)
	// GetParticipant is Store.GetParticipant inside the transaction.
	GetParticipant(participantID string) (Participant, error)

	// InsertToken stores a token (only its hash).
	InsertToken(t Token) error
	// DeleteTokens deletes every token of a participant.
	DeleteTokens(participantID string) error
	// DeleteExpiredTokens deletes tokens that expired before t and returns
	// how many went.
	DeleteExpiredTokens(before time.Time) (int, error)

	// AppendItem assigns the contact's next sequence number to it, stores
	// it, and returns the assigned sequence. Sequences of one contact are
	// strictly increasing and gap-free.
	AppendItem(it Item) (int64, error)
	// GetItem is Store.GetItem inside the transaction.
	GetItem(contactID, itemID string) (Item, error)
	// PutReceipt records (merges) a delivered/read receipt: a zero time in
	// r keeps the stored value.
	PutReceipt(r Receipt) error
	// GetReceipt returns the receipt of one message for one recipient.
	GetReceipt(contactID, messageID, recipientID string) (Receipt, error)

	// GetIdempotent is Store.GetIdempotent inside the transaction.
	GetIdempotent(scope, key string) ([]byte, error)
	// PutIdempotent records the result of an idempotent call.
	PutIdempotent(scope, key string, result []byte, expires time.Time) error
	// DeleteExpiredIdempotent deletes idempotency records that expired
	// before t and returns how many went.
	DeleteExpiredIdempotent(before time.Time) (int, error)

	// PutTimer inserts or replaces (by ID) a timer, clearing any claim.
	PutTimer(t Timer) error
	// DeleteTimer deletes a timer; deleting a missing one is not an error.
	DeleteTimer(id string) error
	// DeleteContactTimers deletes every timer of a contact.
	DeleteContactTimers(contactID string) error

	RoutingTx
	FlowTx
}

// Instance is a tenant: every other record belongs to exactly one.
type Instance struct {
	ID        string
	Alias     string
	Region    string
	CreatedAt time.Time
}

// AccessKey is a SigV4 credential of an instance. AWS SigV4 needs the
// secret itself to verify a signature, so it is stored as is; protect the
// database as you would the keys.
type AccessKey struct {
	ID         string // the access key ID, e.g. "AKPA..."
	InstanceID string
	Secret     string
	CreatedAt  time.Time
}

// NewInstance is everything created with an instance, atomically.
type NewInstance struct {
	Instance  Instance
	AccessKey AccessKey
	// Resources are tied to the instance whatever their own InstanceID.
	Resources []Resource
	Flows     []ContactFlow
}

// Contact states.
const (
	ContactActive = "ACTIVE"
	ContactEnded  = "ENDED"
)

// Contact is one chat contact (a segment of a conversation).
type Contact struct {
	ID                string
	InstanceID        string
	InitialContactID  string
	PreviousContactID string
	// RelatedContactID is the contact given as RelatedContactId, or the
	// one a persistent chat continued from.
	RelatedContactID string
	// ContinuedFromID is set only for persistent chats: the ended contact
	// whose transcript this one rehydrates.
	ContinuedFromID  string
	Channel          string // CHAT
	InitiationMethod string // API, ...
	FlowID           string
	State            string // ContactActive or ContactEnded
	// Attributes are the contact's user-defined attributes.
	Attributes map[string]string
	// SegmentAttributes is the raw JSON object of segment attributes.
	SegmentAttributes     string
	CustomerID            string
	SupportedContentTypes []string
	// DisconnectOnCustomerExit lists participant roles auto-disconnected
	// when the customer leaves.
	DisconnectOnCustomerExit []string
	// ParticipantTimers is the raw JSON of the participant timer
	// configuration set by UpdateParticipantRoleConfig.
	ParticipantTimers string
	// ChatDuration is how long the chat may last from InitiatedAt.
	ChatDuration     time.Duration
	InitiatedAt      time.Time
	LastUpdatedAt    time.Time
	DisconnectedAt   time.Time // zero while active
	DisconnectReason string
	// LastSeq is the sequence of the contact's last item (0: none).
	LastSeq int64
}

// Participant roles.
const (
	RoleCustomer   = "CUSTOMER"
	RoleAgent      = "AGENT"
	RoleCustomBot  = "CUSTOM_BOT"
	RoleSupervisor = "SUPERVISOR"
	RoleSystem     = "SYSTEM"
)

// Participant states.
const (
	ParticipantInvited   = "INVITED"   // has a token, never connected
	ParticipantConnected = "CONNECTED" // connected at least once and not left
	ParticipantLeft      = "LEFT"
)

// Participant is a member of a contact's chat.
type Participant struct {
	ID           string
	ContactID    string
	InstanceID   string
	Role         string
	DisplayName  string
	State        string
	CreatedAt    time.Time
	ConnectedAt  time.Time // zero until the first connection
	LeftAt       time.Time // zero until they leave
	LastActiveAt time.Time // last message sent, for idle timers
	// Hidden participants (supervisors monitoring silently) read the chat
	// but may not write, and nobody sees them join or leave.
	Hidden bool
}

// Token kinds.
const (
	TokenParticipant = "PARTICIPANT"
	TokenConnection  = "CONNECTION"
	TokenWebsocket   = "WEBSOCKET"
)

// Token is a bearer credential, stored only as the SHA-256 of its value.
type Token struct {
	Hash          []byte
	Kind          string
	InstanceID    string
	ContactID     string
	ParticipantID string
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// Item types as they appear on the wire.
const (
	ItemMessage    = "MESSAGE"
	ItemEvent      = "EVENT"
	ItemAttachment = "ATTACHMENT"
)

// Item is one persisted transcript entry of a contact.
type Item struct {
	ContactID     string
	Seq           int64 // assigned by AppendItem
	ID            string
	Type          string
	ContentType   string
	Content       string // may be empty (most events)
	ParticipantID string // empty for system events such as chat.ended
	DisplayName   string
	Role          string
	CreatedAt     time.Time
	// ClientToken is the sender's idempotency token, if any.
	ClientToken string
}

// ItemQuery selects items of one contact. Items are returned in sequence
// order: ascending when Descending is false. AfterSeq and BeforeSeq are
// exclusive bounds (0 means unbounded). Limit <= 0 means no limit.
type ItemQuery struct {
	ContactID  string
	AfterSeq   int64
	BeforeSeq  int64
	Descending bool
	Limit      int
}

// Receipt is the delivered/read state of one message for one recipient.
type Receipt struct {
	ContactID   string
	MessageID   string
	RecipientID string
	DeliveredAt time.Time // zero if not delivered
	ReadAt      time.Time // zero if not read
}

// Timer is a durable timer: it fires once at Due, on whichever node claims
// it. Kind and Payload are the owner's to interpret.
type Timer struct {
	ID         string
	Kind       string
	InstanceID string
	ContactID  string
	Due        time.Time
	Payload    string
}
