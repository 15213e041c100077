package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/webhook"
)

// Limits of the flow admin operations, as Connect documents them.
const (
	maxFlowNameChars        = 127
	maxFlowDescriptionChars = 500
	maxTags                 = 50
	maxTagKeyChars          = 128
	maxTagValueChars        = 256
	maxFunctionNameChars    = 140
	// DefaultFlowLogPage and MaxFlowLogPage bound one FlowLogs call.
	DefaultFlowLogPage = 100
	MaxFlowLogPage     = 1000
)

// SavedSuffix, appended to a flow ID as "<id>:$SAVED", asks DescribeFlow
// for the flow's current content, published or not.
const SavedSuffix = "$SAVED"

// InvalidFlowError is returned when content cannot be published: Problems
// are the validator's errors (never warnings), in document order.
type InvalidFlowError struct {
	Problems []Problem
}

// Error summarises the problems.
func (e *InvalidFlowError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "the flow is not valid"
	case 1:
		return "the flow is not valid: " + e.Problems[0].Detail()
	}
	return fmt.Sprintf("the flow is not valid: %s (and %d more problems)", e.Problems[0].Detail(), len(e.Problems)-1)
}

// NotPublishedError is returned by DescribeFlow for the published content
// of a flow that was only ever saved.
type NotPublishedError struct {
	FlowID string
}

// Error says which flow.
func (e *NotPublishedError) Error() string {
	return "contact flow " + e.FlowID + " has never been published"
}

// NewFlow is what CreateFlow stores.
type NewFlow struct {
	Name        string
	Type        string // one of FlowTypes
	Description string
	Content     string
	// Status is store.FlowPublished (the default when empty: validate and
	// publish version 1) or store.FlowSaved (store a draft unvalidated).
	Status string
	Tags   map[string]string
}

// ContentSHA256 is a flow content's FlowContentSha256: the hex SHA-256 of
// its bytes.
func ContentSHA256(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func invalidParam(format string, args ...any) error {
	return fault.Errorf(fault.InvalidParameter, format, args...)
}

func flowNotFound(id string) error {
	return fault.NotFoundf("CONTACT_FLOW", id, "Contact flow %s not found", id)
}

func checkFlowName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxFlowNameChars {
		return invalidParam("Name must be 1 to %d characters", maxFlowNameChars)
	}
	return nil
}

func checkFlowDescription(d string) error {
	if utf8.RuneCountInString(d) > maxFlowDescriptionChars {
		return invalidParam("Description must be at most %d characters", maxFlowDescriptionChars)
	}
	return nil
}

func checkFlowTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return invalidParam("Tags: at most %d tags", maxTags)
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyChars {
			return invalidParam("Tags: keys must be 1 to %d characters", maxTagKeyChars)
		}
		if strings.HasPrefix(k, "aws:") {
			return invalidParam("Tags: the aws: prefix is reserved")
		}
		if utf8.RuneCountInString(v) > maxTagValueChars {
			return invalidParam("Tags: values must be at most %d characters", maxTagValueChars)
		}
	}
	return nil
}

