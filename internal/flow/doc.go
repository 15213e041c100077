// Package flow is Parley's model of the Amazon Connect flow language: it
// parses flow documents, validates them for publishing, and (later) runs
// them. It owns the action definitions; it does not own storage of flows,
// the API that publishes them, or the contacts they run on.
//
// Parse turns content into a Flow. It rejects only what is not a flow
// document at all (size outside 1–256000 characters, counted as Unicode
// code points; invalid JSON; a Version other than "2019-10-30"; fields of
// the wrong JSON type; more than 250 actions) with an error wrapping
// ErrInvalidContent. Metadata, each action's Parameters and any top-level
// or action fields the model does not know (Settings, …) are kept as raw
// JSON, and Flow.Content writes them back byte for byte.
//
// Validate checks a Flow against a flow type and returns every Problem it
// finds, not just the first. A Problem carries the action's Identifier, a
// Path into the document, a machine Code, a message and a Severity;
// Problem.Detail is the message of one ProblemDetail in Connect's
// InvalidContactFlowException. Only SeverityError problems block
// publishing (see Errors).
//
// The action types live in tables, one file per family (messaging.go,
// routing.go, logic.go, integration.go, voice.go): each Def declares its
// parameters with their JSON kind, value class (static, static or one
// $. reference, free text) and limits, the error types it raises, how its
// conditions are checked, whether it ends the flow, and the flow types it
// may appear in. The validator reads the tables; the few rules that do not
// fit (GetParticipantInput's StoreInput, CheckMetricData's staffing
// metrics, DistributeByPercentage's thresholds) are a Check hook on the Def.
//
// Decisions where the reference leaves room:
//   - Flow-type restrictions are enforced only where the reference states
//     them. EndFlowExecution is allowed in every flow type, because the
//     reference itself describes inbound flows that end with it.
//   - Voice and callback actions are accepted unchecked, as Connect accepts
//     them; actions that take their Error branch on chat (GetParticipantInput,
//     MessageParticipantIteratively, TransferContactToAgent, ShowView, the
//     voice actions) get a warning, as do MessageParticipant prompts other
//     than Text and an ASYNCHRONOUS InvokeLambdaFunction (Parley calls
//     functions synchronously). InvokeFlowModule and
//     EndFlowModuleExecution are rejected: Parley has no flow modules.
//   - A NoMatchingError branch on an action that raises no errors is a
//     warning (the branch is never taken); any other error type the action
//     does not raise is an error.
//   - Unreachable actions are warnings: Connect publishes flows with
//     unconnected blocks.
//   - A loop the flow can never leave (a strongly connected set of actions
//     with no branch out and no action that can end the flow) is an error,
//     reported once with every Identifier in it. In customer queue and hold
//     flows a loop through a pausing action (Wait, a bot, Loop prompts) is
//     the normal shape and is not reported; the flow runs until an agent
//     takes the contact.
//   - An action ends the flow if it is terminal (DisconnectParticipant,
//     EndFlowExecution, TransferContactToAgent), a transfer whose success
//     leaves the flow, or has no NextAction and conditions that need not
//     cover every result.
//   - Dynamic values ($.Attributes.x, $.External.y, …) are checked only
//     for shape, never as references. Static references are resolved
//     through the caller's Resolver, by the last path element of an ARN.
//   - Unknown parameter names are not reported: several actions'
//     parameter names are undocumented.
package flow
