package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Version is the only flow-language version that exists.
const Version = "2019-10-30"

// Document limits from the Connect API.
const (
	MaxContentChars = 256000 // Content is a string of 1–256000 characters
	MaxActions      = 250    // actions per flow
)

// ErrInvalidContent is wrapped by every error Parse returns: the content is
// not a flow document at all, so no per-action problems can be listed.
var ErrInvalidContent = errors.New("invalid flow content")

// Flow is a parsed flow-language document.
type Flow struct {
	// Version is always "2019-10-30" in a parsed flow.
	Version string
	// StartAction is the Identifier of the first action.
	StartAction string
	// Metadata is the designer's layout, kept byte for byte and never
	// interpreted; nil when the document had none.
	Metadata json.RawMessage
	// Actions are the flow's steps in document order (which has no meaning).
	Actions []*Action
	// Extra holds top-level fields the model does not know (Settings, …),
	// kept verbatim so the document round-trips.
	Extra map[string]json.RawMessage
}

// Action is one step of a flow.
type Action struct {
	// Identifier names the action within its flow.
	Identifier string
	// Type is the action type, e.g. "MessageParticipant".
	Type string
	// Parameters is the action's parameter object, kept verbatim.
	Parameters json.RawMessage
	// Transitions says where the flow goes after the action.
	Transitions Transitions
	// Extra holds fields of the action object the model does not know.
	Extra map[string]json.RawMessage

	params map[string]json.RawMessage
}

// Transitions are an action's outgoing branches.
type Transitions struct {
	// NextAction is the default branch.
	NextAction string `json:"NextAction,omitempty"`
	// Errors are branches taken when the action fails with ErrorType.
	Errors []ErrorBranch `json:"Errors,omitempty"`
	// Conditions are branches taken when the action's result matches.
	Conditions []ConditionBranch `json:"Conditions,omitempty"`
}

// ErrorBranch is the branch taken on one error type.
type ErrorBranch struct {
	// NextAction is the action the branch leads to.
	NextAction string `json:"NextAction"`
	// ErrorType is the error that takes the branch, e.g. "NoMatchingError".
	ErrorType string `json:"ErrorType"`
}

// ConditionBranch is the branch taken when Condition holds for the result.
type ConditionBranch struct {
	// NextAction is the action the branch leads to.
	NextAction string `json:"NextAction"`
	// Condition is what the result must satisfy.
	Condition Condition `json:"Condition"`
}

// Condition compares an action's result with static operands.
type Condition struct {
	// Operator is one of Operators, e.g. "Equals".
	Operator string `json:"Operator"`
	// Operands are the static values compared with; every operator takes one.
	Operands []string `json:"Operands"`
}

// Parse reads a flow document. It rejects content that is not a flow at
// all: a size outside 1–256000 characters, invalid JSON, a Version other
// than "2019-10-30", fields of the wrong JSON type, more than 250 actions.
// Everything else (dangling branches, bad parameters, …) is left to
// Validate so that all such problems are reported together.
func Parse(content []byte) (*Flow, error) {
	if !utf8.Valid(content) {
		return nil, fmt.Errorf("%w: content is not valid UTF-8", ErrInvalidContent)
	}
	if n := utf8.RuneCount(content); n < 1 || n > MaxContentChars {
		return nil, fmt.Errorf("%w: content has %d characters, want 1 to %d", ErrInvalidContent, n, MaxContentChars)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(content, &top); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidContent, err)
	}
	if top == nil {
		return nil, fmt.Errorf("%w: content is not a JSON object", ErrInvalidContent)
	}
	f := &Flow{}
	for k, v := range top {
		var err error
		switch k {
		case "Version":
			err = decodeString(v, &f.Version)
		case "StartAction":
			err = decodeString(v, &f.StartAction)
		case "Metadata":
			if !isNull(v) && firstByte(v) != '{' {
				err = errors.New("want an object")
			}
			f.Metadata = v
		case "Actions":
			f.Actions, err = decodeActions(v)
		default:
			if f.Extra == nil {
				f.Extra = make(map[string]json.RawMessage)
			}
			f.Extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidContent, k, err)
		}
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%w: Version is %q, want %q", ErrInvalidContent, f.Version, Version)
	}
	if len(f.Actions) > MaxActions {
		return nil, fmt.Errorf("%w: %d actions, at most %d allowed", ErrInvalidContent, len(f.Actions), MaxActions)
	}
	return f, nil
}

func decodeActions(raw json.RawMessage) ([]*Action, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("want an array")
	}
	actions := make([]*Action, 0, len(items))
	for i, item := range items {
		a, err := decodeAction(item)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		actions = append(actions, a)
	}
	return actions, nil
}