func checkContentSize(content string) error {
	if !utf8.ValidString(content) {
		return invalidParam("Content is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(content); n < 1 || n > MaxContentChars {
		return invalidParam("Content must be 1 to %d characters", MaxContentChars)
	}
	return nil
}

// storeRefs is a Resolver over one instance's resources, loaded inside the
// transaction that publishes.
type storeRefs struct {
	queues, flows, hours, users map[string]bool
}

func (r *storeRefs) QueueExists(id string) bool {
	if r.queues[id] {
		return true
	}
	// An agent's own queue: "agent/<user>", or just the user ID when the
	// validator took the last path element of the queue's ARN.
	return r.users[strings.TrimPrefix(id, routing.AgentQueuePrefix)]
}
func (r *storeRefs) FlowExists(id string) bool  { return r.flows[id] }
func (r *storeRefs) HoursExists(id string) bool { return r.hours[id] }
func (r *storeRefs) UserExists(id string) bool  { return r.users[id] }

// loadResources reads what flows of instanceID may name; selfID (the flow
// being published) counts as an existing flow.
func loadResources(tx store.Tx, instanceID, selfID string) (*storeRefs, error) {
	r := &storeRefs{flows: map[string]bool{selfID: true}}
	ids := func(kind string) (map[string]bool, error) {
		rs, err := tx.ListResources(instanceID, kind)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", kind, err)
		}
		m := make(map[string]bool, len(rs))
		for _, x := range rs {
			m[x.ID] = true
		}
		return m, nil
	}
	var err error
	if r.queues, err = ids(store.KindQueue); err != nil {
		return nil, err
	}
	if r.hours, err = ids(store.KindHours); err != nil {
		return nil, err
	}
	if r.users, err = ids(store.KindUser); err != nil {
		return nil, err
	}
	fs, err := tx.ListContactFlows(instanceID)
	if err != nil {
		return nil, fmt.Errorf("list contact flows: %w", err)
	}
	for _, f := range fs {
		r.flows[f.ID] = true
	}
	return r, nil
}

// checkPublishable parses and validates content as a flowType flow of
// instanceID; any error-severity problem is an *InvalidFlowError.
func checkPublishable(tx store.Tx, instanceID, flowID, flowType, content string) error {
	f, err := Parse([]byte(content))
	if err != nil {
		return &InvalidFlowError{Problems: []Problem{{Code: "InvalidContent", Message: err.Error(), Severity: SeverityError}}}
	}
	refs, err := loadResources(tx, instanceID, flowID)
	if err != nil {
		return err
	}
	if errs := Errors(Validate(f, flowType, refs)); len(errs) > 0 {
		return &InvalidFlowError{Problems: errs}
	}
	return nil
}

// adminWrite runs fn in a transaction holding the instance's routing lock, so a
// publish's reference checks, or a delete's quick connect check, cannot
// interleave with a change of the resources they look at.
func (s *Service) adminWrite(ctx context.Context, instanceID string, fn func(tx store.Tx) error) error {
	return s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return fmt.Errorf("lock routing: %w", err)
		}
		return fn(tx)
	})
}

// putFlow stores f; a name another flow has is Duplicate.
func putFlow(tx store.Tx, f store.ContactFlow) error {
	err := tx.PutContactFlow(f)
	if errors.Is(err, store.ErrDuplicate) {
		return fault.Errorf(fault.Duplicate, "Contact flow named %q already exists", f.Name)
	} else if err != nil {
		return fmt.Errorf("put contact flow %s: %w", f.ID, err)
	}
	return nil
}

// publish stores f with content as its next published version.
func publish(tx store.Tx, f *store.ContactFlow, content string, now time.Time) error {
	f.Content, f.Status, f.Version, f.UpdatedAt = content, store.FlowPublished, f.Version+1, now
	if err := putFlow(tx, *f); err != nil {
		return err
	}
	v := store.FlowVersion{InstanceID: f.InstanceID, FlowID: f.ID, Version: f.Version, Content: content, CreatedAt: now}
	if err := tx.PutFlowVersion(v); err != nil {
		return fmt.Errorf("put contact flow %s version %d: %w", f.ID, f.Version, err)
	}
	return nil
}

// txFlow reads one flow inside a write; a missing one is NotFound.
func txFlow(tx store.Tx, instanceID, id string) (store.ContactFlow, error) {
	if id == "" {
		return store.ContactFlow{}, flowNotFound(id)
	}
	f, err := tx.GetContactFlow(instanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return f, flowNotFound(id)
	} else if err != nil {
		return f, fmt.Errorf("get contact flow %s: %w", id, err)
	}
	return f, nil
}

