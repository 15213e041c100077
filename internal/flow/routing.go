package flow

// EventHookKeys are the keys UpdateContactEventHooks accepts.
var EventHookKeys = []string{"CustomerQueue", "CustomerRemaining", "AgentWhisper", "CustomerWhisper",
	"AgentHold", "CustomerHold", "DefaultAgentUI", "DisconnectAgentUI", "PauseContact", "ResumeContact"}

// queueOrAgent are the parameters that name a queue: a standard queue, or
// an agent's own queue.
var queueOrAgent = []Param{
	{Name: "QueueId", Kind: KindScalar, Class: StaticOrPath, Ref: QueueRef},
	{Name: "AgentId", Kind: KindScalar, Class: StaticOrPath, Ref: UserRef},
}

// contactDefs are the actions that change the contact (spec §3.2).
var contactDefs = []*Def{
	{
		Type:      "UpdateContactAttributes",
		Params:    []Param{{Name: "Attributes", Kind: KindStringMap, Class: Dynamic, Required: true}},
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
	},
	{
		Type:       "UpdateContactTargetQueue",
		Params:     queueOrAgent,
		ExactlyOne: [][]string{{"QueueId", "AgentId"}},
		Errors:     []string{NoMatchingError},
		NeedsNext:  true,
		Allowed:    inboundAndXfr,
	},
	{
		// No success branch: a queued contact leaves the flow.
		Type:          "TransferContactToQueue",
		Errors:        []string{"QueueAtCapacity", NoMatchingError},
		EndsOnSuccess: true,
		Allowed:       inboundAndXfr,
	},
	{
		Type:          "DequeueContactAndTransferToQueue",
		Params:        queueOrAgent,
		ExactlyOne:    [][]string{{"QueueId", "AgentId"}},
		Errors:        []string{"QueueAtCapacity", NoMatchingError},
		EndsOnSuccess: true,
		Allowed:       []string{CustomerQueue},
	},
	{
		Type:     "TransferContactToAgent",
		Terminal: true,
		Allowed:  []string{AgentTransfer, QueueTransfer},
		Chat:     ChatErrorBranch,
	},
	{
		Type: "UpdateContactEventHooks",
		Params: []Param{{Name: "EventHooks", Kind: KindStringMap, Class: StaticOrPath, Required: true,
			MinEntries: 1, MaxEntries: 1, Enum: EventHookKeys, Ref: FlowRef}},
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
	},
	{
		// The archived block page says chat is not supported; Parley
		// accepts and applies it, which is harmless.
		Type: "UpdateContactRoutingBehavior",
		Params: []Param{
			{Name: "QueuePriority", Kind: KindScalar, Class: Static, Int: true, Min: 1, Max: 1 << 31},
			{Name: "QueueTimeAdjustmentSeconds", Kind: KindScalar, Class: Static, Int: true, Min: -(1 << 31), Max: 1 << 31},
			{Name: "RoutingCriteria"},
		},
		ExactlyOne: [][]string{{"QueuePriority", "QueueTimeAdjustmentSeconds", "RoutingCriteria"}},
		NeedsNext:  true,
		Allowed:    []string{ContactFlow},
	},
	{
		// Parameter names are not documented; they are not checked.
		Type:      "UpdateContactData",
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
	},
	{
		Type: "TagContact",
		Params: []Param{{Name: "Tags", Kind: KindStringMap, Class: Dynamic, Required: true,
			MinEntries: 1, MaxEntries: 6, KeyMaxLen: 128, ValueMaxLen: 256, KeyForbiddenPrefix: "aws:"}},
		NeedsNext: true,
	},
	{
		Type:      "UnTagContact",
		NeedsNext: true,
	},
	{
		Type: "UpdateContactRecordingBehavior",
		Params: []Param{
			{Name: "RecordingBehavior", Kind: KindObject},
			{Name: "AnalyticsBehavior", Kind: KindObject},
		},
		NeedsNext: true,
		Denied:    concat(holdFlows, []string{AgentWhisper, CustomerWhisper}),
	},
	{
		Type: "UpdateContactTextToSpeechVoice",
		Params: []Param{
			{Name: "TextToSpeechVoice", Kind: KindScalar, Class: StaticOrPath},
			{Name: "TextToSpeechEngine", Kind: KindScalar, Class: StaticOrPath},
		},
		Errors:    []string{NoMatchingError},
		NeedsNext: true,
		Chat:      ChatIgnored,
	},
}
