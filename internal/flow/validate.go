package flow

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Resolver tells the validator whether the resources a flow names exist
// in the flow's instance. IDs are bare IDs: the validator passes the last
// path element of an ARN. Callers load what they need before validating,
// so the methods do no I/O of their own and cannot fail.
type Resolver interface {
	// QueueExists reports whether a queue with this ID exists.
	QueueExists(id string) bool
	// FlowExists reports whether a flow with this ID exists.
	FlowExists(id string) bool
	// HoursExists reports whether hours of operation with this ID exist.
	HoursExists(id string) bool
	// UserExists reports whether a user (an agent, for agent queues) with this ID exists.
	UserExists(id string) bool
}

// MaxIdentifierChars is the longest action Identifier.
const MaxIdentifierChars = 50

// reservedIdentifiers are names the API doc forbids as Identifiers.
var reservedIdentifiers = []string{"__proto__", "constructor", "__defineGetter__", "__defineSetter__",
	"toString", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "valueOf"}

const forbiddenIdentifierChars = `%:(\/)=$,;[]{}`

// pathToken is a whole-value flow-data reference such as $.Attributes.tier.
var pathToken = regexp.MustCompile(`^\$\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$`)

// Validate checks a parsed flow for publishing as flowType (a
// ContactFlowType) and returns every problem it finds, errors and
// warnings, in document order with flow-level graph problems last. refs
// may be nil, which skips the reference checks.
func Validate(f *Flow, flowType string, refs Resolver) []Problem {
	r := &report{}
	typeKnown := contains(FlowTypes, flowType)
	if !typeKnown {
		r.add(CodeInvalidFlowType, "", "unknown flow type "+quote(flowType))
	}
	ids := make(map[string]int, len(f.Actions))
	for i, a := range f.Actions {
		r.at(i, a.Identifier)
		checkIdentifier(a.Identifier, r)
		if _, dup := ids[a.Identifier]; dup {
			r.add(CodeDuplicateIdentifier, "Identifier", "Identifier "+quote(a.Identifier)+" is used by more than one action")
			continue
		}
		ids[a.Identifier] = i
	}
	r.at(0, "")
	r.base = ""
	start, startOK := ids[f.StartAction]
	if !startOK {
		r.add(CodeMissingStartAction, "StartAction", "StartAction "+quote(f.StartAction)+" names no action")
	}
	for i, a := range f.Actions {
		r.at(i, a.Identifier)
		checkTargets(a, ids, r)
		d := Lookup(a.Type)
		switch {
		case d == nil:
			r.add(CodeUnknownActionType, "Type", "unknown action type "+quote(a.Type))
			continue
		case d.Unsupported != "":
			r.add(CodeUnsupportedAction, "Type", a.Type+": "+d.Unsupported)
			continue
		}
		if typeKnown && !d.allowedIn(flowType) {
			r.add(CodeActionNotAllowed, "Type", a.Type+" is not allowed in a "+flowType+" flow")
		}
		if d.Chat == ChatErrorBranch {
			r.warn(CodeUnsupportedOnChat, "Type", a.Type+" is not supported on chat; it takes its Error branch")
		}
		checkParams(d, a, refs, r)
		checkTransitions(d, a, r)
		if d.Check != nil {
			d.Check(a, r)
		}
	}
	r.id, r.base = "", ""
	g := newGraph(f, ids)
	if startOK {
		g.unreachable(start, r)
	}
	g.cycles(flowType, r)
	return r.problems
}

func checkIdentifier(id string, r *report) {
	switch {
	case id == "":
		r.add(CodeInvalidIdentifier, "Identifier", "Identifier is empty")
	case utf8.RuneCountInString(id) > MaxIdentifierChars:
		r.add(CodeInvalidIdentifier, "Identifier", "Identifier is longer than "+strconv.Itoa(MaxIdentifierChars)+" characters")
	case strings.ContainsAny(id, forbiddenIdentifierChars):
		r.add(CodeInvalidIdentifier, "Identifier", "Identifier may not contain any of "+forbiddenIdentifierChars)
	case contains(reservedIdentifiers, id):
		r.add(CodeInvalidIdentifier, "Identifier", "Identifier "+quote(id)+" is a reserved name")
	}
}