// CreateFlow creates a flow. A PUBLISHED flow (the default) must validate
// against the instance's resources and becomes version 1; a SAVED one is
// stored as a draft, only its size checked, with version 0.
func (s *Service) CreateFlow(ctx context.Context, instanceID string, in NewFlow) (store.ContactFlow, error) {
	if in.Status == "" {
		in.Status = store.FlowPublished
	}
	if err := checkFlowName(in.Name); err != nil {
		return store.ContactFlow{}, err
	}
	if !slices.Contains(FlowTypes, in.Type) {
		return store.ContactFlow{}, invalidParam("Type must be one of %s", strings.Join(FlowTypes, ", "))
	}
	if in.Status != store.FlowPublished && in.Status != store.FlowSaved {
		return store.ContactFlow{}, invalidParam("Status must be PUBLISHED or SAVED")
	}
	if err := checkFlowDescription(in.Description); err != nil {
		return store.ContactFlow{}, err
	}
	if err := checkFlowTags(in.Tags); err != nil {
		return store.ContactFlow{}, err
	}
	if err := checkContentSize(in.Content); err != nil {
		return store.ContactFlow{}, err
	}
	now := s.clock()
	f := store.ContactFlow{ID: uuid.NewString(), InstanceID: instanceID, Name: in.Name, Type: in.Type, Description: in.Description,
		Status: store.FlowSaved, State: store.FlowActive, Content: in.Content, Tags: in.Tags, CreatedAt: now, UpdatedAt: now}
	err := s.adminWrite(ctx, instanceID, func(tx store.Tx) error {
		if in.Status == store.FlowSaved {
			return putFlow(tx, f)
		}
		if err := checkPublishable(tx, instanceID, f.ID, f.Type, in.Content); err != nil {
			return err
		}
		g := f
		if err := publish(tx, &g, in.Content, now); err != nil {
			return err
		}
		f = g
		return nil
	})
	if err != nil {
		return store.ContactFlow{}, fmt.Errorf("create contact flow: %w", err)
	}
	return f, nil
}

// DescribeFlow returns a flow. idOrARN is a flow ID or ARN, optionally
// qualified: "<id>" is the latest published version (a
// *NotPublishedError if there is none), "<id>:$SAVED" the current content
// whatever its status, "<id>:<n>" published version n. The returned
// flow's Content, Version and Status are those of what was asked for.
func (s *Service) DescribeFlow(ctx context.Context, instanceID, idOrARN string) (store.ContactFlow, error) {
	id := idOrARN
	if i := strings.LastIndexByte(id, '/'); i >= 0 && strings.HasPrefix(id, "arn:") {
		id = id[i+1:]
	}
	id, qualifier, qualified := strings.Cut(id, ":")
	if id == "" {
		return store.ContactFlow{}, flowNotFound(idOrARN)
	}
	f, err := s.store.GetContactFlow(ctx, instanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return f, flowNotFound(id)
	} else if err != nil {
		return f, fmt.Errorf("get contact flow %s: %w", id, err)
	}
	version := f.Version
	switch {
	case qualified && qualifier == SavedSuffix:
		return f, nil
	case qualified:
		n, err := strconv.Atoi(qualifier)
		if err != nil || n < 1 {
			return store.ContactFlow{}, invalidParam("ContactFlowId %q: the version must be $SAVED or a number from 1", idOrARN)
		}
		if n > f.Version {
			return store.ContactFlow{}, fault.NotFoundf("CONTACT_FLOW", idOrARN, "Contact flow %s has no version %d", id, n)
		}
		version = n
	case f.Version == 0:
		return store.ContactFlow{}, &NotPublishedError{FlowID: id}
	}
	if version == f.Version && f.Status == store.FlowPublished {
		return f, nil // the current content is that version
	}
	v, err := s.store.GetFlowVersion(ctx, instanceID, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return store.ContactFlow{}, fault.NotFoundf("CONTACT_FLOW", idOrARN, "Contact flow %s has no version %d", id, version)
	} else if err != nil {
		return store.ContactFlow{}, fmt.Errorf("get contact flow %s version %d: %w", id, version, err)
	}
	f.Content, f.Version, f.Status, f.UpdatedAt = v.Content, v.Version, store.FlowPublished, v.CreatedAt
	return f, nil
}

