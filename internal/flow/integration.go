package flow

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
