package store

import (
	"context"
	"time"
)

// Contact flow statuses and states (Connect's ContactFlowStatus and
// ContactFlowState).
const (
	FlowPublished = "PUBLISHED"
	FlowSaved     = "SAVED"
	FlowActive    = "ACTIVE"
	FlowArchived  = "ARCHIVED"
)

// KindFunction is the resource kind of a function a flow invokes
// (InvokeLambdaFunction): an HTTPS endpoint the instance registered.
const KindFunction = "function"

// KindQuickResponse is the resource kind of a quick response: a saved
// reply agents search and insert in the workspace (a Parley extension).
const KindQuickResponse = "quick-response"

// ContactFlow is a flow in Amazon Connect's flow language, as its owner
// last saved it. What contacts run is a FlowVersion: every publish adds
// one, and a contact finishes on the version it started with even if the
// flow changes or is deleted meanwhile.
type ContactFlow struct {
	ID          string
	InstanceID  string
	Name        string // unique per instance
	Type        string // CONTACT_FLOW, CUSTOMER_QUEUE, ...
	Description string
	// Status is FlowPublished or FlowSaved: whether Content is the
	// published version or a draft saved after it.
	Status string
	// State is FlowActive or FlowArchived.
	State string
	// Content is the flow-language JSON as last written, kept verbatim.
	Content string
	// Version is the latest published version (0: never published).
	Version int
	// Tags are the flow's tags.
	Tags      map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FlowVersion is one published, immutable version of a flow's content.
// Versions outlive their flow, for the contacts still running them.
type FlowVersion struct {
	InstanceID string
	FlowID     string
	Version    int // 1, 2, ... per flow
	Content    string
	CreatedAt  time.Time
}

// FlowRun is a contact's flow state: the running flow, where it stands
// and its flow data, as a JSON document the flow package owns. A contact
// has at most one.
type FlowRun struct {
	ContactID  string
	InstanceID string
	State      []byte
	UpdatedAt  time.Time
}

// FlowLog is one flow-log record of a contact: a block that ran.
type FlowLog struct {
	// ID orders a contact's records; AppendFlowLogs assigns it.
	ID         int64
	InstanceID string
	ContactID  string
	At         time.Time
	// Record is the JSON record (ContactFlowModuleType, Parameters, ...).
	Record []byte
}

// FlowReader holds the flow reads of Store.
type FlowReader interface {
	// ListContactFlows returns the flows of an instance, by name.
	ListContactFlows(ctx context.Context, instanceID string) ([]ContactFlow, error)
	// GetFlowVersion returns one published version of a flow, even if the
	// flow has been deleted since.
	GetFlowVersion(ctx context.Context, instanceID, flowID string, version int) (FlowVersion, error)
	// GetFlowRun returns a contact's flow state.
	GetFlowRun(ctx context.Context, contactID string) (FlowRun, error)
	// ListFlowLogs returns up to limit flow-log records of a contact with
	// ID > afterID, oldest first.
	ListFlowLogs(ctx context.Context, instanceID, contactID string, afterID int64, limit int) ([]FlowLog, error)
}

// FlowTx holds the flow writes of Tx.
type FlowTx interface {
	// PutContactFlow inserts or replaces (by instance and ID) a flow;
	// ErrDuplicate when another flow of the instance has its name.
	PutContactFlow(f ContactFlow) error
	// GetContactFlow is Store.GetContactFlow inside the transaction.
	GetContactFlow(instanceID, flowID string) (ContactFlow, error)
	// ListContactFlows is Store.ListContactFlows inside the transaction.
	ListContactFlows(instanceID string) ([]ContactFlow, error)
	// DeleteContactFlow deletes a flow (ErrNotFound if missing); its
	// versions stay.
	DeleteContactFlow(instanceID, flowID string) error
	// PutFlowVersion inserts a version; ErrDuplicate if it exists.
	PutFlowVersion(v FlowVersion) error
	// GetFlowVersion is Store.GetFlowVersion inside the transaction.
	GetFlowVersion(instanceID, flowID string, version int) (FlowVersion, error)

	// GetFlowRun is Store.GetFlowRun inside the transaction.
	GetFlowRun(contactID string) (FlowRun, error)
	// PutFlowRun inserts or replaces a contact's flow state.
	PutFlowRun(r FlowRun) error
	// DeleteFlowRun deletes a contact's flow state; a missing one is not
	// an error.
	DeleteFlowRun(contactID string) error
	// AppendFlowLogs stores flow-log records in order, assigning IDs.
	AppendFlowLogs(logs []FlowLog) error
}
