package flow

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
)

// MaxMessageChars is the longest text a MessageParticipant block may send
// once its references are filled in (Connect's 6,000 total characters).
const MaxMessageChars = 6000

// whisperTimeLimit is how long a whisper may last (Connect: 2 minutes).
// Parley runs whispers to completion at once, so only blocks that would
// pause (Wait, calls) are affected: they take their Error branch.
const whisperTimeLimit = 2 * time.Minute

// execute runs one block. An error is a failure of Parley (the store),
// never of the flow: flow failures are outcomes with an error type.
func (x *exec) execute(a *Action) (outcome, error) {
	d := Lookup(a.Type)
	if d == nil {
		return failed(NoMatchingError, "unknown action type %s", a.Type), nil
	}
	switch a.Type {
	case "MessageParticipant":
		return x.messageParticipant(a)
	case "DisconnectParticipant":
		return x.disconnect()
	case "EndFlowExecution":
		return outcome{stop: true}, nil
	case "UpdateContactAttributes":
		return x.updateAttributes(a)
	case "UpdateContactTargetQueue":
		return x.setTargetQueue(a)
	case "TransferContactToQueue":
		return x.transferToQueue()
	case "DequeueContactAndTransferToQueue":
		return x.dequeueAndTransfer(a)
	case "UpdateContactEventHooks":
		return x.setEventHooks(a)
	case "UpdateContactRoutingBehavior":
		return x.setRoutingBehavior(a), nil
	case "UpdateContactData":
		return x.updateContactData(a), nil
	case "TagContact":
		return x.tagContact(a), nil
	case "UnTagContact":
		return x.untagContact(a), nil
	case "Compare":
		v, _ := a.ParamString("ComparisonValue")
		val := x.value(v)
		return outcome{result: val, hasResult: true, params: map[string]any{"ComparisonValue": val}}, nil
	case "CheckHoursOfOperation":
		return x.checkHours(a)
	case "CheckMetricData":
		return x.checkMetricData(a)
	case "GetMetricData":
		return x.getMetricData(a)
	case "TransferToFlow":
		return x.transferToFlow(a)
	case "Wait":
		return x.wait(a), nil
	case "Loop":
		return x.loop(a), nil
	case "DistributeByPercentage":
		n := rand.IntN(100) + 1
		return outcome{result: strconv.Itoa(n), hasResult: true}, nil
	case "UpdateFlowLoggingBehavior":
		v, _ := a.ParamString("FlowLoggingBehavior")
		x.st.LoggingOff = v == "Disabled"
		return outcome{params: map[string]any{"FlowLoggingBehavior": v}}, nil
	case "InvokeLambdaFunction":
		return x.invokeFunction(a)
	case "GetParticipantInput":
		return failed(NoMatchingError, "Get customer input works on chat only with a bot; use ConnectParticipantWithLexBot"), nil
	case "ConnectParticipantWithLexBot":
		return x.connectBot(a)
	}
	switch d.Chat {
	case ChatIgnored:
		return outcome{}, nil
	case ChatErrorBranch:
		return failed(NoMatchingError, "%s is not supported on chat", a.Type), nil
	}
	if d.Unsupported != "" {
		return failed(NoMatchingError, "%s: %s", a.Type, d.Unsupported), nil
	}
	return outcome{}, nil // accepted actions with no effect on chat
}

func (x *exec) messageParticipant(a *Action) (outcome, error) {
	raw, ok := a.ParamString("Text")
	if !ok {
		return failed(NoMatchingError, "only Text prompts can be sent on chat"), nil
	}
	template := looksInteractive(raw)
	text, limit, contentType := x.render(raw), MaxMessageChars, "text/plain"
	if template {
		// References inside a template are JSON-escaped, so a value
		// cannot change the template's structure.
		text, limit, contentType = x.renderJSON(raw), MaxInteractiveChars, chat.TypeInteractive
	}
	out := outcome{params: map[string]any{"Text": text}}
	fail := func(format string, args ...any) (outcome, error) {
		return outcome{errType: NoMatchingError, errMsg: fmt.Sprintf(format, args...), params: out.params}, nil
	}
	if strings.TrimSpace(text) == "" {
		return fail("the message is empty once its references are filled in")
	}
	if n := len([]rune(text)); n > limit {
		return fail("the message has %d characters, more than %d", n, limit)
	}
	if template {
		if err := checkInteractive(text); err != nil {
			return fail("%s", err)
		}
	}
	if x.whisper == whisperAgent {
		x.s.routing.Whisper(x.cx, x.agent.UserID, text)
		return out, nil
	}
	if !x.cx.Active() {
		return fail("the chat has ended")
	}
	return out, x.cx.AppendSystemMessage(contentType, text)
}

