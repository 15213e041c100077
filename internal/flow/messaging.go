package flow

// participantDefs are the actions that talk to a participant (spec §3.1).
var participantDefs = []*Def{
	{
		Type:       "MessageParticipant",
		Params:     promptParams,
		ExactlyOne: [][]string{promptNames},
		Errors:     []string{NoMatchingError},
		NeedsNext:  true,
		Denied:     holdFlows,
		Check:      checkChatPrompt,
	},
	{
		Type: "GetParticipantInput",
		Params: append(append([]Param{}, promptParams...),
			Param{Name: "InputTimeLimitSeconds", Kind: KindScalar, Class: Static, Int: true, Min: 1, Max: 1 << 31},
			Param{Name: "StoreInput", Kind: KindScalar, Class: Static, Enum: []string{"True", "False"}},
			Param{Name: "InputValidation", Kind: KindObject},
			Param{Name: "InputEncryption", Kind: KindObject},
			Param{Name: "DTMFConfiguration", Kind: KindObject},
		),
		AtMostOne:  [][]string{promptNames},
		Errors:     []string{NoMatchingCondition, NoMatchingError, "InvalidPhoneNumber", "InputTimeLimitExceeded"},
		Conditions: CustomConditions,
		Pauses:     true,
		Allowed:    concat(inboundAndXfr, []string{CustomerQueue}),
		Chat:       ChatErrorBranch,
		Check:      checkGetParticipantInput,
	},
	{
		Type: "ConnectParticipantWithLexBot",
		Params: append(append([]Param{}, promptParams...),
			Param{Name: "LexV2Bot", Kind: KindObject},
			Param{Name: "LexBot", Kind: KindObject},
			Param{Name: "LexSessionAttributes", Kind: KindStringMap},
			Param{Name: "LexInitilizationData", Kind: KindObject},
			Param{Name: "LexTimeoutSeconds", Kind: KindObject},
		),
		AtMostOne:  [][]string{promptNames},
		ExactlyOne: [][]string{{"LexV2Bot", "LexBot"}},
		Errors:     []string{"InputTimeLimitExceeded", NoMatchingCondition, NoMatchingError},
		Conditions: EqualsConditions,
		Pauses:     true,
		Allowed:    concat(inboundAndXfr, []string{CustomerQueue}),
	},
	{
		Type: "MessageParticipantIteratively",
		Params: []Param{
			{Name: "Messages", Kind: KindObjectList, Required: true},
			{Name: "InterruptFrequencySeconds", Kind: KindScalar, Class: Static, Int: true, Min: 1, Max: 1 << 31},
		},
		Errors:     []string{NoMatchingError},
		Conditions: ResultConditions,
		Results:    []string{"MessagesInterrupted"},
		Pauses:     true,
		Allowed:    []string{CustomerQueue, CustomerHold, AgentHold},
		Chat:       ChatErrorBranch,
	},
	{
		Type:     "DisconnectParticipant",
		Terminal: true,
	},
	{
		// Out of scope for v1; accepted so exported flows import, and at
		// run time it takes its Error branch (the validator warns).
		Type:   "ShowView",
		Params: []Param{{Name: "ViewResource"}, {Name: "InvocationTimeLimitSeconds"}, {Name: "ViewData"}},
		Errors: []string{NoMatchingError},
		Chat:   ChatErrorBranch,
	},
}

func checkGetParticipantInput(a *Action, r *report) {
	store, _ := a.ParamString("StoreInput")
	_, hasValidation := a.Param("InputValidation")
	if store == "True" && !hasValidation {
		r.add(CodeMissingParameter, "Parameters.InputValidation", "InputValidation is required when StoreInput is True")
	}
	if store != "True" && hasValidation {
		r.add(CodeInvalidParameter, "Parameters.InputValidation", "InputValidation is allowed only when StoreInput is True")
	}
	for i, c := range a.Transitions.Conditions {
		path := condPath(i)
		if store == "True" {
			r.add(CodeConditionNotAllowed, path, "GetParticipantInput has no result to compare when StoreInput is True")
			continue
		}
		if c.Condition.Operator != "Equals" {
			r.add(CodeInvalidCondition, path+".Operator", "GetParticipantInput conditions use Equals only, got "+quote(c.Condition.Operator))
			continue
		}
		if len(c.Condition.Operands) != 1 || !isDTMF(c.Condition.Operands[0]) {
			r.add(CodeInvalidCondition, path+".Operands", "GetParticipantInput conditions compare one character of 0-9, * or #")
		}
	}
	if store == "True" {
		for i, e := range a.Transitions.Errors {
			if e.ErrorType == NoMatchingCondition {
				r.add(CodeErrorTypeNotAllowed, errPath(i), "NoMatchingCondition is raised only when StoreInput is False")
			}
		}
	}
}

func isDTMF(s string) bool {
	return len(s) == 1 && (s[0] >= '0' && s[0] <= '9' || s[0] == '*' || s[0] == '#')
}

// checkChatPrompt warns about prompts chat cannot send: only Text reaches
// a chat participant; the others take the Error branch.
func checkChatPrompt(a *Action, r *report) {
	for _, name := range promptNames[1:] {
		if _, ok := a.Param(name); ok {
			r.warn(CodeUnsupportedOnChat, "Parameters."+name, name+" is voice only; on chat the action takes its Error branch")
		}
	}
}