// UpdateFlowContent validates content as the flow's type and publishes it
// as the flow's next version. Contacts already running an earlier version
// finish on it.
func (s *Service) UpdateFlowContent(ctx context.Context, instanceID, id, content string) (store.ContactFlow, error) {
	if err := checkContentSize(content); err != nil {
		return store.ContactFlow{}, err
	}
	var f store.ContactFlow
	err := s.adminWrite(ctx, instanceID, func(tx store.Tx) error {
		var err error
		if f, err = txFlow(tx, instanceID, id); err != nil {
			return err
		}
		if err := checkPublishable(tx, instanceID, f.ID, f.Type, content); err != nil {
			return err
		}
		return publish(tx, &f, content, s.clock())
	})
	if err != nil {
		return store.ContactFlow{}, fmt.Errorf("update contact flow content: %w", err)
	}
	return f, nil
}

// UpdateFlowMetadata changes a flow's name, description (nil: unchanged)
// and state (ACTIVE or ARCHIVED; empty: unchanged).
func (s *Service) UpdateFlowMetadata(ctx context.Context, instanceID, id string, name, description *string, state string) error {
	if name == nil && description == nil && state == "" {
		return invalidParam("Name, Description or ContactFlowState is required")
	}
	if state != "" && state != store.FlowActive && state != store.FlowArchived {
		return invalidParam("ContactFlowState must be ACTIVE or ARCHIVED")
	}
	return s.updateFlow(ctx, instanceID, id, name, description, state)
}

// UpdateFlowName changes a flow's name and description (nil: unchanged);
// at least one must be given.
func (s *Service) UpdateFlowName(ctx context.Context, instanceID, id string, name, description *string) error {
	if name == nil && description == nil {
		return invalidParam("Name or Description is required")
	}
	return s.updateFlow(ctx, instanceID, id, name, description, "")
}

func (s *Service) updateFlow(ctx context.Context, instanceID, id string, name, description *string, state string) error {
	if name != nil {
		if err := checkFlowName(*name); err != nil {
			return err
		}
	}
	if description != nil {
		if err := checkFlowDescription(*description); err != nil {
			return err
		}
	}
	err := s.adminWrite(ctx, instanceID, func(tx store.Tx) error {
		f, err := txFlow(tx, instanceID, id)
		if err != nil {
			return err
		}
		if name != nil {
			f.Name = *name
		}
		if description != nil {
			f.Description = *description
		}
		if state != "" {
			f.State = state
		}
		f.UpdatedAt = s.clock()
		return putFlow(tx, f)
	})
	if err != nil {
		return fmt.Errorf("update contact flow %s: %w", id, err)
	}
	return nil
}

// ListFlows returns an instance's flows of the given types (none: all),
// by name. Their Content is the current one.
func (s *Service) ListFlows(ctx context.Context, instanceID string, types []string) ([]store.ContactFlow, error) {
	for _, t := range types {
		if !slices.Contains(FlowTypes, t) {
			return nil, invalidParam("ContactFlowTypes: %q is not a flow type", t)
		}
	}
	fs, err := s.store.ListContactFlows(ctx, instanceID)
	if err != nil {
		return nil, fmt.Errorf("list contact flows: %w", err)
	}
	if len(types) == 0 {
		return fs, nil
	}
	out := fs[:0]
	for _, f := range fs {
		if slices.Contains(types, f.Type) {
			out = append(out, f)
		}
	}
	return out, nil
}