func (x *exec) disconnect() (outcome, error) {
	if x.whisper != "" {
		return outcome{stop: true}, nil
	}
	x.st.Pause, x.st.Action = nil, ""
	return outcome{stop: true}, x.cx.End(ReasonFlowDisconnect)
}

func (x *exec) updateAttributes(a *Action) (outcome, error) {
	raw, _ := a.ParamStringMap("Attributes")
	attrs := make(map[string]string, len(raw))
	params := make(map[string]any, len(raw))
	for k, v := range raw {
		k, v = x.render(k), x.render(v)
		if k == "" {
			return failed(NoMatchingError, "an attribute name is empty once its references are filled in"), nil
		}
		attrs[k], params[k] = v, v
	}
	if err := checkAttributes(x.cx.Contact.Attributes, attrs); err != nil {
		return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
	}
	return outcome{params: params}, x.cx.SetAttributes(attrs)
}

// Contact attribute limits (Connect: 32 KB in total per contact).
const maxAttributesBytes = 32 * 1024

func checkAttributes(old, add map[string]string) error {
	n := 0
	for k, v := range old {
		if _, replaced := add[k]; !replaced {
			n += len(k) + len(v)
		}
	}
	for k, v := range add {
		n += len(k) + len(v)
	}
	if n > maxAttributesBytes {
		return fmt.Errorf("the contact's attributes would take %d bytes, more than %d", n, maxAttributesBytes)
	}
	return nil
}

// queueParams resolves a QueueId or AgentId parameter pair to a target.
func (x *exec) queueParams(a *Action) (target, map[string]any, bool) {
	if v, ok := a.ParamString("AgentId"); ok {
		id := resourceID(x.value(v))
		return target{UserID: id}, map[string]any{"AgentId": id}, true
	}
	if v, ok := a.ParamString("QueueId"); ok {
		id := resourceID(x.value(v))
		if routing.IsAgentQueue(id) {
			return target{UserID: strings.TrimPrefix(id, routing.AgentQueuePrefix)}, map[string]any{"Queue": id}, true
		}
		return target{QueueID: id}, map[string]any{"Queue": id}, true
	}
	return target{}, nil, false
}

// resolveTarget checks that a target exists and returns it as routing sees it.
func (x *exec) resolveTarget(t target) (routing.FlowQueue, error) {
	if t.QueueID == "" && t.UserID == "" {
		return routing.FlowQueue{}, errNoTarget
	}
	return x.s.routing.QueueForFlow(x.cx, x.cx.Contact.InstanceID, t.QueueID, t.UserID)
}

var errNoTarget = errors.New("no working queue is set")

// targetFailure turns a missing queue or agent into a flow error, and
// anything else into a Parley error.
func targetFailure(err error, params map[string]any) (outcome, error) {
	if errors.Is(err, errNoTarget) || isNotFound(err) {
		return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
	}
	return outcome{}, err
}

func (x *exec) setTargetQueue(a *Action) (outcome, error) {
	t, params, ok := x.queueParams(a)
	if !ok || t.QueueID == "" && t.UserID == "" {
		return outcome{errType: NoMatchingError, errMsg: "the queue or agent is empty", params: params}, nil
	}
	if _, err := x.resolveTarget(t); err != nil {
		return targetFailure(err, params)
	}
	x.st.Target = t
	return outcome{params: params}, nil
}

func (x *exec) transferToQueue() (outcome, error) {
	t := x.st.Target
	params := map[string]any{"Queue": t.QueueID, "AgentId": t.UserID}
	if _, err := x.resolveTarget(t); err != nil {
		out, err := targetFailure(err, params)
		out.stop = true
		return out, err
	}
	err := x.s.routing.Enqueue(x.cx, t.QueueID, t.UserID, x.st.Priority, x.st.AgeSeconds)
	switch {
	case errors.Is(err, routing.ErrQueueAtCapacity):
		return outcome{errType: "QueueAtCapacity", errMsg: err.Error(), stop: true, params: params}, nil
	case errors.Is(err, routing.ErrAlreadyRouted) || isNotFound(err):
		return outcome{errType: NoMatchingError, errMsg: err.Error(), stop: true, params: params}, nil
	case err != nil:
		return outcome{}, err
	}
	x.enqueued = true
	return outcome{stop: true, params: params}, nil
}

