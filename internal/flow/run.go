package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
)

// Phases of a contact's flow run: which flow the contact is in, which
// decides what ending that flow means.
const (
	phaseInbound    = "inbound"    // the inbound flow, or a flow it transferred to
	phaseQueue      = "queue"      // the customer queue flow, while the contact waits
	phaseDisconnect = "disconnect" // the disconnect flow, after the agent left
)

// Pause kinds.
const (
	pauseWait   = "wait"   // a Wait block: for time, or the customer's return
	pauseInvoke = "invoke" // an external call, made after the commit
	pauseBot    = "bot"    // a bot conversation (ConnectParticipantWithLexBot)
)

// maxSteps bounds the blocks one event may run, so a flow that loops
// without pausing (which the validator rejects, but a dynamic Loop count
// can still make long) cannot hold a contact forever.
const maxSteps = 1000

// ReasonFlowDisconnect is the disconnect reason of a contact a flow ended.
const ReasonFlowDisconnect = "CONTACT_FLOW_DISCONNECT"

// runState is a contact's flow state, stored as JSON (store.FlowRun).
type runState struct {
	// Flow is the flow the contact is in (zero: none is running).
	Flow  flowRef `json:"flow"`
	Phase string  `json:"phase,omitempty"`
	// Action and Pause say where the flow waits; Gen tells a stale
	// wake-up (an old timer, a late call) from the current one.
	Action string `json:"action,omitempty"`
	Pause  *pause `json:"pause,omitempty"`
	Gen    int    `json:"gen"`

	// Flow data that lasts for the contact.
	Target           target            `json:"target"`
	Hooks            map[string]string `json:"hooks,omitempty"`
	LoggingOff       bool              `json:"loggingOff,omitempty"`
	Loops            map[string]int    `json:"loops,omitempty"`
	External         map[string]any    `json:"external,omitempty"`
	Metrics          map[string]any    `json:"metrics,omitempty"`
	Lex              map[string]any    `json:"lex,omitempty"`
	Data             map[string]string `json:"data,omitempty"` // LanguageCode, Name, Description
	Tags             map[string]string `json:"tags,omitempty"`
	Priority         int               `json:"priority,omitempty"`
	AgeSeconds       int               `json:"ageSeconds,omitempty"`
	InitiationMethod string            `json:"initiationMethod,omitempty"`
}

// flowRef names one published version of a flow.
type flowRef struct {
	ID      string `json:"id,omitempty"`
	Version int    `json:"version,omitempty"`
	Type    string `json:"type,omitempty"`
	Name    string `json:"name,omitempty"`
}

// pause is what a paused flow waits for.
type pause struct {
	Kind   string    `json:"kind"`
	Due    time.Time `json:"due"`
	Events []string  `json:"events,omitempty"`
}

// target is the working queue: a standard queue, or an agent's queue.
type target struct {
	QueueID string `json:"queueId,omitempty"`
	UserID  string `json:"userId,omitempty"`
}

// outcome is what one block did.
type outcome struct {
	result    string // compared with the conditions
	hasResult bool
	errType   string // the error branch to take ("" on success)
	errMsg    string // why, for the flow log
	stop      bool   // the flow ends here (terminal, or a transfer that left it)
	pause     *pause // the flow waits here
	jump      *jump  // TransferToFlow
	// params are the resolved parameters, for the flow log.
	params map[string]any
}

// jump is a TransferToFlow: the flow continues in another flow.
type jump struct {
	ref  flowRef
	flow *Flow
}

func failed(errType, format string, args ...any) outcome {
	return outcome{errType: errType, errMsg: fmt.Sprintf(format, args...)}
}

// exec runs blocks of one flow on one locked contact, in one transaction.
type exec struct {
	s   *Service
	cx  *chat.Tx
	st  *runState
	now time.Time

	ref  flowRef
	flow *Flow

	// whisper is the party a whisper flow speaks to ("" outside whispers).
	whisper string
	agent   *routing.AgentForFlow

	steps int
	logs  []store.FlowLog
	// invoke is the external call to make once the transaction commits.
	invoke *invocation
	// enqueued says TransferContactToQueue queued the contact.
	enqueued bool
}

// runFrom runs the flow from action id (resuming a paused block with res
// when res is not nil) until it pauses or ends. It reports whether the
// flow ended.
func (x *exec) runFrom(id string, res *outcome) (ended bool, err error) {
	for id != "" {
		a := x.flow.Action(id)
		if a == nil {
			x.logError(id, "", "the flow has no action "+strconv.Quote(id))
			return true, nil
		}
		x.steps++
		if x.steps > maxSteps {
			x.logError(a.Identifier, a.Type, fmt.Sprintf("the flow ran %d blocks without waiting; it was stopped", maxSteps))
			return true, nil
		}
		var out outcome
		if res != nil {
			out, res = *res, nil
		} else {
			out, err = x.execute(a)
			if err != nil {
				return false, fmt.Errorf("flow %s action %s: %w", x.ref.ID, a.Identifier, err)
			}
		}
		if out.pause != nil {
			x.log(a, out, "")
			x.st.Action, x.st.Pause = a.Identifier, out.pause
			x.st.Gen++
			return false, nil
		}
		if out.jump != nil {
			x.log(a, out, out.jump.flow.StartAction)
			x.ref, x.flow = out.jump.ref, out.jump.flow
			if x.whisper == "" {
				x.st.Flow = x.ref
			}
			id = x.flow.StartAction
			continue
		}
		if out.stop && out.errType == "" {
			x.log(a, out, "")
			return true, nil
		}
		next := branch(a, out)
		x.log(a, out, next)
		id = next
	}
	return true, nil
}

