package flow

import (
	"strconv"
	"strings"
)

// Operators are the condition operators (spec §1.4).
var Operators = []string{"Equals", "TextStartsWith", "TextEndsWith", "TextContains",
	"NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo"}

// MaxWaitSeconds is the longest Wait: 7 days.
const MaxWaitSeconds = 604800

// staffingMetrics are the CheckMetricData metrics whose only condition is
// NumberGreaterThan "0" (Check staffing).
var staffingMetrics = []string{"NumberOfAgentsAvailable", "NumberOfAgentsStaffed", "NumberOfAgentsOnline"}

// controlDefs are the flow-control actions (spec §3.3).
var controlDefs = []*Def{
	{
		Type:       "Compare",
		Params:     []Param{{Name: "ComparisonValue", Kind: KindScalar, Class: PathOnly, Required: true}},
		Errors:     []string{NoMatchingCondition},
		Conditions: AnyConditions,
	},
	{
		Type:              "CheckHoursOfOperation",
		Params:            []Param{{Name: "HoursOfOperationId", Kind: KindScalar, Class: StaticOrPath, Ref: HoursRef}},
		Errors:            []string{NoMatchingError},
		Conditions:        ResultConditions,
		Results:           []string{"True", "False"},
		RequireAllResults: true,
		Allowed:           concat(inboundAndXfr, []string{CustomerQueue}),
	},
	{
		Type: "CheckMetricData",
		Params: append([]Param{{Name: "MetricType", Kind: KindScalar, Class: Static, Required: true,
			Enum: append([]string{"OldestContactInQueueAgeSeconds", "NumberOfContactsInQueue"}, staffingMetrics...)}},
			queueOrAgent...),
		AtMostOne:  [][]string{{"QueueId", "AgentId"}},
		Errors:     []string{NoMatchingError, NoMatchingCondition},
		Conditions: CustomConditions,
		Denied:     concat(whisperFlows, holdFlows),
		Check:      checkMetricData,
	},
	{
		Type: "GetMetricData",
		Params: append([]Param{{Name: "QueueChannel", Kind: KindScalar, Class: Static, Enum: []string{"Voice", "Chat"}}},
			queueOrAgent...),
		AtMostOne: [][]string{{"QueueId", "AgentId"}},
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
	},
	{
		Type:          "TransferToFlow",
		Params:        []Param{{Name: "ContactFlowId", Kind: KindScalar, Class: StaticOrPath, Required: true, Ref: FlowRef}},
		Errors:        []string{NoMatchingError},
		EndsOnSuccess: true,
		Allowed:       inboundAndXfr,
	},
	{
		Type:     "EndFlowExecution",
		Terminal: true,
	},
	{
		// The doc names the timeout TimeoutSeconds, console exports
		// TimeLimitSeconds; exactly one of them.
		Type: "Wait",
		Params: []Param{
			{Name: "TimeoutSeconds", Kind: KindScalar, Class: StaticOrPath, Int: true, Min: 1, Max: MaxWaitSeconds},
			{Name: "TimeLimitSeconds", Kind: KindScalar, Class: StaticOrPath, Int: true, Min: 1, Max: MaxWaitSeconds},
			{Name: "Events", Kind: KindStringList, Class: Static, Enum: []string{"CustomerReturned", "BotParticipantDisconnected"}},
		},
		ExactlyOne:        [][]string{{"TimeoutSeconds", "TimeLimitSeconds"}},
		Errors:            []string{NoMatchingError, "ParticipantNotFound"},
		Conditions:        ResultConditions,
		Results:           []string{"WaitCompleted"},
		RequireAllResults: true,
		ResultsFromParam:  "Events",
		Pauses:            true,
	},
	{
		Type:              "Loop",
		Params:            []Param{{Name: "LoopCount", Kind: KindScalar, Class: StaticOrPath, Required: true, Int: true, Min: 0, Max: 100}},
		Conditions:        ResultConditions,
		Results:           []string{"ContinueLooping", "DoneLooping"},
		RequireAllResults: true,
	},
	{
		Type:       "DistributeByPercentage",
		Errors:     []string{NoMatchingCondition},
		Conditions: CustomConditions,
		Denied:     concat(whisperFlows, holdFlows),
		Check:      checkPercentages,
	},
	{
		Type:      "UpdateFlowLoggingBehavior",
		Params:    []Param{{Name: "FlowLoggingBehavior", Kind: KindScalar, Class: Static, Required: true, Enum: []string{"Enabled", "Disabled"}}},
		NeedsNext: true,
	},
}

// checkMetricData: staffing metrics allow only NumberGreaterThan "0" and
// take their False branch through NextAction; queue-status metrics allow
// Equals and the Number operators and raise NoMatchingCondition.
func checkMetricData(a *Action, r *report) {
	metric, _ := a.ParamString("MetricType")
	staffing := contains(staffingMetrics, metric)
	for i, c := range a.Transitions.Conditions {
		path := condPath(i)
		if !checkOperator(c.Condition, path, r) {
			continue
		}
		switch {
		case staffing && (c.Condition.Operator != "NumberGreaterThan" || c.Condition.Operands[0] != "0"):
			r.add(CodeInvalidCondition, path, "a staffing metric allows only the condition NumberGreaterThan 0")
		case !staffing && strings.HasPrefix(c.Condition.Operator, "Text"):
			r.add(CodeInvalidCondition, path+".Operator", "a queue metric compares with Equals or a Number operator, got "+quote(c.Condition.Operator))
		}
	}
	if staffing {
		if a.Transitions.NextAction == "" {
			r.add(CodeMissingNextAction, "Transitions.NextAction", "Action is missing required property (the False branch of a staffing check)")
		}
		for i, e := range a.Transitions.Errors {
			if e.ErrorType == NoMatchingCondition {
				r.add(CodeErrorTypeNotAllowed, errPath(i), "NoMatchingCondition is raised only for queue-status metrics")
			}
		}
	}
}

// checkPercentages: a chain of NumberLessThan with ascending cumulative
// thresholds; the last may be at most 101 (the percentages sum to at most
// 100; the random number is 1–100).
func checkPercentages(a *Action, r *report) {
	prev := int64(1)
	for i, c := range a.Transitions.Conditions {
		path := condPath(i)
		if !checkOperator(c.Condition, path, r) {
			continue
		}
		if c.Condition.Operator != "NumberLessThan" {
			r.add(CodeInvalidCondition, path+".Operator", "DistributeByPercentage conditions use NumberLessThan, got "+quote(c.Condition.Operator))
			continue
		}
		n, err := strconv.ParseInt(c.Condition.Operands[0], 10, 64)
		switch {
		case err != nil:
			r.add(CodeInvalidCondition, path+".Operands", "the threshold must be an integer, got "+quote(c.Condition.Operands[0]))
		case n <= prev:
			r.add(CodeInvalidCondition, path+".Operands", "thresholds must ascend, each share at least 1%")
		case n > 101:
			r.add(CodePercentageSum, path+".Operands", "the percentages add up to "+strconv.FormatInt(n-1, 10)+"%, more than 100%")
		default:
			prev = n
		}
	}
}
