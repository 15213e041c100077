package flow

import "encoding/json"

// integrationDefs are the actions that call out of Parley (spec §3.4).
var integrationDefs = []*Def{
	{
		Type: "InvokeLambdaFunction",
		Params: []Param{
			{Name: "LambdaFunctionARN", Kind: KindScalar, Class: Dynamic, Required: true},
			{Name: "InvocationTimeLimitSeconds", Kind: KindScalar, Class: Static, Int: true, Min: 1, Max: 8},
			{Name: "InvocationType", Kind: KindScalar, Class: Static, Enum: []string{"SYNCHRONOUS", "ASYNCHRONOUS"}},
			{Name: "LambdaInvocationAttributes", Kind: KindStringMap, Class: Dynamic},
			{Name: "ResponseValidation", Kind: KindObject},
		},
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
		Check:     checkLambda,
	},
	{
		Type:        "InvokeFlowModule",
		Unsupported: "flow modules are not supported",
	},
	{
		Type:        "EndFlowModuleExecution",
		Unsupported: "flow modules are not supported",
	},
}

// checkLambda checks the nested ResponseType and warns that Parley calls
// functions synchronously only.
func checkLambda(a *Action, r *report) {
	if t, _ := a.ParamString("InvocationType"); t == "ASYNCHRONOUS" {
		r.warn(CodeInvalidParameter, "Parameters.InvocationType", "Parley invokes functions synchronously only; ASYNCHRONOUS runs as SYNCHRONOUS")
	}
	rv, ok := a.ParamObject("ResponseValidation")
	if !ok {
		return
	}
	raw, ok := rv["ResponseType"]
	if !ok {
		return
	}
	var t string
	if json.Unmarshal(raw, &t) != nil || (t != "STRING_MAP" && t != "JSON") {
		r.add(CodeInvalidParameter, "Parameters.ResponseValidation.ResponseType", "ResponseType must be STRING_MAP or JSON")
	}
}