// dequeueAndTransfer is a customer queue flow moving its contact to
// another queue.
func (x *exec) dequeueAndTransfer(a *Action) (outcome, error) {
	t, params, ok := x.queueParams(a)
	if !ok {
		return outcome{errType: NoMatchingError, errMsg: "the queue or agent is empty", params: params}, nil
	}
	if _, err := x.resolveTarget(t); err != nil {
		return targetFailure(err, params)
	}
	err := x.s.routing.Requeue(x.cx, t.QueueID, t.UserID)
	switch {
	case errors.Is(err, routing.ErrQueueAtCapacity):
		return outcome{errType: "QueueAtCapacity", errMsg: err.Error(), params: params}, nil
	case errors.Is(err, routing.ErrAlreadyRouted):
		return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
	case err != nil:
		return outcome{}, err
	}
	x.st.Target = t
	x.enqueued = true
	return outcome{stop: true, params: params}, nil
}

// hookKeys are the event hooks chat contacts use, with the flow type each
// must have.
var hookKeys = map[string]string{
	"CustomerQueue":     CustomerQueue,
	"CustomerRemaining": ContactFlow,
	"AgentWhisper":      AgentWhisper,
	"CustomerWhisper":   CustomerWhisper,
	"AgentHold":         AgentHold,
	"CustomerHold":      CustomerHold,
}

func (x *exec) setEventHooks(a *Action) (outcome, error) {
	hooks, _ := a.ParamStringMap("EventHooks")
	params := make(map[string]any, len(hooks))
	set := make(map[string]string, len(hooks))
	for k, v := range hooks {
		id := resourceID(x.value(v))
		params[k] = id
		want, known := hookKeys[k]
		if !known {
			continue // UI hooks (DefaultAgentUI, ...) have no effect on chat
		}
		if id == "" {
			set[k] = "" // an empty value removes the hook
			continue
		}
		f, err := x.cx.GetContactFlow(x.cx.Contact.InstanceID, id)
		if errors.Is(err, store.ErrNotFound) {
			return outcome{errType: NoMatchingError, errMsg: "flow " + id + " does not exist", params: params}, nil
		} else if err != nil {
			return outcome{}, err
		}
		if f.Type != want {
			return outcome{errType: NoMatchingError, errMsg: fmt.Sprintf("flow %s is a %s flow; the %s hook needs a %s flow", f.Name, f.Type, k, want), params: params}, nil
		}
		if f.Version == 0 {
			return outcome{errType: NoMatchingError, errMsg: "flow " + f.Name + " has never been published", params: params}, nil
		}
		set[k] = id
	}
	if x.st.Hooks == nil {
		x.st.Hooks = map[string]string{}
	}
	for k, v := range set {
		if v == "" {
			delete(x.st.Hooks, k)
		} else {
			x.st.Hooks[k] = v
		}
	}
	return outcome{params: params}, nil
}

func (x *exec) setRoutingBehavior(a *Action) outcome {
	params := map[string]any{}
	if v, ok := a.ParamString("QueuePriority"); ok {
		if n, err := strconv.Atoi(x.value(v)); err == nil && n > 0 {
			x.st.Priority = n
			params["QueuePriority"] = n
		}
	}
	if v, ok := a.ParamString("QueueTimeAdjustmentSeconds"); ok {
		if n, err := strconv.Atoi(x.value(v)); err == nil {
			x.st.AgeSeconds = n
			params["QueueTimeAdjustmentSeconds"] = n
		}
	}
	return outcome{params: params}
}

// contactDataFields are the Connect-defined fields UpdateContactData sets.
var contactDataFields = []string{"LanguageCode", "Name", "Description"}

func (x *exec) updateContactData(a *Action) outcome {
	params := map[string]any{}
	for _, f := range contactDataFields {
		v, ok := a.ParamString(f)
		if !ok {
			continue
		}
		v = x.render(v)
		if x.st.Data == nil {
			x.st.Data = map[string]string{}
		}
		x.st.Data[f], params[f] = v, v
	}
	return outcome{params: params}
}