// DeleteFlow deletes a flow, unless a quick connect transfers through it
// (InUse). Its published versions stay, for the contacts running them.
func (s *Service) DeleteFlow(ctx context.Context, instanceID, id string) error {
	err := s.adminWrite(ctx, instanceID, func(tx store.Tx) error {
		if _, err := txFlow(tx, instanceID, id); err != nil {
			return err
		}
		qcs, err := tx.ListResources(instanceID, store.KindQuickConnect)
		if err != nil {
			return fmt.Errorf("list quick connects: %w", err)
		}
		for _, r := range qcs {
			var qc routing.QuickConnect
			if err := json.Unmarshal(r.Body, &qc); err != nil {
				return fmt.Errorf("decode quick connect %s: %w", r.ID, err)
			}
			c := qc.Config
			if (c.UserConfig != nil && c.UserConfig.ContactFlowID == id) || (c.QueueConfig != nil && c.QueueConfig.ContactFlowID == id) {
				return fault.Errorf(fault.InUse, "Contact flow %s is used by quick connect %s (%s)", id, r.Name, r.ID)
			}
		}
		if err := tx.DeleteContactFlow(instanceID, id); errors.Is(err, store.ErrNotFound) {
			return flowNotFound(id)
		} else if err != nil {
			return fmt.Errorf("delete contact flow %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete contact flow: %w", err)
	}
	return nil
}

// ---- functions ----

// Function is an HTTPS endpoint an instance registered for the flow action
// InvokeLambdaFunction: flows name it by ARN (or name), and Parley calls
// URL, signing each request with Secret.
type Function struct {
	ARN    string
	URL    string
	Secret string // empty in ListFunctions
	// CreatedAt is when the ARN was first registered.
	CreatedAt time.Time
}

// functionBody is a function's stored resource body.
type functionBody struct {
	FunctionArn   string
	URL           string `json:"Url"`
	SigningSecret string
	CreatedAt     time.Time
}

func (b functionBody) function() Function {
	return Function{ARN: b.FunctionArn, URL: b.URL, Secret: b.SigningSecret, CreatedAt: b.CreatedAt}
}

func decodeFunction(r store.Resource) (Function, error) {
	var b functionBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return Function{}, fmt.Errorf("decode function %s: %w", r.ID, err)
	}
	if b.FunctionArn == "" {
		b.FunctionArn = r.Name
	}
	return b.function(), nil
}

func checkFunctionName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > maxFunctionNameChars {
		return invalidParam("FunctionArn must be 1 to %d characters", maxFunctionNameChars)
	}
	if strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return invalidParam("FunctionArn must not contain whitespace")
	}
	return nil
}

// RegisterFunction registers (or, for an ARN already registered, points
// to a new URL) the endpoint flows reach as functionARN. The URL must be
// https, or http to localhost or a loopback address, without user
// information. A new function gets a fresh signing secret; a registered
// one keeps its secret unless rotate is set. The result includes the
// secret.
func (s *Service) RegisterFunction(ctx context.Context, instanceID, functionARN, url string, rotate bool) (Function, error) {
	if err := checkFunctionName(functionARN); err != nil {
		return Function{}, err
	}
	if err := webhook.CheckURL(url); err != nil {
		return Function{}, invalidParam("Url: %s", err.Error())
	}
	secret := webhook.NewSecret() // outside the write, which may be retried
	var out Function
	err := s.store.Write(ctx, func(tx store.Tx) error {
		now := s.clock()
		r := store.Resource{InstanceID: instanceID, Kind: store.KindFunction, ID: uuid.NewString(), Name: functionARN, CreatedAt: now, UpdatedAt: now}
		b := functionBody{FunctionArn: functionARN, URL: url, SigningSecret: secret, CreatedAt: now}
		old, err := tx.GetResourceByName(instanceID, store.KindFunction, functionARN)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("get function %s: %w", functionARN, err)
		default:
			prev, err := decodeFunction(old)
			if err != nil {
				return err
			}
			r.ID, r.CreatedAt, b.CreatedAt = old.ID, old.CreatedAt, prev.CreatedAt
			if !rotate && prev.Secret != "" {
				b.SigningSecret = prev.Secret
			}
		}
		if r.Body, err = json.Marshal(b); err != nil {
			return fmt.Errorf("encode function %s: %w", functionARN, err)
		}
		if err := tx.PutResource(r); err != nil {
			return fmt.Errorf("put function %s: %w", functionARN, err)
		}
		out = b.function()
		return nil
	})
	if err != nil {
		return Function{}, fmt.Errorf("register function: %w", err)
	}
	return out, nil
}