func decodeAction(raw json.RawMessage) (*Action, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, errors.New("want an object")
	}
	a := &Action{}
	for k, v := range fields {
		var err error
		switch k {
		case "Identifier":
			err = decodeString(v, &a.Identifier)
		case "Type":
			err = decodeString(v, &a.Type)
		case "Parameters":
			if isNull(v) {
				break
			}
			if err = json.Unmarshal(v, &a.params); err != nil || a.params == nil {
				err = errors.New("want an object")
			}
			a.Parameters = v
		case "Transitions":
			if isNull(v) {
				break
			}
			if firstByte(v) != '{' {
				err = errors.New("want an object")
				break
			}
			if err = json.Unmarshal(v, &a.Transitions); err != nil {
				err = fmt.Errorf("want NextAction, Errors and Conditions of the documented shape: %w", err)
			}
		default:
			if a.Extra == nil {
				a.Extra = make(map[string]json.RawMessage)
			}
			a.Extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return a, nil
}

func decodeString(raw json.RawMessage, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return errors.New("want a string")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// Content serialises the flow. Metadata, Parameters and unknown fields are
// written byte for byte as they were parsed; the rest is re-encoded, so
// whitespace may differ from the original but the meaning does not.
func (f *Flow) Content() []byte {
	var b bytes.Buffer
	b.WriteString(`{"Version":`)
	writeJSON(&b, f.Version)
	b.WriteString(`,"StartAction":`)
	writeJSON(&b, f.StartAction)
	if f.Metadata != nil {
		b.WriteString(`,"Metadata":`)
		b.Write(f.Metadata)
	}
	b.WriteString(`,"Actions":[`)
	for i, a := range f.Actions {
		if i > 0 {
			b.WriteByte(',')
		}
		a.writeTo(&b)
	}
	b.WriteByte(']')
	writeExtra(&b, f.Extra)
	b.WriteByte('}')
	return b.Bytes()
}

func (a *Action) writeTo(b *bytes.Buffer) {
	b.WriteString(`{"Identifier":`)
	writeJSON(b, a.Identifier)
	b.WriteString(`,"Type":`)
	writeJSON(b, a.Type)
	b.WriteString(`,"Parameters":`)
	if a.Parameters != nil {
		b.Write(a.Parameters)
	} else {
		b.WriteString("{}")
	}
	b.WriteString(`,"Transitions":`)
	writeJSON(b, a.Transitions)
	writeExtra(b, a.Extra)
	b.WriteByte('}')
}

func writeExtra(b *bytes.Buffer, extra map[string]json.RawMessage) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSON(b, k)
		b.WriteByte(':')
		b.Write(extra[k])
	}
}

// writeJSON encodes v without HTML escaping, so text such as "<b>" stays as
// the author wrote it. The values written here cannot fail to encode.
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// Action returns the action with the given Identifier, or nil.
func (f *Flow) Action(id string) *Action {
	for _, a := range f.Actions {
		if a.Identifier == id {
			return a
		}
	}
	return nil
}

// Param returns the raw JSON of one parameter.
func (a *Action) Param(name string) (json.RawMessage, bool) {
	v, ok := a.params[name]
	return v, ok
}

// ParamNames returns the names of the action's parameters, sorted.
func (a *Action) ParamNames() []string {
	names := make([]string, 0, len(a.params))
	for k := range a.params {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ParamString returns a scalar parameter as a string. Flows usually write
// scalars as strings ("900", "True"); JSON numbers and booleans are
// accepted too and returned in their JSON spelling.
func (a *Action) ParamString(name string) (string, bool) {
	v, ok := a.params[name]
	if !ok {
		return "", false
	}
	return scalarString(v)
}

// ParamObject returns an object parameter's members.
func (a *Action) ParamObject(name string) (map[string]json.RawMessage, bool) {
	v, ok := a.params[name]
	if !ok {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// ParamStringMap returns an object parameter whose values are all scalars,
// such as UpdateContactAttributes' Attributes.
func (a *Action) ParamStringMap(name string) (map[string]string, bool) {
	obj, ok := a.ParamObject(name)
	if !ok {
		return nil, false
	}
	m := make(map[string]string, len(obj))
	for k, v := range obj {
		s, ok := scalarString(v)
		if !ok {
			return nil, false
		}
		m[k] = s
	}
	return m, true
}

// ParamStrings returns an array-of-strings parameter, such as Wait's Events.
func (a *Action) ParamStrings(name string) ([]string, bool) {
	v, ok := a.params[name]
	if !ok {
		return nil, false
	}
	var s []string
	if err := json.Unmarshal(v, &s); err != nil || s == nil {
		return nil, false
	}
	return s, true
}

func scalarString(v json.RawMessage) (string, bool) {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return "", false
	}
	switch x := x.(type) {
	case string:
		return x, true
	case float64, bool:
		return string(bytes.TrimSpace(v)), true
	}
	return "", false
}