func (x *exec) tagContact(a *Action) outcome {
	tags, _ := a.ParamStringMap("Tags")
	params := map[string]any{}
	if x.st.Tags == nil {
		x.st.Tags = map[string]string{}
	}
	for k, v := range tags {
		v = x.render(v)
		x.st.Tags[k], params[k] = v, v
	}
	return outcome{params: params}
}

func (x *exec) untagContact(a *Action) outcome {
	keys, _ := a.ParamStrings("TagKeys")
	for _, k := range keys {
		delete(x.st.Tags, k)
	}
	return outcome{params: map[string]any{"TagKeys": keys}}
}

func (x *exec) checkHours(a *Action) (outcome, error) {
	hoursID := ""
	params := map[string]any{}
	if v, ok := a.ParamString("HoursOfOperationId"); ok {
		hoursID = resourceID(x.value(v))
		params["HoursOfOperationId"] = hoursID
	} else {
		q, err := x.resolveTarget(x.st.Target)
		if err != nil {
			return targetFailure(err, params)
		}
		if q.UserID != "" {
			return outcome{errType: NoMatchingError, errMsg: "the working queue is an agent's queue, which has no hours", params: params}, nil
		}
		if q.HoursID == "" {
			return outcome{result: "True", hasResult: true, params: params}, nil
		}
		hoursID = q.HoursID
		params["Queue"] = q.ID
	}
	open, err := x.s.routing.HoursOpen(x.cx, x.cx.Contact.InstanceID, hoursID, x.now)
	if isNotFound(err) {
		return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
	} else if err != nil {
		return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
	}
	return outcome{result: strings.ToUpper(strconv.FormatBool(open)[:1]) + strconv.FormatBool(open)[1:], hasResult: true, params: params}, nil
}

// metricsTarget is the queue CheckMetricData and GetMetricData look at.
func (x *exec) metricsTarget(a *Action) (routing.FlowQueue, map[string]any, error) {
	t, params, ok := x.queueParams(a)
	if !ok {
		t, params = x.st.Target, map[string]any{}
	}
	q, err := x.resolveTarget(t)
	return q, params, err
}

func (x *exec) checkMetricData(a *Action) (outcome, error) {
	q, params, err := x.metricsTarget(a)
	if err != nil {
		return targetFailure(err, params)
	}
	metric, _ := a.ParamString("MetricType")
	params["MetricType"] = metric
	m, err := x.s.routing.QueueMetricsFor(x.cx, x.cx.Contact.InstanceID, q, x.now)
	if err != nil {
		return outcome{}, err
	}
	var n int
	switch metric {
	case "NumberOfAgentsAvailable":
		n = m.Available
	case "NumberOfAgentsStaffed":
		n = m.Staffed
	case "NumberOfAgentsOnline":
		n = m.Online
	case "OldestContactInQueueAgeSeconds":
		n = int(m.OldestContactAge.Seconds())
	case "NumberOfContactsInQueue":
		n = m.InQueue
	default:
		return outcome{errType: NoMatchingError, errMsg: "unknown metric " + metric, params: params}, nil
	}
	return outcome{result: strconv.Itoa(n), hasResult: true, params: params}, nil
}

func (x *exec) getMetricData(a *Action) (outcome, error) {
	q, params, err := x.metricsTarget(a)
	if err != nil {
		return targetFailure(err, params)
	}
	m, err := x.s.routing.QueueMetricsFor(x.cx, x.cx.Contact.InstanceID, q, x.now)
	if err != nil {
		return outcome{}, err
	}
	x.st.Metrics = metricsMap(q, x.s.arn(x.cx.Contact.InstanceID, "queue", q.ID), m)
	return outcome{params: params}, nil
}

// transferTargets are the flow types TransferToFlow may enter.
var transferTargets = []string{ContactFlow, AgentTransfer, QueueTransfer}