// checkTargets reports branches that lead nowhere.
func checkTargets(a *Action, ids map[string]int, r *report) {
	check := func(path, target string, required bool) {
		if target == "" {
			if required {
				r.add(CodeMissingNextAction, path, "Action is missing required property")
			}
			return
		}
		if _, ok := ids[target]; !ok {
			r.add(CodeDanglingNextAction, path, "NextAction "+quote(target)+" names no action")
		}
	}
	check("Transitions.NextAction", a.Transitions.NextAction, false)
	for i, e := range a.Transitions.Errors {
		check(errPath(i)+".NextAction", e.NextAction, true)
	}
	for i, c := range a.Transitions.Conditions {
		check(condPath(i)+".NextAction", c.NextAction, true)
	}
}

func checkParams(d *Def, a *Action, refs Resolver, r *report) {
	for i := range d.Params {
		p := &d.Params[i]
		raw, ok := a.Param(p.Name)
		if !ok {
			if p.Required {
				r.add(CodeMissingParameter, "Parameters."+p.Name, a.Type+" requires the parameter "+p.Name)
			}
			continue
		}
		checkParam(p, raw, "Parameters."+p.Name, refs, r)
	}
	for _, group := range d.ExactlyOne {
		switch n := countPresent(a, group); {
		case n == 0:
			r.add(CodeMissingParameter, "Parameters", a.Type+" requires one of "+strings.Join(group, ", "))
		case n > 1:
			r.add(CodeConflictingParams, "Parameters", a.Type+" takes only one of "+strings.Join(group, ", "))
		}
	}
	for _, group := range d.AtMostOne {
		if countPresent(a, group) > 1 {
			r.add(CodeConflictingParams, "Parameters", a.Type+" takes at most one of "+strings.Join(group, ", "))
		}
	}
}

func countPresent(a *Action, names []string) int {
	n := 0
	for _, name := range names {
		if _, ok := a.Param(name); ok {
			n++
		}
	}
	return n
}

func checkParam(p *Param, raw json.RawMessage, path string, refs Resolver, r *report) {
	switch p.Kind {
	case KindAny:
	case KindScalar:
		s, ok := scalarString(raw)
		if !ok {
			r.add(CodeParameterType, path, p.Name+" must be a string")
			return
		}
		checkScalar(p, s, path, refs, r)
	case KindObject:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || m == nil {
			r.add(CodeParameterType, path, p.Name+" must be an object")
		}
	case KindStringMap:
		checkStringMap(p, raw, path, refs, r)
	case KindStringList:
		var list []string
		if json.Unmarshal(raw, &list) != nil || list == nil {
			r.add(CodeParameterType, path, p.Name+" must be an array of strings")
			return
		}
		for i, s := range list {
			checkScalar(p, s, path+"["+strconv.Itoa(i)+"]", refs, r)
		}
	case KindObjectList:
		var list []map[string]json.RawMessage
		if json.Unmarshal(raw, &list) != nil || list == nil {
			r.add(CodeParameterType, path, p.Name+" must be an array of objects")
			return
		}
		for i, m := range list {
			if m == nil {
				r.add(CodeParameterType, path+"["+strconv.Itoa(i)+"]", p.Name+" must be an array of objects")
			}
		}
	}
}

