package flow

// Kind is the JSON shape a parameter must have.
type Kind int

// Parameter kinds.
const (
	KindAny        Kind = iota // not checked (parameter names Connect does not document)
	KindScalar                 // a string; JSON numbers and booleans are accepted too
	KindObject                 // any JSON object
	KindStringMap              // an object whose values are all scalars
	KindStringList             // an array of strings
	KindObjectList             // an array of objects
)

// Class says where a string parameter may use flow data ($. references).
type Class int

// Value classes, as the spec's S, J and D.
const (
	Dynamic      Class = iota // static text with embedded references: anything goes
	Static                    // no $. reference allowed
	StaticOrPath              // static, or the whole value one reference
	PathOnly                  // the whole value must be one reference
)

// RefKind is the kind of resource a static parameter value names.
type RefKind int

// Reference kinds the chat actions use.
const (
	NoRef RefKind = iota
	QueueRef
	FlowRef
	HoursRef
	UserRef
)

// Param declares one parameter of an action type.
type Param struct {
	// Name is the parameter's key in Parameters.
	Name string
	// Kind is the JSON shape the value must have.
	Kind Kind
	// Class says where the value may use flow data.
	Class Class
	// Required parameters must be present.
	Required bool
	// Enum, when set, lists the only values a static scalar (or every
	// element of a string list, or every key of an object) may take.
	Enum []string
	// Int, when set, makes a static scalar an integer in [Min, Max].
	Int bool
	// Min and Max bound an Int parameter.
	Min, Max int64
	// MaxLen bounds a static scalar's length in characters (0: no bound).
	MaxLen int
	// MinEntries and MaxEntries bound an object's member count (0: no bound).
	MinEntries, MaxEntries int
	// KeyMaxLen and ValueMaxLen bound a string map's keys and values.
	KeyMaxLen, ValueMaxLen int
	// KeyForbiddenPrefix is a prefix no key of a string map may have.
	KeyForbiddenPrefix string
	// Ref is the resource a static value names (for objects: each member value).
	Ref RefKind
}

// ConditionRule is how an action's Conditions are checked.
type ConditionRule int

// Condition rules.
const (
	NoConditions     ConditionRule = iota // the action has no result
	AnyConditions                         // any of the eight operators, one operand each
	ResultConditions                      // Equals only, operands from the action's result set
	EqualsConditions                      // Equals only, any operand (bot intents)
	CustomConditions                      // checked by the definition's Check hook
)

// ChatSupport is what an action does on a chat contact.
type ChatSupport int

// Chat support levels.
const (
	ChatSupported   ChatSupport = iota // the action works on chat
	ChatErrorBranch                    // accepted, but on chat it takes its Error branch
	ChatIgnored                        // accepted, no effect on chat
)

// Def declares one action type: what it takes, where it may go, and where
// it may be used. The validator reads these tables; the rules that do not
// fit in data are in Check.
type Def struct {
	// Type is the action type, e.g. "Wait".
	Type string
	// Params are the parameters the validator checks.
	Params []Param
	// ExactlyOne lists groups of parameters of which exactly one must be present.
	ExactlyOne [][]string
	// AtMostOne lists groups of parameters of which at most one may be present.
	AtMostOne [][]string
	// Errors are the error types the action raises.
	Errors []string
	// Conditions is how Transitions.Conditions are checked.
	Conditions ConditionRule
	// Results are the results a ResultConditions action returns; each
	// needs a condition when RequireAllResults is set.
	Results           []string
	RequireAllResults bool
	// ResultsFromParam names a string-list parameter whose values are
	// further results, each requiring its condition (Wait's Events).
	ResultsFromParam string
	// Terminal actions end the flow and must have empty Transitions.
	Terminal bool
	// EndsOnSuccess actions end this flow when they succeed (transfers);
	// they only branch on errors.
	EndsOnSuccess bool
	// NeedsNext actions continue through NextAction on success, so it is required.
	NeedsNext bool
	// Pauses actions make the contact wait (for time or for input), so a
	// loop through them is not a busy loop.
	Pauses bool
	// Allowed, when set, lists the only flow types the action may appear in.
	Allowed []string
	// Denied lists flow types the action may not appear in.
	Denied []string
	// Chat is what the action does on chat.
	Chat ChatSupport
	// Unsupported, when set, rejects the action with this reason.
	Unsupported string
	// Check runs the action's rules that the tables cannot express.
	Check func(a *Action, r *report)
}

// Flow types (ContactFlowType).
const (
	ContactFlow     = "CONTACT_FLOW"
	CustomerQueue   = "CUSTOMER_QUEUE"
	CustomerHold    = "CUSTOMER_HOLD"
	CustomerWhisper = "CUSTOMER_WHISPER"
	AgentHold       = "AGENT_HOLD"
	AgentWhisper    = "AGENT_WHISPER"
	OutboundWhisper = "OUTBOUND_WHISPER"
	AgentTransfer   = "AGENT_TRANSFER"
	QueueTransfer   = "QUEUE_TRANSFER"
	Campaign        = "CAMPAIGN"
)

// FlowTypes lists every ContactFlowType.
var FlowTypes = []string{ContactFlow, CustomerQueue, CustomerHold, CustomerWhisper, AgentHold,
	AgentWhisper, OutboundWhisper, AgentTransfer, QueueTransfer, Campaign}

// Flow-type groups the spec's restrictions are written in.
var (
	holdFlows     = []string{CustomerHold, AgentHold}
	whisperFlows  = []string{CustomerWhisper, AgentWhisper, OutboundWhisper}
	inboundAndXfr = []string{ContactFlow, AgentTransfer, QueueTransfer}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Common error types.
const (
	NoMatchingError     = "NoMatchingError"
	NoMatchingCondition = "NoMatchingCondition"
)

// Prompt parameters shared by the participant actions.
var promptParams = []Param{
	{Name: "Text", Kind: KindScalar, Class: Dynamic, MaxLen: 6000},
	{Name: "PromptId", Kind: KindScalar, Class: StaticOrPath},
	{Name: "SSML", Kind: KindScalar, Class: Dynamic},
	{Name: "Media", Kind: KindObject},
}

var promptNames = []string{"Text", "PromptId", "SSML", "Media"}

// defs is every action type, built from the family tables.
var defs = func() map[string]*Def {
	m := make(map[string]*Def)
	for _, family := range [][]*Def{participantDefs, contactDefs, controlDefs, integrationDefs, voiceDefs} {
		for _, d := range family {
			m[d.Type] = d
		}
	}
	return m
}()

// Lookup returns the definition of an action type, or nil if the type is unknown.
func Lookup(actionType string) *Def { return defs[actionType] }

func (d *Def) allowedIn(flowType string) bool {
	if d.Allowed != nil && !contains(d.Allowed, flowType) {
		return false
	}
	return !contains(d.Denied, flowType)
}

func (d *Def) param(name string) *Param {
	for i := range d.Params {
		if d.Params[i].Name == name {
			return &d.Params[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