func (x *exec) transferToFlow(a *Action) (outcome, error) {
	v, _ := a.ParamString("ContactFlowId")
	id := resourceID(x.value(v))
	params := map[string]any{"ContactFlowId": id}
	f, err := x.cx.GetContactFlow(x.cx.Contact.InstanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return outcome{errType: NoMatchingError, errMsg: "flow " + id + " does not exist", params: params}, nil
	} else if err != nil {
		return outcome{}, err
	}
	if !contains(transferTargets, f.Type) {
		return outcome{errType: NoMatchingError, errMsg: fmt.Sprintf("flow %s is a %s flow; Transfer to flow enters only inbound and transfer flows", f.Name, f.Type), params: params}, nil
	}
	if f.Version == 0 {
		return outcome{errType: NoMatchingError, errMsg: "flow " + f.Name + " has never been published", params: params}, nil
	}
	next, err := x.s.loadVersion(x.cx, f.InstanceID, f.ID, f.Version)
	if err != nil {
		return outcome{}, err
	}
	return outcome{params: params, jump: &jump{ref: flowRef{ID: f.ID, Version: f.Version, Type: f.Type, Name: f.Name}, flow: next}}, nil
}

// Wait results.
const (
	WaitCompleted              = "WaitCompleted"
	CustomerReturned           = "CustomerReturned"
	BotParticipantDisconnected = "BotParticipantDisconnected"
)

func (x *exec) wait(a *Action) outcome {
	v, ok := a.ParamString("TimeLimitSeconds")
	if !ok {
		v, _ = a.ParamString("TimeoutSeconds")
	}
	resolved := x.value(v)
	events, _ := a.ParamStrings("Events")
	params := map[string]any{"TimeLimitSeconds": resolved}
	if len(events) > 0 {
		params["Events"] = events
	}
	secs, err := strconv.Atoi(strings.TrimSpace(resolved))
	if err != nil || secs < 1 || secs > MaxWaitSeconds {
		return outcome{errType: NoMatchingError, errMsg: fmt.Sprintf("the wait time %q is not a number of seconds from 1 to %d", resolved, MaxWaitSeconds), params: params}
	}
	if x.whisper != "" {
		return outcome{errType: NoMatchingError, errMsg: "a whisper cannot wait", params: params}
	}
	if contains(events, BotParticipantDisconnected) {
		bot, err := x.botPresent()
		if err != nil {
			return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}
		}
		if !bot {
			return outcome{errType: "ParticipantNotFound", errMsg: "the Wait is for a bot to leave, but no bot is in the chat", params: params}
		}
	}
	return outcome{params: params, pause: &pause{Kind: pauseWait, Due: x.now.Add(time.Duration(secs) * time.Second), Events: events}}
}

// botPresent reports whether a custom bot is in the chat.
func (x *exec) botPresent() (bool, error) {
	ps, err := x.cx.ListParticipants(x.cx.Contact.ID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Role == store.RoleCustomBot && p.State != store.ParticipantLeft {
			return true, nil
		}
	}
	return false, nil
}

func (x *exec) loop(a *Action) outcome {
	v, _ := a.ParamString("LoopCount")
	count, err := strconv.Atoi(strings.TrimSpace(x.value(v)))
	if err != nil || count < 0 {
		count = 0
	}
	if count > 100 {
		count = 100
	}
	key := x.ref.ID + "/" + a.Identifier
	if x.st.Loops == nil {
		x.st.Loops = map[string]int{}
	}
	n := x.st.Loops[key]
	params := map[string]any{"LoopCount": count}
	if n < count {
		x.st.Loops[key] = n + 1
		return outcome{result: "ContinueLooping", hasResult: true, params: params}
	}
	delete(x.st.Loops, key)
	return outcome{result: "DoneLooping", hasResult: true, params: params}
}

// resourceID returns the last path element of an ARN, or the ID as is.
func resourceID(idOrARN string) string {
	idOrARN = strings.TrimSpace(idOrARN)
	if !strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN
	}
	// Agent queues' ARNs end in queue/agent/<user>.
	if i := strings.Index(idOrARN, "/queue/agent/"); i >= 0 {
		return routing.AgentQueuePrefix + idOrARN[i+len("/queue/agent/"):]
	}
	if i := strings.LastIndexByte(idOrARN, '/'); i >= 0 {
		return idOrARN[i+1:]
	}
	return idOrARN
}

// isNotFound reports whether err is a caller-facing "not found" fault.
func isNotFound(err error) bool {
	var f *fault.Error
	return errors.As(err, &f) && f.Code == fault.NotFound
}
