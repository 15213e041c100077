package flow

// voiceDefs are voice and callback actions. Connect accepts them in any
// flow; Parley imports them unchecked and on chat they take their Error
// branch (spec §3.2).
var voiceDefs = func() []*Def {
	var out []*Def
	for _, t := range []string{"UpdateContactCallbackNumber", "CreateCallbackContact", "CompleteOutboundCall",
		"UpdateContactMediaStreamingBehavior", "UpdatePreviousContactParticipantState",
		"TransferParticipantToThirdParty", "StartVoiceIdStream", "CheckVoiceId", "CheckOutboundCallStatus"} {
		out = append(out, &Def{Type: t, Errors: []string{NoMatchingError}, Conditions: AnyConditions, Chat: ChatErrorBranch})
	}
	return out
}()