// ListFunctions returns an instance's functions by ARN, without their
// secrets.
func (s *Service) ListFunctions(ctx context.Context, instanceID string) ([]Function, error) {
	rs, err := s.store.ListResources(ctx, instanceID, store.KindFunction)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	out := make([]Function, 0, len(rs))
	for _, r := range rs {
		f, err := decodeFunction(r)
		if err != nil {
			return nil, err
		}
		f.Secret = ""
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Function) int { return strings.Compare(a.ARN, b.ARN) })
	return out, nil
}

// DeleteFunction removes a registered function (NotFound if missing).
// Flows that still name it fail their InvokeLambdaFunction.
func (s *Service) DeleteFunction(ctx context.Context, instanceID, functionARN string) error {
	err := s.store.Write(ctx, func(tx store.Tx) error {
		r, err := tx.GetResourceByName(instanceID, store.KindFunction, functionARN)
		if errors.Is(err, store.ErrNotFound) || functionARN == "" {
			return fault.NotFoundf("FUNCTION", functionARN, "Function %s not found", functionARN)
		} else if err != nil {
			return fmt.Errorf("get function %s: %w", functionARN, err)
		}
		if err := tx.DeleteResource(instanceID, store.KindFunction, r.ID); err != nil {
			return fmt.Errorf("delete function %s: %w", functionARN, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete function: %w", err)
	}
	return nil
}

// lambdaName returns the function name part of a Lambda function ARN
// (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>]) or of a
// "<name>[:<alias>]" reference.
func lambdaName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) >= 7 && parts[5] == "function" {
			return parts[6]
		}
		return ref
	}
	name, _, _ := strings.Cut(ref, ":")
	return name
}

// LookupFunction finds the function a flow's InvokeLambdaFunction names,
// inside tx: a function registered under exactly that name first, else
// one whose Lambda function name (the name part of an ARN) is the same as
// name's. ok is false when none matches.
func (s *Service) LookupFunction(tx store.Tx, instanceID, name string) (Function, bool, error) {
	if name == "" {
		return Function{}, false, nil
	}
	r, err := tx.GetResourceByName(instanceID, store.KindFunction, name)
	switch {
	case err == nil:
		f, err := decodeFunction(r)
		return f, err == nil, err
	case !errors.Is(err, store.ErrNotFound):
		return Function{}, false, fmt.Errorf("get function %s: %w", name, err)
	}
	want := lambdaName(name)
	rs, err := tx.ListResources(instanceID, store.KindFunction)
	if err != nil {
		return Function{}, false, fmt.Errorf("list functions: %w", err)
	}
	for _, r := range rs {
		if r.Name == want || lambdaName(r.Name) == want {
			f, err := decodeFunction(r)
			return f, err == nil, err
		}
	}
	return Function{}, false, nil
}

// ---- flow logs ----

// FlowLogs returns up to limit (0: DefaultFlowLogPage; at most
// MaxFlowLogPage) flow-log records of a contact of instanceID after the
// record afterID, oldest first.
func (s *Service) FlowLogs(ctx context.Context, instanceID, contactID string, afterID int64, limit int) ([]store.FlowLog, error) {
	if limit == 0 {
		limit = DefaultFlowLogPage
	}
	if limit < 1 || limit > MaxFlowLogPage {
		return nil, invalidParam("MaxResults must be 1 to %d", MaxFlowLogPage)
	}
	if afterID < 0 {
		return nil, invalidParam("the log ID to read after must not be negative")
	}
	if _, err := s.store.GetContact(ctx, instanceID, contactID); errors.Is(err, store.ErrNotFound) || contactID == "" {
		return nil, fault.NotFoundf("CONTACT", contactID, "Contact %s not found", contactID)
	} else if err != nil {
		return nil, fmt.Errorf("get contact %s: %w", contactID, err)
	}
	logs, err := s.store.ListFlowLogs(ctx, instanceID, contactID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list flow logs of %s: %w", contactID, err)
	}
	return logs, nil
}