func checkStringMap(p *Param, raw json.RawMessage, path string, refs Resolver, r *report) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		r.add(CodeParameterType, path, p.Name+" must be an object")
		return
	}
	if p.MinEntries > 0 && len(m) < p.MinEntries || p.MaxEntries > 0 && len(m) > p.MaxEntries {
		want := strconv.Itoa(p.MinEntries) + " to " + strconv.Itoa(p.MaxEntries)
		if p.MinEntries == p.MaxEntries {
			want = "exactly " + strconv.Itoa(p.MinEntries)
		}
		r.add(CodeParameterRange, path, p.Name+" has "+strconv.Itoa(len(m))+" entries, want "+want)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	// Keys are checked against Enum; values against the rest.
	value := *p
	value.Enum = nil
	for _, k := range keys {
		kpath := path + "." + k
		switch {
		case p.Enum != nil && !contains(p.Enum, k):
			r.add(CodeInvalidParameter, kpath, p.Name+" key "+quote(k)+" is not one of "+strings.Join(p.Enum, ", "))
		case p.KeyMaxLen > 0 && utf8.RuneCountInString(k) > p.KeyMaxLen:
			r.add(CodeParameterRange, kpath, p.Name+" key is longer than "+strconv.Itoa(p.KeyMaxLen)+" characters")
		case p.KeyForbiddenPrefix != "" && strings.HasPrefix(strings.ToLower(k), p.KeyForbiddenPrefix):
			r.add(CodeInvalidParameter, kpath, p.Name+" key may not start with "+quote(p.KeyForbiddenPrefix))
		case k == "":
			r.add(CodeInvalidParameter, kpath, p.Name+" key is empty")
		}
		s, ok := scalarString(m[k])
		if !ok {
			r.add(CodeParameterType, kpath, p.Name+" values must be strings")
			continue
		}
		if p.ValueMaxLen > 0 && utf8.RuneCountInString(s) > p.ValueMaxLen {
			r.add(CodeParameterRange, kpath, p.Name+" value is longer than "+strconv.Itoa(p.ValueMaxLen)+" characters")
		}
		checkScalar(&value, s, kpath, refs, r)
	}
}

// checkScalar checks a string value against its parameter's class, enum,
// range and reference. A flow-data reference is not checked further: its
// value is known only at run time.
func checkScalar(p *Param, s, path string, refs Resolver, r *report) {
	isPath := pathToken.MatchString(s)
	switch p.Class {
	case Static:
		if strings.Contains(s, "$.") {
			r.add(CodeDynamicNotAllowed, path, p.Name+" must be a static value")
			return
		}
	case StaticOrPath:
		if strings.Contains(s, "$.") && !isPath {
			r.add(CodeDynamicNotAllowed, path, p.Name+" must be a static value or a single reference such as $.Attributes.name")
			return
		}
	case PathOnly:
		if !isPath {
			r.add(CodeInvalidParameter, path, p.Name+" must be a single reference such as $.Attributes.name")
			return
		}
	}
	if isPath && p.Class != Dynamic {
		return
	}
	if p.Enum != nil && !contains(p.Enum, s) {
		r.add(CodeInvalidParameter, path, p.Name+" is "+quote(s)+", want one of "+strings.Join(p.Enum, ", "))
	}
	if p.Int {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil:
			r.add(CodeInvalidParameter, path, p.Name+" must be an integer, got "+quote(s))
		case n < p.Min || n > p.Max:
			r.add(CodeParameterRange, path, p.Name+" is "+strconv.FormatInt(n, 10)+", want "+
				strconv.FormatInt(p.Min, 10)+" to "+strconv.FormatInt(p.Max, 10))
		}
	}
	if p.MaxLen > 0 && utf8.RuneCountInString(s) > p.MaxLen {
		r.add(CodeParameterRange, path, p.Name+" is longer than "+strconv.Itoa(p.MaxLen)+" characters")
	}
	if p.Ref != NoRef {
		checkRef(p, s, path, refs, r)
	}
}

func checkRef(p *Param, s, path string, refs Resolver, r *report) {
	if strings.Contains(s, "$.") {
		return
	}
	id := s
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	if id == "" {
		r.add(CodeInvalidParameter, path, p.Name+" names no resource")
		return
	}
	if refs == nil {
		return
	}
	var ok bool
	var kind string
	switch p.Ref {
	case QueueRef:
		ok, kind = refs.QueueExists(id), "queue"
	case FlowRef:
		ok, kind = refs.FlowExists(id), "flow"
	case HoursRef:
		ok, kind = refs.HoursExists(id), "hours of operation"
	case UserRef:
		ok, kind = refs.UserExists(id), "user"
	}
	if !ok {
		r.add(CodeReferenceNotFound, path, kind+" "+quote(id)+" does not exist")
	}
}

