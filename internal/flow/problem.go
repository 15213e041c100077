package flow

import (
	"fmt"
	"strconv"
)

// Severity says whether a problem blocks publishing.
type Severity string

// Severities.
const (
	SeverityError   Severity = "ERROR"   // the flow cannot be published
	SeverityWarning Severity = "WARNING" // worth fixing, but Connect would publish it
)

// Code is a machine-readable problem kind.
type Code string

// Problem codes.
const (
	CodeInvalidFlowType      Code = "InvalidFlowType"
	CodeMissingStartAction   Code = "MissingStartAction"
	CodeInvalidIdentifier    Code = "InvalidIdentifier"
	CodeDuplicateIdentifier  Code = "DuplicateIdentifier"
	CodeUnknownActionType    Code = "UnknownActionType"
	CodeUnsupportedAction    Code = "UnsupportedAction"
	CodeActionNotAllowed     Code = "ActionNotAllowedInFlowType"
	CodeMissingParameter     Code = "MissingParameter"
	CodeInvalidParameter     Code = "InvalidParameter"
	CodeParameterType        Code = "InvalidParameterType"
	CodeParameterRange       Code = "ParameterOutOfRange"
	CodeConflictingParams    Code = "ConflictingParameters"
	CodeDynamicNotAllowed    Code = "DynamicValueNotAllowed"
	CodeReferenceNotFound    Code = "ReferenceNotFound"
	CodeDanglingNextAction   Code = "DanglingNextAction"
	CodeMissingNextAction    Code = "MissingNextAction"
	CodeTerminalTransitions  Code = "TerminalHasTransitions"
	CodeErrorTypeNotAllowed  Code = "ErrorTypeNotAllowed"
	CodeDuplicateErrorType   Code = "DuplicateErrorType"
	CodeConditionNotAllowed  Code = "ConditionNotAllowed"
	CodeInvalidCondition     Code = "InvalidCondition"
	CodeMissingCondition     Code = "MissingCondition"
	CodePercentageSum        Code = "PercentageSumExceeded"
	CodeUnreachableAction    Code = "UnreachableAction"
	CodeCycleWithoutExit     Code = "CycleWithoutExit"
	CodeUnsupportedOnChat    Code = "UnsupportedOnChat"
	CodeErrorBranchNeverUsed Code = "ErrorBranchNeverTaken"
)

// Problem is one thing wrong with a flow.
type Problem struct {
	// Identifier is the action the problem is in; empty for flow-level problems.
	Identifier string
	// Path points into the document, e.g. "Actions[3].Transitions.NextAction".
	Path string
	// Code says what kind of problem it is.
	Code Code
	// Message says it for a person.
	Message string
	// Severity says whether it blocks publishing.
	Severity Severity
}

// Detail is the problem as the message of one ProblemDetail in Connect's
// InvalidContactFlowException ({"problems":[{"message": …}]}).
func (p Problem) Detail() string {
	msg := p.Message
	if p.Identifier != "" {
		msg = fmt.Sprintf("%s (action %q)", msg, p.Identifier)
	}
	if p.Path != "" {
		msg += ". Path: " + p.Path
	}
	return msg
}

// String formats the problem for logs and test failures.
func (p Problem) String() string {
	return string(p.Severity) + " " + string(p.Code) + ": " + p.Detail()
}

// Errors returns the problems that block publishing.
func Errors(problems []Problem) []Problem {
	var out []Problem
	for _, p := range problems {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// report collects problems; the validator points it at one action at a time.
type report struct {
	problems []Problem
	id       string // current action's Identifier
	base     string // current action's path, "Actions[N]"
}

func (r *report) at(index int, id string) {
	r.id = id
	r.base = "Actions[" + strconv.Itoa(index) + "]"
}

func (r *report) add(code Code, path, msg string) { r.addSev(SeverityError, code, path, msg) }

func (r *report) warn(code Code, path, msg string) { r.addSev(SeverityWarning, code, path, msg) }

func (r *report) addSev(sev Severity, code Code, path, msg string) {
	full := r.base
	if path != "" {
		if full != "" {
			full += "."
		}
		full += path
	}
	r.problems = append(r.problems, Problem{Identifier: r.id, Path: full, Code: code, Message: msg, Severity: sev})
}

func condPath(i int) string { return "Transitions.Conditions[" + strconv.Itoa(i) + "]" }

func errPath(i int) string { return "Transitions.Errors[" + strconv.Itoa(i) + "]" }

func quote(s string) string { return strconv.Quote(s) }
