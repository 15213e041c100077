package flow

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/webhook"
)

// defaultInvokeSeconds is a function call's time limit when the block
// sets none (Connect's limit for synchronous calls).
const defaultInvokeSeconds = 8

// invokeGrace is how long past its time limit a call may take before the
// flow's timer declares it lost (the node making it stopped).
const invokeGrace = 30 * time.Second

// invocation is an external call a paused flow waits for. It is made
// after the transaction that paused the flow commits, never inside it.
type invocation struct {
	fn           webhook.Function
	body         []byte
	timeout      time.Duration
	responseType string
}

// invokeFunction pauses the flow on a call to the function registered
// under the block's LambdaFunctionARN.
func (x *exec) invokeFunction(a *Action) (outcome, error) {
	name, _ := a.ParamString("LambdaFunctionARN")
	name = x.render(name)
	attrs, _ := a.ParamStringMap("LambdaInvocationAttributes")
	params := make(map[string]string, len(attrs))
	for k, v := range attrs {
		params[k] = x.render(v)
	}
	logged := map[string]any{"FunctionArn": name, "Parameters": params}
	// $.External is the result of the most recent call: this one, which
	// may fail before or after it is made (unregistered, timer lost).
	x.st.External = nil
	if x.whisper != "" {
		return outcome{errType: NoMatchingError, errMsg: "a whisper cannot call a function", params: logged}, nil
	}
	fn, ok, err := x.s.LookupFunction(x.cx, x.cx.Contact.InstanceID, name)
	if err != nil {
		return outcome{}, err
	}
	if !ok {
		return outcome{errType: NoMatchingError, errMsg: "no function is registered as " + strconv.Quote(name), params: logged}, nil
	}
	secs := defaultInvokeSeconds
	if v, ok := a.ParamString("InvocationTimeLimitSeconds"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 1 && n <= defaultInvokeSeconds {
			secs = n
		}
	}
	responseType := webhook.StringMap
	if rv, ok := a.ParamObject("ResponseValidation"); ok {
		var t string
		if json.Unmarshal(rv["ResponseType"], &t) == nil && t != "" {
			responseType = t
		}
	}
	body, err := json.Marshal(x.event(params))
	if err != nil {
		return outcome{}, err
	}
	timeout := time.Duration(secs) * time.Second
	x.invoke = &invocation{fn: webhook.Function{ARN: name, URL: fn.URL, Secret: fn.Secret}, body: body, timeout: timeout, responseType: responseType}
	return outcome{params: logged, pause: &pause{Kind: pauseInvoke, Due: x.now.Add(timeout + invokeGrace)}}, nil
}

// contactFlowEvent is the request body a function receives, in the shape
// of Connect's Lambda event.
type contactFlowEvent struct {
	Name    string       `json:"Name"`
	Details eventDetails `json:"Details"`
}

type eventDetails struct {
	ContactData eventContact      `json:"ContactData"`
	Parameters  map[string]string `json:"Parameters"`
}

type eventContact struct {
	Attributes        map[string]string `json:"Attributes"`
	Channel           string            `json:"Channel"`
	ContactID         string            `json:"ContactId"`
	InitialContactID  string            `json:"InitialContactId"`
	PreviousContactID string            `json:"PreviousContactId"`
	InitiationMethod  string            `json:"InitiationMethod"`
	InstanceARN       string            `json:"InstanceARN"`
	LanguageCode      string            `json:"LanguageCode"`
	CustomerEndpoint  any               `json:"CustomerEndpoint"`
	SystemEndpoint    any               `json:"SystemEndpoint"`
	Queue             *eventQueue       `json:"Queue"`
	Name              *string           `json:"Name"`
	Description       *string           `json:"Description"`
	References        map[string]any    `json:"References"`
	MediaStreams      map[string]any    `json:"MediaStreams"`
}

type eventQueue struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

func (x *exec) event(params map[string]string) contactFlowEvent {
	c := x.cx.Contact
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	method, _ := x.lookup("InitiationMethod")
	lang := x.st.Data["LanguageCode"]
	if lang == "" {
		lang = "en-US"
	}
	ev := eventContact{
		Attributes: attrs, Channel: c.Channel, ContactID: c.ID, InitialContactID: c.InitialContactID,
		PreviousContactID: c.PreviousContactID, InitiationMethod: method,
		InstanceARN: x.s.arn(c.InstanceID, "", ""), LanguageCode: lang,
		References: map[string]any{}, MediaStreams: map[string]any{},
	}
	if ev.PreviousContactID == "" {
		ev.PreviousContactID = c.ID
	}
	if name, ok := x.lookup("Queue.Name"); ok {
		arn, _ := x.lookup("Queue.ARN")
		ev.Queue = &eventQueue{ARN: arn, Name: name}
	}
	if v, ok := x.st.Data["Name"]; ok {
		ev.Name = &v
	}
	if v, ok := x.st.Data["Description"]; ok {
		ev.Description = &v
	}
	return contactFlowEvent{Name: "ContactFlowEvent", Details: eventDetails{ContactData: ev, Parameters: params}}
}

// call makes a paused flow's external call and resumes the flow with its
// result, unless the flow moved on meanwhile (its timer declared the call
// lost, or the contact ended).
func (s *Service) call(instanceID, contactID string, gen int, inv *invocation) {
	ctx, cancel := context.WithTimeout(context.Background(), inv.timeout+invokeGrace)
	defer cancel()
	resp, callErr := s.webhooks.Invoke(ctx, inv.fn, inv.body, inv.timeout, inv.responseType)
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		if !cx.Active() {
			return nil
		}
		st, err := load(cx)
		if err != nil || st.Pause == nil || st.Pause.Kind != pauseInvoke || st.Gen != gen {
			return err
		}
		if callErr != nil {
			st.External = nil
			return s.resume(cx, st, failed(NoMatchingError, "%s", callErr.Error()))
		}
		st.External = resp.Values
		return s.resume(cx, st, outcome{})
	})
	if err != nil && !isNotFound(err) {
		s.log.Error("resume flow after function call", "contact_id", contactID, "function", inv.fn.ARN, "err", err)
	}
}