func checkTransitions(d *Def, a *Action, r *report) {
	t := a.Transitions
	if d.Terminal {
		if t.NextAction != "" || len(t.Errors) > 0 || len(t.Conditions) > 0 {
			r.add(CodeTerminalTransitions, "Transitions", a.Type+" ends the flow; its Transitions must be empty")
		}
		return
	}
	if d.NeedsNext && t.NextAction == "" {
		r.add(CodeMissingNextAction, "Transitions.NextAction", "Action is missing required property")
	}
	seen := make(map[string]bool, len(t.Errors))
	for i, e := range t.Errors {
		switch {
		case seen[e.ErrorType]:
			r.add(CodeDuplicateErrorType, errPath(i)+".ErrorType", "error type "+quote(e.ErrorType)+" has more than one branch")
		case contains(d.Errors, e.ErrorType):
		case e.ErrorType == NoMatchingError && len(d.Errors) == 0:
			r.warn(CodeErrorBranchNeverUsed, errPath(i)+".ErrorType", a.Type+" raises no errors; this branch is never taken")
		default:
			r.add(CodeErrorTypeNotAllowed, errPath(i)+".ErrorType", a.Type+" does not raise "+quote(e.ErrorType))
		}
		seen[e.ErrorType] = true
	}
	switch d.Conditions {
	case NoConditions:
		for i := range t.Conditions {
			r.add(CodeConditionNotAllowed, condPath(i), a.Type+" has no result to compare")
		}
	case AnyConditions:
		for i, c := range t.Conditions {
			checkOperator(c.Condition, condPath(i), r)
		}
	case EqualsConditions:
		for i, c := range t.Conditions {
			if checkOperator(c.Condition, condPath(i), r) && c.Condition.Operator != "Equals" {
				r.add(CodeInvalidCondition, condPath(i)+".Operator", a.Type+" conditions use Equals only")
			}
		}
	case ResultConditions:
		checkResults(d, a, r)
	}
}

func checkResults(d *Def, a *Action, r *report) {
	results := d.Results
	if d.ResultsFromParam != "" {
		extra, _ := a.ParamStrings(d.ResultsFromParam)
		results = append(append([]string{}, results...), extra...)
	}
	matched := make(map[string]bool)
	for i, c := range a.Transitions.Conditions {
		path := condPath(i)
		if !checkOperator(c.Condition, path, r) {
			continue
		}
		op := c.Condition.Operands[0]
		switch {
		case c.Condition.Operator != "Equals":
			r.add(CodeInvalidCondition, path+".Operator", a.Type+" conditions use Equals only")
		case !contains(results, op):
			r.add(CodeInvalidCondition, path+".Operands", a.Type+" never returns "+quote(op)+"; it returns "+strings.Join(results, ", "))
		case matched[op]:
			r.add(CodeInvalidCondition, path+".Operands", "result "+quote(op)+" has more than one condition")
		default:
			matched[op] = true
		}
	}
	if !d.RequireAllResults {
		return
	}
	for _, res := range results {
		if !matched[res] {
			r.add(CodeMissingCondition, "Transitions.Conditions", a.Type+" needs a condition for the result "+quote(res))
		}
	}
}

// checkOperator reports an unknown operator or an operand count other
// than one, and says whether the condition is well formed.
func checkOperator(c Condition, path string, r *report) bool {
	if !contains(Operators, c.Operator) {
		r.add(CodeInvalidCondition, path+".Operator", "unknown operator "+quote(c.Operator))
		return false
	}
	if len(c.Operands) != 1 {
		r.add(CodeInvalidCondition, path+".Operands", c.Operator+" takes one operand, got "+strconv.Itoa(len(c.Operands)))
		return false
	}
	return true
}