// branch picks the action after a, as the flow language says: an error
// takes its error branch (else NoMatchingError's), a result the first
// condition it satisfies (else NoMatchingCondition's), else NextAction.
func branch(a *Action, out outcome) string {
	t := &a.Transitions
	if out.errType != "" {
		if next := errorBranch(t, out.errType); next != "" {
			return next
		}
		if next := errorBranch(t, NoMatchingError); next != "" {
			return next
		}
		if out.stop {
			return "" // a transfer that failed with no error branch ends the flow
		}
		return t.NextAction // older exports have no error branches: carry on
	}
	if out.hasResult && len(t.Conditions) > 0 {
		for _, c := range t.Conditions {
			if holds(c.Condition, out.result) {
				return c.NextAction
			}
		}
		if next := errorBranch(t, NoMatchingCondition); next != "" {
			return next
		}
	}
	return t.NextAction
}

func errorBranch(t *Transitions, errType string) string {
	for _, e := range t.Errors {
		if e.ErrorType == errType {
			return e.NextAction
		}
	}
	return ""
}

// holds evaluates one condition against a block's result.
func holds(c Condition, result string) bool {
	if len(c.Operands) == 0 {
		return false
	}
	op := c.Operands[0]
	switch c.Operator {
	case "Equals":
		return result == op
	case "TextStartsWith":
		return strings.HasPrefix(result, op)
	case "TextEndsWith":
		return strings.HasSuffix(result, op)
	case "TextContains":
		return strings.Contains(result, op)
	case "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo":
		a, ok1 := number(result)
		b, ok2 := number(op)
		if !ok1 || !ok2 {
			return false
		}
		switch c.Operator {
		case "NumberGreaterThan":
			return a > b
		case "NumberGreaterOrEqualTo":
			return a >= b
		case "NumberLessThan":
			return a < b
		default:
			return a <= b
		}
	}
	return false
}

// number parses a numeric operand. ParseFloat also reads "Inf",
// "Infinity" and "NaN", which are words, not numbers, to a flow: with them
// a Number operator is false, as with any other text.
func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// logRecord is one flow-log record, in Connect's shape plus the fields
// newer records carry.
type logRecord struct {
	ContactID             string         `json:"ContactId"`
	ContactFlowID         string         `json:"ContactFlowId"`
	ContactFlowName       string         `json:"ContactFlowName,omitempty"`
	ContactFlowVersion    int            `json:"ContactFlowVersion,omitempty"`
	ContactFlowModuleType string         `json:"ContactFlowModuleType"`
	Identifier            string         `json:"Identifier,omitempty"`
	Timestamp             string         `json:"Timestamp"`
	Parameters            map[string]any `json:"Parameters,omitempty"`
	Results               string         `json:"Results,omitempty"`
	ExternalResults       map[string]any `json:"ExternalResults,omitempty"`
	Error                 string         `json:"Error,omitempty"`
	ErrorType             string         `json:"ErrorType,omitempty"`
	NextAction            string         `json:"NextAction,omitempty"`
	Whisper               string         `json:"Whisper,omitempty"`
}

// moduleTypes are the flow-log names of blocks whose internal name
// differs from the action type.
var moduleTypes = map[string]string{
	"UpdateContactTargetQueue": "SetQueue",
}

func (x *exec) log(a *Action, out outcome, next string) {
	if x.st.LoggingOff && a.Type != "UpdateFlowLoggingBehavior" {
		return
	}
	mt := moduleTypes[a.Type]
	if mt == "" {
		mt = a.Type
	}
	rec := logRecord{
		ContactFlowModuleType: mt, Identifier: a.Identifier, Parameters: out.params,
		Error: out.errMsg, ErrorType: out.errType, NextAction: next, Whisper: x.whisper,
	}
	if out.hasResult {
		rec.Results = out.result
	}
	if a.Type == "InvokeLambdaFunction" && out.errType == "" && out.pause == nil {
		rec.ExternalResults = x.st.External
	}
	x.append(rec)
}

func (x *exec) logError(id, actionType, msg string) {
	x.append(logRecord{ContactFlowModuleType: actionType, Identifier: id, Error: msg})
}

func (x *exec) append(rec logRecord) {
	c := x.cx.Contact
	rec.ContactID = c.ID
	rec.ContactFlowID = x.s.arn(c.InstanceID, "contact-flow", x.ref.ID)
	rec.ContactFlowName, rec.ContactFlowVersion = x.ref.Name, x.ref.Version
	rec.Timestamp = x.now.UTC().Format("2006-01-02T15:04:05.000Z")
	raw, err := json.Marshal(rec)
	if err != nil {
		return // every field marshals
	}
	x.logs = append(x.logs, store.FlowLog{InstanceID: c.InstanceID, ContactID: c.ID, At: x.now, Record: raw})
}

// arn is the ARN of an instance's resource, as flows and logs show it.
func (s *Service) arn(instanceID, kind, id string) string {
	if kind == "" {
		return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", s.region, s.account, instanceID)
	}
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", s.region, s.account, instanceID, kind, id)
}
