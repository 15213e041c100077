package flow_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/webhook"
)

// Flow-building helpers: every test flow starts at the action "start".

func doc(actions ...string) string {
	return `{"Version":"2019-10-30","StartAction":"start","Actions":[` + strings.Join(actions, ",\n") + `]}`
}

func jstr(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// msg sends text and goes on to next, also on error.
func msg(id, text, next string) string {
	return fmt.Sprintf(`{"Identifier":%s,"Type":"MessageParticipant","Parameters":{"Text":%s},
		"Transitions":{"NextAction":%s,"Errors":[{"NextAction":%s,"ErrorType":"NoMatchingError"}]}}`,
		jstr(id), jstr(text), jstr(next), jstr(next))
}

// say sends text and disconnects.
func say(id, text string) string { return msg(id, text, "bye") }

const bye = `{"Identifier":"bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}`

// cond is one condition of a Transitions.Conditions list.
func cond(op, operand, next string) string {
	return fmt.Sprintf(`{"NextAction":%s,"Condition":{"Operator":%s,"Operands":[%s]}}`, jstr(next), jstr(op), jstr(operand))
}

// compare compares value (a reference) with conditions; noMatch ("" for
// none) is the NoMatchingCondition branch.
func compare(id, value, noMatch string, conds ...string) string {
	errs := ""
	if noMatch != "" {
		errs = fmt.Sprintf(`,"Errors":[{"NextAction":%s,"ErrorType":"NoMatchingCondition"}]`, jstr(noMatch))
	}
	return fmt.Sprintf(`{"Identifier":%s,"Type":"Compare","Parameters":{"ComparisonValue":%s},
		"Transitions":{"Conditions":[%s]%s}}`, jstr(id), jstr(value), strings.Join(conds, ","), errs)
}

// block is an action with parameters (JSON), a NextAction and a
// NoMatchingError branch ("" for none).
func block(id, typ, params, next, onError string) string {
	t := fmt.Sprintf(`"NextAction":%s`, jstr(next))
	if next == "" {
		t = `"NextAction":null`
	}
	if onError != "" {
		t += fmt.Sprintf(`,"Errors":[{"NextAction":%s,"ErrorType":"NoMatchingError"}]`, jstr(onError))
	}
	return fmt.Sprintf(`{"Identifier":%s,"Type":%s,"Parameters":%s,"Transitions":{%s}}`, jstr(id), jstr(typ), params, t)
}

// raw is an action with hand-written transitions.
func raw(id, typ, params, transitions string) string {
	return fmt.Sprintf(`{"Identifier":%s,"Type":%s,"Parameters":%s,"Transitions":%s}`, jstr(id), jstr(typ), params, transitions)
}

// logWant checks a field (a dotted path) of the last flow-log record of
// an action (its first record if the id starts with "^", as a paused
// block logs on entry and on resuming); a want starting with "~" is a
// substring.
type logWant struct{ id, field, want string }

type blockCase struct {
	name     string
	flow     string
	attrs    map[string]string
	setup    func(t *testing.T, b *blocksEnv) // before the flow is published
	act      func(t *testing.T, b *blocksEnv, c *customer)
	async    bool // the messages arrive after an external call: poll for them
	msgs     []string
	active   bool              // the contact is still active (else: ended by the flow)
	reason   string            // disconnect reason; CONTACT_FLOW_DISCONNECT when empty
	want     map[string]string // attributes; "{{contact}}" and "{{instanceARN}}" are filled in
	noAttr   []string          // attributes that must not exist
	logs     []logWant
	check    func(t *testing.T, b *blocksEnv, c *customer)
	flowType string
}

// blocksEnv is one driver's env with the resources the cases share.
type blocksEnv struct {
	*env
	ids map[string]string // substituted as {{name}} in flows and attributes
	fn  *fnServer
}

const ordersARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"

// fnServer is the function endpoint: each path a behaviour, each request's
// signature checked with the secret of the function registered for it.
type fnServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	secrets map[string]string // path → secret
	bodies  map[string][]byte // path → last verified body
	bad     []string          // signature or body problems
	hang    chan struct{}     // /hang answers when this closes
	hung    chan struct{}     // closed when /hang received its request
	hangEnd chan struct{}     // closed when /hang answered
}

func newFnServer(t *testing.T) *fnServer {
	f := &fnServer{secrets: map[string]string{}, bodies: map[string][]byte{},
		hang: make(chan struct{}), hung: make(chan struct{}), hangEnd: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		select {
		case <-f.hang:
		default:
			close(f.hang)
		}
		f.srv.Close()
	})
	return f
}

func (f *fnServer) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bad = append(f.bad, fmt.Sprintf(format, args...))
}

func (f *fnServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	secret := f.secrets[r.URL.Path]
	f.mu.Unlock()
	if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		f.problem("%s: %v", r.URL.Path, err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Name    string
		Details struct {
			ContactData struct {
				ContactId  string
				Channel    string
				Attributes map[string]string
			}
			Parameters map[string]string
		}
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Name != "ContactFlowEvent" || ev.Details.ContactData.ContactId == "" || ev.Details.ContactData.Channel != "CHAT" {
		f.problem("%s: body %s (%v)", r.URL.Path, body, err)
	}
	f.mu.Lock()
	f.bodies[r.URL.Path] = body
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/ok":
		io.WriteString(w, `{"status":"shipped","eta":2,"gift":false}`)
	case "/json":
		io.WriteString(w, `{"order":{"total":42.5,"lines":[{"sku":"A"}]},"ok":true}`)
	case "/500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case "/badjson":
		io.WriteString(w, `{"status":`)
	case "/slow":
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-r.Context().Done():
		}
		io.WriteString(w, `{"status":"late"}`)
	case "/hang":
		close(f.hung)
		select {
		case <-f.hang:
		case <-r.Context().Done():
		}
		io.WriteString(w, `{"status":"late"}`)
		close(f.hangEnd)
	}
}

// register registers a function for a path of the server.
func (b *blocksEnv) register(t *testing.T, arn, path string) {
	fn, err := b.flows.RegisterFunction(b.ctx, b.boot.InstanceID, arn, b.fn.srv.URL+path, false)
	if err != nil {
		t.Fatalf("register %s: %v", arn, err)
	}
	b.fn.mu.Lock()
	b.fn.secrets[path] = fn.Secret
	b.fn.mu.Unlock()
}

func (b *blocksEnv) body(path string) []byte {
	b.fn.mu.Lock()
	defer b.fn.mu.Unlock()
	return b.fn.bodies[path]
}

func newBlocksEnv(t *testing.T, e *env) *blocksEnv {
	b := &blocksEnv{env: e, ids: map[string]string{"basicQueue": e.boot.BasicQueueID, "instance": e.boot.InstanceID}}
	hours := func(name string, days ...string) string {
		var cfg []routing.HoursConfig
		for _, d := range days {
			cfg = append(cfg, routing.HoursConfig{Day: d, StartTime: routing.TimeOfDay{Hours: 0}, EndTime: routing.TimeOfDay{Hours: 23, Minutes: 59}})
		}
		h, err := e.r.CreateHoursOfOperation(e.ctx, e.boot.InstanceID, routing.HoursOfOperation{Name: name, TimeZone: "UTC", Config: cfg})
		if err != nil {
			t.Fatalf("create hours %s: %v", name, err)
		}
		return h.ID
	}
	// The clock is Monday 2026-03-02 10:00 UTC and the cases advance it
	// by minutes only.
	b.ids["hoursOpen"] = hours("Blocks open", "MONDAY")
	b.ids["hoursClosed"] = hours("Blocks closed", "SATURDAY", "SUNDAY")
	queue := func(name, hoursID string) string {
		q, err := e.r.CreateQueue(e.ctx, e.boot.InstanceID, routing.Queue{Name: name, HoursOfOperationID: hoursID})
		if err != nil {
			t.Fatalf("create queue %s: %v", name, err)
		}
		return q.ID
	}
	// No routing profile serves these queues: contacts stay in them.
	b.ids["openQueue"] = queue("Blocks open queue", b.ids["hoursOpen"])
	b.ids["closedQueue"] = queue("Blocks closed queue", b.ids["hoursClosed"])
	b.ids["countQueue"] = queue("Blocks count", b.ids["hoursOpen"])
	b.ids["disabledQueue"] = queue("Blocks disabled", b.ids["hoursOpen"])
	if err := e.r.UpdateQueueStatus(e.ctx, e.boot.InstanceID, b.ids["disabledQueue"], routing.QueueDisabled); err != nil {
		t.Fatal(err)
	}
	// Cleo is an agent who stays offline.
	u, err := e.dir.CreateUser(e.ctx, e.boot.InstanceID, auth.NewUser{
		Username: "cleo", Password: "Password-123456", IdentityInfo: auth.IdentityInfo{FirstName: "Cleo"},
		SecurityProfileIDs: []string{auth.AgentProfileID}, RoutingProfileID: e.boot.RoutingProfileID,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.ids["cleo"] = u.ID
	b.fn = newFnServer(t)
	b.register(t, ordersARN, "/ok")
	b.register(t, "orders-json", "/json")
	b.register(t, "orders-500", "/500")
	b.register(t, "orders-badjson", "/badjson")
	b.register(t, "orders-slow", "/slow")
	b.register(t, "orders-hang", "/hang")
	return b
}

func (b *blocksEnv) fill(s string) string {
	pairs := []string{}
	for k, v := range b.ids {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// start starts a chat like env.startChat, but a chat its flow ends at
// once has no customer connection (it cannot send).
func (b *blocksEnv) start(flowID string, attrs map[string]string) *customer {
	b.t.Helper()
	out, err := b.chat.StartChat(b.ctx, b.boot.InstanceID, chat.StartInput{ContactFlowID: flowID, DisplayName: "Ana", Attributes: attrs})
	if err != nil {
		b.t.Fatalf("start chat: %v", err)
	}
	c := &customer{e: b.env, contactID: out.ContactID}
	if b.contact(out.ContactID).State != store.ContactActive {
		return c
	}
	conn, err := b.chat.CreateConnection(b.ctx, out.ParticipantToken, []string{chat.ConnCredentials})
	if err != nil && b.contact(out.ContactID).State != store.ContactActive {
		return c // an external call's result ended it meanwhile
	} else if err != nil {
		b.t.Fatalf("connect customer: %v", err)
	}
	if c.sess, err = b.chat.Authenticate(b.ctx, conn.ConnectionToken, store.TokenConnection); err != nil && b.contact(out.ContactID).State == store.ContactActive {
		b.t.Fatalf("authenticate customer: %v", err)
	}
	return c
}

// firstLog returns the first flow-log record of an action (a paused
// block's entry record).
func (b *blocksEnv) firstLog(contactID, identifier string) map[string]any {
	b.t.Helper()
	for _, m := range b.logs(contactID) {
		if m["Identifier"] == identifier {
			return m
		}
	}
	b.t.Fatalf("no flow log of %s for contact %s", identifier, contactID)
	return nil
}

// field walks a flow-log record by a dotted path.
func field(m map[string]any, path string) string {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "<missing>"
		}
		if cur, ok = obj[seg]; !ok {
			return "<missing>"
		}
	}
	switch v := cur.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		raw, _ := json.Marshal(v)
		return string(raw)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// identifiers lists the Identifier of each flow-log record.
func identifiers(logs []map[string]any) []string {
	var out []string
	for _, l := range logs {
		id, _ := l["Identifier"].(string)
		out = append(out, id)
	}
	return out
}

// compareCase is a Compare of $.Attributes.v against one condition.
func compareCase(op, operand string, value *string, match bool) blockCase {
	attrs := map[string]string{}
	label := "missing"
	if value != nil {
		attrs["v"] = *value
		label = strconv.Quote(*value)
	}
	want := "no match"
	if match {
		want = "match"
	}
	return blockCase{
		name: fmt.Sprintf("compare/%s %q %s", op, operand, label),
		flow: doc(
			compare("start", "$.Attributes.v", "nomatch", cond(op, operand, "match")),
			say("match", "match"), say("nomatch", "no match"), bye),
		attrs: attrs,
		msgs:  []string{want},
		logs: []logWant{
			{"start", "ContactFlowModuleType", "Compare"},
			{"start", "Parameters.ComparisonValue", attrs["v"]},
			{"start", "NextAction", strings.ReplaceAll(want, " ", "")},
		},
	}
}

func ptr(s string) *string { return &s }

func blockCases() []blockCase {
	cases := []blockCase{
		compareCase("Equals", "gold", ptr("gold"), true),
		compareCase("Equals", "gold", ptr("Gold"), false),
		compareCase("TextStartsWith", "ord-", ptr("ord-1234"), true),
		compareCase("TextStartsWith", "ord-", ptr("my ord-1234"), false),
		compareCase("TextEndsWith", "@example.com", ptr("ana@example.com"), true),
		compareCase("TextEndsWith", "@example.com", ptr("ana@example.com.evil"), false),
		compareCase("TextContains", "refund", ptr("I want a refund now"), true),
		compareCase("TextContains", "refund", ptr("I want a new one"), false),
		compareCase("NumberGreaterThan", "10", ptr("10.5"), true),
		compareCase("NumberGreaterThan", "10", ptr("10"), false),
		compareCase("NumberGreaterOrEqualTo", "10", ptr("10"), true),
		compareCase("NumberGreaterOrEqualTo", "10", ptr("9.99"), false),
		compareCase("NumberLessThan", "3", ptr("-1"), true),
		compareCase("NumberLessThan", "3", ptr("3"), false),
		compareCase("NumberLessOrEqualTo", "3", ptr("3"), true),
		compareCase("NumberLessOrEqualTo", "3", ptr("3.01"), false),
		compareCase("NumberLessThan", "3", ptr("two"), false),
		compareCase("NumberGreaterThan", "10", ptr("Infinity"), false),
		compareCase("NumberLessThan", "10", ptr("-inf"), false),
		compareCase("NumberLessOrEqualTo", "10", ptr("NaN"), false),
		compareCase("NumberGreaterThan", "10", ptr("1e3"), true),
		compareCase("NumberGreaterOrEqualTo", "10", ptr(" 12 "), true),
		compareCase("NumberGreaterThan", "0", ptr(""), false),
		compareCase("NumberLessOrEqualTo", "100", nil, false),
		compareCase("TextContains", "a", nil, false),
		{
			name: "compare/first true condition wins",
			flow: doc(
				compare("start", "$.Attributes.total", "small",
					cond("NumberGreaterThan", "100", "big"), cond("NumberGreaterThan", "10", "medium")),
				say("big", "big"), say("medium", "medium"), say("small", "small"), bye),
			attrs: map[string]string{"total": "500"},
			msgs:  []string{"big"},
		},
		{
			name: "compare/no branch for no match is a dangling end",
			flow: doc(
				compare("start", "$.Attributes.v", "", cond("Equals", "x", "x")),
				say("x", "x"), bye),
			attrs: map[string]string{"v": "y"},
			msgs:  nil,
			logs:  []logWant{{"start", "Results", "y"}, {"start", "NextAction", "<missing>"}},
		},

		// Loop.
		{
			name: "loop/count 2",
			flow: doc(
				msg("start", "begin", "loop"),
				raw("loop", "Loop", `{"LoopCount":"2"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "tick")+","+cond("Equals", "DoneLooping", "done")+`]}`),
				msg("tick", "tick", "loop"), say("done", "done"), bye),
			msgs: []string{"begin", "tick", "tick", "done"},
			logs: []logWant{{"loop", "Results", "DoneLooping"}, {"loop", "Parameters.LoopCount", "2"}},
		},
		{
			name: "loop/count from an attribute",
			flow: doc(
				raw("start", "Loop", `{"LoopCount":"$.Attributes.n"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "tick")+","+cond("Equals", "DoneLooping", "done")+`]}`),
				msg("tick", "tick", "start"), say("done", "done"), bye),
			attrs: map[string]string{"n": "3"},
			msgs:  []string{"tick", "tick", "tick", "done"},
		},
		{
			name: "loop/count 0 is done at once",
			flow: doc(
				raw("start", "Loop", `{"LoopCount":"$.Attributes.n"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "tick")+","+cond("Equals", "DoneLooping", "done")+`]}`),
				msg("tick", "tick", "start"), say("done", "done"), bye),
			attrs: map[string]string{"n": "0"},
			msgs:  []string{"done"},
		},
		{
			name: "loop/a second pass restarts the count",
			flow: doc(
				raw("start", "Loop", `{"LoopCount":"2"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "round")+","+cond("Equals", "DoneLooping", "done")+`]}`),
				msg("round", "round", "inner"),
				raw("inner", "Loop", `{"LoopCount":"2"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "tick")+","+cond("Equals", "DoneLooping", "start")+`]}`),
				msg("tick", "tick", "inner"), say("done", "done"), bye),
			msgs: []string{"round", "tick", "tick", "round", "tick", "tick", "done"},
		},

		// DistributeByPercentage.
		{
			name: "distribute/result 1-100 picks the branch of its threshold",
			flow: doc(
				raw("start", "DistributeByPercentage", `{}`, `{"Conditions":[`+
					cond("NumberLessThan", "31", "a")+","+cond("NumberLessThan", "101", "b")+
					`],"Errors":[{"NextAction":"none","ErrorType":"NoMatchingCondition"}]}`),
				say("a", "A"), say("b", "B"), say("none", "none"), bye),
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				// Run more chats: each result is 1–100 and picks its branch.
				ids := []string{c.contactID}
				for range 15 {
					ids = append(ids, b.start(b.ids["flow"], nil).contactID)
				}
				for _, id := range ids {
					l := b.lastLog(id, "start")
					n, err := strconv.Atoi(field(l, "Results"))
					if err != nil || n < 1 || n > 100 {
						t.Fatalf("DistributeByPercentage result %q, want 1-100", field(l, "Results"))
					}
					want := []string{"B"}
					if n < 31 {
						want = []string{"A"}
					}
					if got := b.messages(id); !slices.Equal(got, want) {
						t.Fatalf("result %d: messages %q, want %q", n, got, want)
					}
				}
			},
			msgs: nil, // checked above
		},
		{
			name: "distribute/one branch of 100%",
			flow: doc(
				raw("start", "DistributeByPercentage", `{}`, `{"Conditions":[`+cond("NumberLessThan", "101", "all")+
					`],"Errors":[{"NextAction":"none","ErrorType":"NoMatchingCondition"}]}`),
				say("all", "all"), say("none", "none"), bye),
			msgs: []string{"all"},
		},

		// Contact data.
		{
			name: "attributes/references",
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"copy":"$.Attributes.x","id":"$.ContactId",
					"ch":"$.Channel","inst":"$.InstanceARN","mixed":"x=$.Attributes.x!","none":"$.Attributes.nothing"}}`, "say", "failed"),
				say("say", "Saved $.Attributes.copy on $.Attributes.ch."), say("failed", "failed"), bye),
			attrs: map[string]string{"x": "forty-two"},
			msgs:  []string{"Saved forty-two on CHAT."},
			want: map[string]string{"x": "forty-two", "copy": "forty-two", "id": "{{contact}}", "ch": "CHAT",
				"inst": "{{instanceARN}}", "mixed": "x=forty-two!", "none": ""},
			logs: []logWant{{"start", "Parameters.copy", "forty-two"}, {"start", "Parameters.ch", "CHAT"}, {"start", "NextAction", "say"}},
		},
		{
			name: "attributes/more than 32 KB in all takes the error branch",
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"a":"$.Attributes.big","b":"$.Attributes.big"}}`, "say", "failed"),
				say("say", "saved"), say("failed", "too big"), bye),
			attrs:  map[string]string{"big": strings.Repeat("x", 12000)},
			msgs:   []string{"too big"},
			noAttr: []string{"a", "b"},
			logs:   []logWant{{"start", "Error", "~bytes"}},
		},
		{
			name: "attributes/a key from a reference",
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"$.Attributes.k":"yes"}}`, "say", "failed"),
				say("say", "saved"), say("failed", "no key"), bye),
			attrs: map[string]string{"k": "opted-in"},
			msgs:  []string{"saved"},
			want:  map[string]string{"opted-in": "yes"},
		},
		{
			name: "attributes/an empty key takes the error branch",
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"$.Attributes.k":"yes"}}`, "say", "failed"),
				say("say", "saved"), say("failed", "no key"), bye),
			msgs: []string{"no key"},
			logs: []logWant{{"start", "Error", "~empty"}},
		},
		{
			name: "contact data/Name and LanguageCode in a message",
			flow: doc(
				block("start", "UpdateContactData", `{"Name":"Order $.Attributes.order","LanguageCode":"de-DE","Description":"Chat about $.Attributes.order"}`, "say", "failed"),
				say("say", "$.Name ($.LanguageCode): $.Description"), say("failed", "failed"), bye),
			attrs: map[string]string{"order": "A-17"},
			msgs:  []string{"Order A-17 (de-DE): Chat about A-17"},
			logs:  []logWant{{"start", "Parameters.Name", "Order A-17"}, {"start", "ContactFlowModuleType", "UpdateContactData"}},
		},
		{
			name: "tag contact",
			flow: doc(
				block("start", "TagContact", `{"Tags":{"team":"billing","order":"$.Attributes.order"}}`, "say", ""),
				say("say", "tagged"), bye),
			attrs: map[string]string{"order": "A-17"},
			msgs:  []string{"tagged"},
			logs:  []logWant{{"start", "Parameters.team", "billing"}, {"start", "Parameters.order", "A-17"}, {"start", "NextAction", "say"}},
		},
		{
			name: "logging disabled writes no further records",
			flow: doc(
				msg("start", "one", "off"),
				block("off", "UpdateFlowLoggingBehavior", `{"FlowLoggingBehavior":"Disabled"}`, "two", ""),
				msg("two", "two", "on"),
				block("on", "UpdateFlowLoggingBehavior", `{"FlowLoggingBehavior":"Enabled"}`, "three", ""),
				say("three", "three"), bye),
			msgs: []string{"one", "two", "three"},
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				if got := identifiers(b.logs(c.contactID)); !slices.Equal(got, []string{"start", "off", "on", "three", "bye"}) {
					t.Fatalf("flow-log records of %q, want none between off and on", got)
				}
			},
		},
		{
			name: "message/empty once rendered takes the error branch",
			flow: doc(
				raw("start", "MessageParticipant", `{"Text":"$.Attributes.missing"}`,
					`{"NextAction":"next","Errors":[{"NextAction":"fallback","ErrorType":"NoMatchingError"}]}`),
				say("next", "next"), say("fallback", "fallback"), bye),
			msgs: []string{"fallback"},
			logs: []logWant{{"start", "ErrorType", "NoMatchingError"}, {"start", "Error", "~empty"}, {"start", "NextAction", "fallback"}},
		},
		{
			name:  "message/references end at punctuation",
			flow:  doc(say("start", "Hi $.Attributes.firstName. It costs 5$. ($.Attributes.missing) $.Attributes.first-name!"), bye),
			attrs: map[string]string{"firstName": "Ana", "first-name": "Bo"},
			msgs:  []string{"Hi Ana. It costs 5$. () Bo!"},
		},
		{
			name: "message/a value is not rendered again",
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"copy":"$.Attributes.evil"}}`, "say", "bye"),
				say("say", "Echo: $.Attributes.copy"), bye),
			attrs: map[string]string{"evil": "$.ContactId $.Attributes.secret", "secret": "s3cret"},
			msgs:  []string{"Echo: $.ContactId $.Attributes.secret"},
			want:  map[string]string{"copy": "$.ContactId $.Attributes.secret"},
		},
		{
			name: "message/a prompt is voice only",
			flow: doc(
				raw("start", "MessageParticipant", `{"PromptId":"arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/prompt/p-1"}`,
					`{"NextAction":"next","Errors":[{"NextAction":"fallback","ErrorType":"NoMatchingError"}]}`),
				say("next", "next"), say("fallback", "fallback"), bye),
			msgs: []string{"fallback"},
			logs: []logWant{{"start", "Error", "~Text"}},
		},
		{
			name: "message/longer than 6000 characters takes the error branch",
			flow: doc(
				raw("start", "MessageParticipant", `{"Text":"Note: $.Attributes.long"}`,
					`{"NextAction":"next","Errors":[{"NextAction":"fallback","ErrorType":"NoMatchingError"}]}`),
				say("next", "next"), say("fallback", "fallback"), bye),
			attrs: map[string]string{"long": strings.Repeat("x", 6000)},
			msgs:  []string{"fallback"},
			logs:  []logWant{{"start", "Error", "~6006 characters"}},
		},
		{
			name: "queue/$.Queue of a standard queue and of an agent's queue",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"{{openQueue}}"}`, "say", "failed"),
				msg("say", "$.Queue.Name $.Queue.ARN", "agent"),
				block("agent", "UpdateContactTargetQueue", `{"AgentId":"$.Attributes.agentArn"}`, "say2", "failed"),
				msg("say2", "$.Queue.Name $.Queue.ARN", "reset"),
				block("reset", "UpdateContactTargetQueue", `{"QueueId":"{{basicQueue}}"}`, "agentQueue", "failed"),
				block("agentQueue", "UpdateContactTargetQueue", `{"QueueId":"$.Attributes.agentQueue"}`, "say3", "failed"),
				say("say3", "$.Queue.Name"), say("failed", "failed"), bye),
			attrs: map[string]string{"agentArn": "arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/agent/{{cleo}}",
				"agentQueue": "arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/queue/agent/{{cleo}}"},
			msgs: []string{"Blocks open queue arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/queue/{{openQueue}}",
				"cleo arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/queue/agent/{{cleo}}", "cleo"},
			logs: []logWant{{"agent", "Parameters.AgentId", "{{cleo}}"}},
		},
		{
			name:  "hours/an agent's queue has none",
			flow:  hoursFlow(`{}`),
			attrs: map[string]string{"q": "arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/queue/agent/{{cleo}}"},
			msgs:  []string{"hours unknown"},
			logs:  []logWant{{"check", "Error", "~agent"}},
		},
		{
			name: "queue/transfer to an agent's queue",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"AgentId":"{{cleo}}"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"failed","ErrorType":"QueueAtCapacity"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("failed", "failed"), bye),
			active: true,
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				if r := b.routingOf(c.contactID); r.State != store.RoutingQueued || r.TargetUserID != b.ids["cleo"] {
					t.Fatalf("routing after TransferContactToQueue to an agent: %+v", r)
				}
			},
		},
		{
			name: "transfer to flow/another inbound flow",
			setup: func(t *testing.T, b *blocksEnv) {
				b.ids["next"] = b.createFlow("Blocks next", flow.ContactFlow, doc(
					msg("start", "In the next flow, $.Attributes.who.", "mark"),
					block("mark", "UpdateContactAttributes", `{"Attributes":{"visited":"next"}}`, "bye", "bye"), bye), nil)
			},
			flow: doc(
				block("start", "UpdateContactAttributes", `{"Attributes":{"who":"Ana"}}`, "xfer", "xfer"),
				block("xfer", "TransferToFlow", `{"ContactFlowId":"arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/contact-flow/{{next}}"}`, "", "failed"),
				say("failed", "transfer failed"), bye),
			msgs: []string{"In the next flow, Ana."},
			want: map[string]string{"who": "Ana", "visited": "next"},
			logs: []logWant{{"xfer", "NextAction", "start"}, {"xfer", "Parameters.ContactFlowId", "{{next}}"},
				{"mark", "ContactFlowName", "Blocks next"}},
		},
		{
			name: "transfer to flow/a Wait in the flow transferred to",
			setup: func(t *testing.T, b *blocksEnv) {
				b.ids["next2"] = b.createFlow("Blocks next wait", flow.ContactFlow, doc(
					msg("start", "in next", "pause"),
					raw("pause", "Wait", `{"TimeLimitSeconds":"60"}`, `{"NextAction":"after","Conditions":[`+cond("Equals", "WaitCompleted", "after")+`]}`),
					say("after", "after the wait in next"), bye), nil)
			},
			flow: doc(
				block("start", "TransferToFlow", `{"ContactFlowId":"{{next2}}"}`, "", "failed"),
				say("failed", "transfer failed"), bye),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				b.fire(61 * time.Second)
			},
			msgs: []string{"in next", "after the wait in next"},
			logs: []logWant{{"after", "ContactFlowName", "Blocks next wait"}, {"pause", "Results", "WaitCompleted"}},
		},
		{
			name: "transfer to flow/a draft that was never published is an error",
			setup: func(t *testing.T, b *blocksEnv) {
				f, err := b.flows.CreateFlow(b.ctx, b.boot.InstanceID, flow.NewFlow{Name: "Blocks draft", Type: flow.ContactFlow,
					Content: doc(say("start", "draft"), bye), Status: store.FlowSaved})
				if err != nil {
					t.Fatal(err)
				}
				b.ids["draft"] = f.ID
			},
			flow: doc(
				block("start", "TransferToFlow", `{"ContactFlowId":"$.Attributes.target"}`, "", "failed"),
				say("failed", "transfer failed"), bye),
			attrs: map[string]string{"target": "{{draft}}"},
			msgs:  []string{"transfer failed"},
			logs:  []logWant{{"start", "Error", "~never been published"}},
		},
		{
			name: "transfer to flow/a missing flow is an error",
			flow: doc(
				block("start", "TransferToFlow", `{"ContactFlowId":"$.Attributes.target"}`, "", "failed"),
				say("failed", "transfer failed"), bye),
			attrs: map[string]string{"target": "arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/contact-flow/nope"},
			msgs:  []string{"transfer failed"},
			logs:  []logWant{{"start", "Error", "~does not exist"}},
		},
		{
			name: "loop/counts across waits",
			flow: doc(
				raw("start", "Loop", `{"LoopCount":"2"}`, `{"Conditions":[`+
					cond("Equals", "ContinueLooping", "tick")+","+cond("Equals", "DoneLooping", "done")+`]}`),
				msg("tick", "tick", "pause"),
				raw("pause", "Wait", `{"TimeLimitSeconds":"10"}`, `{"NextAction":"start","Conditions":[`+cond("Equals", "WaitCompleted", "start")+`]}`),
				say("done", "done"), bye),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				b.fire(11 * time.Second)
				b.fire(11 * time.Second)
			},
			msgs: []string{"tick", "tick", "done"},
		},
		{
			name: "transfer to flow/a customer queue flow is an error",
			setup: func(t *testing.T, b *blocksEnv) {
				b.ids["qflow"] = b.createFlow("Blocks queue flow", flow.CustomerQueue, doc(
					msg("start", "queue flow", "end"), `{"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`), nil)
			},
			flow: doc(
				block("start", "TransferToFlow", `{"ContactFlowId":"$.Attributes.target"}`, "", "failed"),
				say("failed", "transfer failed"), bye),
			attrs: map[string]string{"target": "{{qflow}}"},
			msgs:  []string{"transfer failed"},
			logs:  []logWant{{"start", "ErrorType", "NoMatchingError"}, {"start", "Error", "~CUSTOMER_QUEUE"}},
		},

		// Hooks and routing behavior.
		{
			name: "hooks/a flow of the wrong type is an error",
			setup: func(t *testing.T, b *blocksEnv) {
				if _, ok := b.ids["qflow"]; !ok {
					t.Fatal("the customer queue flow case runs first")
				}
			},
			flow: doc(
				block("start", "UpdateContactEventHooks", `{"EventHooks":{"CustomerRemaining":"$.Attributes.hook"}}`, "say", "failed"),
				say("say", "hook set"), say("failed", "hook refused"), bye),
			attrs: map[string]string{"hook": "{{qflow}}"},
			msgs:  []string{"hook refused"},
			logs:  []logWant{{"start", "Error", "~CustomerRemaining hook needs a CONTACT_FLOW flow"}},
		},
		{
			name: "hooks/a missing flow is an error",
			flow: doc(
				block("start", "UpdateContactEventHooks", `{"EventHooks":{"CustomerQueue":"$.Attributes.hook"}}`, "say", "failed"),
				say("say", "hook set"), say("failed", "hook refused"), bye),
			attrs: map[string]string{"hook": "nope"},
			msgs:  []string{"hook refused"},
		},
		{
			name: "hooks/a UI hook has no effect on chat",
			flow: doc(
				block("start", "UpdateContactEventHooks", `{"EventHooks":{"DefaultAgentUI":"$.Attributes.ui"}}`, "say", "failed"),
				say("say", "hook set"), say("failed", "hook refused"), bye),
			attrs: map[string]string{"ui": "{{next}}"},
			msgs:  []string{"hook set"},
		},
		{
			name: "routing behavior/priority and age reach the queue",
			flow: doc(
				block("start", "UpdateContactRoutingBehavior", `{"QueuePriority":"2"}`, "target", ""),
				block("target", "UpdateContactTargetQueue", `{"QueueId":"{{openQueue}}"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"failed","ErrorType":"QueueAtCapacity"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("failed", "failed"), bye),
			active: true,
			logs:   []logWant{{"start", "Parameters.QueuePriority", "2"}},
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				if r := b.routingOf(c.contactID); r.State != store.RoutingQueued || r.Priority != 2 {
					t.Fatalf("routing after priority 2: %+v", r)
				}
			},
		},

		// Hours.
		{
			name:  "hours/open",
			flow:  hoursFlow(`{"HoursOfOperationId":"{{hoursOpen}}"}`),
			msgs:  []string{"open"},
			logs:  []logWant{{"check", "Results", "True"}},
			check: nil,
		},
		{
			name: "hours/closed",
			flow: hoursFlow(`{"HoursOfOperationId":"arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/operating-hours/{{hoursClosed}}"}`),
			msgs: []string{"closed"},
			logs: []logWant{{"check", "Results", "False"}, {"check", "Parameters.HoursOfOperationId", "{{hoursClosed}}"}},
		},
		{
			name:  "hours/of the working queue, closed",
			flow:  hoursFlow(`{}`),
			attrs: map[string]string{"q": "{{closedQueue}}"},
			msgs:  []string{"closed"},
			logs:  []logWant{{"check", "Parameters.Queue", "{{closedQueue}}"}},
		},
		{
			name:  "hours/of the working queue, open",
			flow:  hoursFlow(`{}`),
			attrs: map[string]string{"q": "{{openQueue}}"},
			msgs:  []string{"open"},
		},
		{
			name: "hours/no working queue is an error",
			flow: doc(raw("start", "CheckHoursOfOperation", `{}`, `{"NextAction":"closed","Conditions":[`+
				cond("Equals", "True", "open")+","+cond("Equals", "False", "closed")+
				`],"Errors":[{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("open", "open"), say("closed", "closed"), say("failed", "hours unknown"), bye),
			msgs: []string{"hours unknown"},
			logs: []logWant{{"start", "Error", "~no working queue"}},
		},

		// Metrics.
		{
			name: "metrics/contacts in queue",
			setup: func(t *testing.T, b *blocksEnv) {
				queueIn := b.createFlow("Blocks queue me", flow.ContactFlow, doc(
					block("start", "UpdateContactTargetQueue", `{"QueueId":"{{countQueue}}"}`, "xfer", "bye"),
					raw("xfer", "TransferContactToQueue", `{}`, `{"NextAction":"bye","Errors":[{"NextAction":"bye","ErrorType":"QueueAtCapacity"},{"NextAction":"bye","ErrorType":"NoMatchingError"}]}`),
					bye), b.ids)
				for range 2 {
					c := b.start(queueIn, nil)
					if r := b.routingOf(c.contactID); r.State != store.RoutingQueued || r.QueueID != b.ids["countQueue"] {
						t.Fatalf("routing of a queued contact: %+v", r)
					}
				}
			},
			flow: doc(
				raw("start", "CheckMetricData", `{"MetricType":"NumberOfContactsInQueue","QueueId":"{{countQueue}}"}`,
					`{"Conditions":[`+cond("Equals", "2", "two")+","+cond("NumberGreaterThan", "2", "many")+
						`],"Errors":[{"NextAction":"other","ErrorType":"NoMatchingCondition"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("two", "two waiting"), say("many", "many waiting"), say("other", "other"), say("failed", "failed"), bye),
			msgs: []string{"two waiting"},
			logs: []logWant{{"start", "Results", "2"}, {"start", "Parameters.MetricType", "NumberOfContactsInQueue"}},
		},
		{
			name: "metrics/queue size of the working queue via GetMetricData",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"$.Attributes.q"}`, "get", "failed"),
				block("get", "GetMetricData", `{"QueueChannel":"Chat"}`, "say", "failed"),
				say("say", "$.Metrics.Queue.Name: $.Metrics.Queue.Size waiting"), say("failed", "failed"), bye),
			attrs: map[string]string{"q": "{{countQueue}}"},
			msgs:  []string{"Blocks count: 2 waiting"},
		},
		{
			name: "metrics/no agent available",
			flow: staffingFlow(),
			msgs: []string{"nobody"},
			logs: []logWant{{"start", "Results", "0"}},
		},
		{
			name: "metrics/an agent available",
			setup: func(t *testing.T, b *blocksEnv) {
				b.agent("bob", "Bob")
			},
			flow: staffingFlow(),
			msgs: []string{"staffed: BasicQueue has 1 available"},
			logs: []logWant{{"start", "Results", "1"}},
		},

		// Queues.
		{
			name: "queue/missing queue given dynamically",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"$.Attributes.q"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}`),
				say("failed", "no such queue"), bye),
			attrs: map[string]string{"q": "arn:aws:connect:eu-west-1:000000000000:instance/{{instance}}/queue/nope"},
			msgs:  []string{"no such queue"},
			logs:  []logWant{{"start", "ContactFlowModuleType", "SetQueue"}, {"start", "ErrorType", "NoMatchingError"}, {"start", "Parameters.Queue", "nope"}},
		},
		{
			name: "queue/empty queue given dynamically",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"$.Attributes.q"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}`),
				say("failed", "no such queue"), bye),
			msgs: []string{"no such queue"},
		},
		{
			name: "queue/transfer with no working queue",
			flow: doc(
				raw("start", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"full","ErrorType":"QueueAtCapacity"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("full", "full"), say("failed", "no queue set"), bye),
			msgs: []string{"no queue set"},
			logs: []logWant{{"start", "Error", "~no working queue"}, {"start", "NextAction", "failed"}},
		},
		{
			name: "queue/disabled queue is at capacity",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"{{disabledQueue}}"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"full","ErrorType":"QueueAtCapacity"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("full", "full"), say("failed", "failed"), bye),
			msgs: []string{"full"},
			logs: []logWant{{"xfer", "ErrorType", "QueueAtCapacity"}, {"xfer", "NextAction", "full"}},
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				if r, err := b.st.GetContactRouting(b.ctx, b.boot.InstanceID, c.contactID); err == nil && r.State == store.RoutingQueued {
					t.Fatalf("routing of a contact refused by a disabled queue: %+v", r)
				}
			},
		},
		{
			name: "queue/transfer queues the contact and leaves the flow",
			flow: doc(
				block("start", "UpdateContactTargetQueue", `{"QueueId":"{{openQueue}}"}`, "xfer", "failed"),
				raw("xfer", "TransferContactToQueue", `{}`, `{"Errors":[{"NextAction":"failed","ErrorType":"QueueAtCapacity"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("failed", "failed"), bye),
			active: true,
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				if r := b.routingOf(c.contactID); r.State != store.RoutingQueued || r.QueueID != b.ids["openQueue"] {
					t.Fatalf("routing after TransferContactToQueue: %+v", r)
				}
			},
		},

		// Wait.
		{
			name:  "wait/dynamic time",
			flow:  waitFlow(`{"TimeLimitSeconds":"$.Attributes.secs"}`),
			attrs: map[string]string{"secs": "90"},
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				b.fire(89 * time.Second)
				if got := b.messages(c.contactID); !slices.Equal(got, []string{"waiting"}) {
					t.Fatalf("messages 89 s into a 90 s wait: %q", got)
				}
				b.fire(2 * time.Second)
			},
			msgs: []string{"waiting", "done waiting"},
			logs: []logWant{{"wait", "Results", "WaitCompleted"}, {"^wait", "Parameters.TimeLimitSeconds", "90"}},
		},
		{
			name:  "wait/invalid dynamic time",
			flow:  waitFlow(`{"TimeLimitSeconds":"$.Attributes.secs"}`),
			attrs: map[string]string{"secs": "soon"},
			msgs:  []string{"waiting", "bad wait"},
			logs:  []logWant{{"wait", "ErrorType", "NoMatchingError"}, {"wait", "Error", "~soon"}},
		},
		{
			name:  "wait/dynamic time beyond 7 days",
			flow:  waitFlow(`{"TimeLimitSeconds":"$.Attributes.secs"}`),
			attrs: map[string]string{"secs": "604801"},
			msgs:  []string{"waiting", "bad wait"},
		},
		{
			name: "wait/TimeoutSeconds",
			flow: waitFlow(`{"TimeoutSeconds":"30"}`),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				b.fire(29 * time.Second)
				if got := b.contact(c.contactID); got.State != store.ContactActive {
					t.Fatalf("contact 29 s into a 30 s wait: %s", got.State)
				}
				b.fire(time.Second)
			},
			msgs: []string{"waiting", "done waiting"},
		},
		{
			name: "wait/missing dynamic time",
			flow: waitFlow(`{"TimeLimitSeconds":"$.Attributes.secs"}`),
			msgs: []string{"waiting", "bad wait"},
		},
		{
			name: "wait/without CustomerReturned ignores the customer",
			flow: waitFlow(`{"TimeLimitSeconds":"60"}`),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				c.send("hello?")
				if got := b.messages(c.contactID); !slices.Equal(got, []string{"waiting", "hello?"}) {
					t.Fatalf("messages after the customer wrote during a plain wait: %q", got)
				}
				b.fire(61 * time.Second)
			},
			msgs: []string{"waiting", "hello?", "done waiting"},
		},
		{
			name: "wait/CustomerReturned",
			flow: waitFlow(`{"TimeLimitSeconds":"60","Events":["CustomerReturned"]}`),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				c.send("I'm here")
				b.fire(61 * time.Second) // the old timer is stale
			},
			msgs: []string{"waiting", "I'm here", "welcome back"},
			logs: []logWant{{"wait", "Results", "CustomerReturned"}},
		},

		// Ending.
		{
			name: "end/EndFlowExecution ends an inbound chat",
			flow: doc(msg("start", "bye now", "end"), `{"Identifier":"end","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`),
			msgs: []string{"bye now"},
			logs: []logWant{{"end", "ContactFlowModuleType", "EndFlowExecution"}},
		},
		{
			name: "end/GetParticipantInput takes its error branch",
			flow: doc(
				raw("start", "GetParticipantInput", `{"Text":"Press 1 or 2","InputTimeLimitSeconds":"5","StoreInput":"False"}`,
					`{"NextAction":"one","Conditions":[`+cond("Equals", "1", "one")+`],"Errors":[{"NextAction":"one","ErrorType":"NoMatchingCondition"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("one", "one"), say("failed", "no input on chat"), bye),
			msgs: []string{"no input on chat"},
			logs: []logWant{{"start", "ErrorType", "NoMatchingError"}, {"start", "Error", "~bot"}},
		},
		{
			name: "end/ConnectParticipantWithLexBot takes its error branch",
			flow: doc(
				raw("start", "ConnectParticipantWithLexBot", `{"Text":"How can I help?","LexV2Bot":{"AliasArn":"arn:aws:lex:eu-west-1:123456789012:bot-alias/ABCDEFGHIJ/TSTALIASID"}}`,
					`{"NextAction":"failed","Conditions":[`+cond("Equals", "Order", "order")+`],"Errors":[{"NextAction":"failed","ErrorType":"NoMatchingCondition"},{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
				say("order", "order"), say("failed", "no bot"), bye),
			msgs: []string{"no bot"},
			logs: []logWant{{"start", "ErrorType", "NoMatchingError"}, {"start", "Error", "~no bot"}},
		},

		// Versions: a paused contact finishes the version it started.
		{
			name: "versions/a paused contact keeps its version",
			flow: doc(
				msg("start", "v1 start", "wait"),
				raw("wait", "Wait", `{"TimeLimitSeconds":"60"}`, `{"NextAction":"end","Conditions":[`+cond("Equals", "WaitCompleted", "end")+`]}`),
				say("end", "v1 end"), bye),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				v2 := doc(
					msg("start", "v2 start", "wait"),
					raw("wait", "Wait", `{"TimeLimitSeconds":"60"}`, `{"NextAction":"end","Conditions":[`+cond("Equals", "WaitCompleted", "end")+`]}`),
					say("end", "v2 end"), bye)
				f, err := b.flows.UpdateFlowContent(b.ctx, b.boot.InstanceID, b.ids["flow"], v2)
				if err != nil || f.Version != 2 {
					t.Fatalf("update flow content: version %d, %v", f.Version, err)
				}
				if err := b.flows.DeleteFlow(b.ctx, b.boot.InstanceID, b.ids["flow"]); err != nil {
					t.Fatalf("delete flow: %v", err)
				}
				b.fire(61 * time.Second)
			},
			msgs: []string{"v1 start", "v1 end"},
			logs: []logWant{{"end", "ContactFlowVersion", "1"}, {"wait", "Results", "WaitCompleted"}},
		},

		// Functions.
		{
			name: "function/STRING_MAP result in a Compare and an attribute",
			flow: doc(
				block("start", "InvokeLambdaFunction", `{"LambdaFunctionARN":"`+ordersARN+`","InvocationTimeLimitSeconds":"3",
					"LambdaInvocationAttributes":{"orderId":"$.Attributes.order","contact":"$.ContactId","note":"order $.Attributes.order"}}`, "shipped?", "failed"),
				compare("shipped?", "$.External.status", "other", cond("Equals", "shipped", "copy")),
				block("copy", "UpdateContactAttributes", `{"Attributes":{"orderStatus":"$.External.status","eta":"$.External.eta"}}`, "say", "failed"),
				say("say", "Order $.Attributes.order has shipped, $.Attributes.eta days."),
				say("other", "status $.External.status"), say("failed", "lookup failed"), bye),
			attrs: map[string]string{"order": "A-17"},
			async: true,
			msgs:  []string{"Order A-17 has shipped, 2 days."},
			want:  map[string]string{"orderStatus": "shipped", "eta": "2"},
			logs: []logWant{{"start", "ExternalResults.status", "shipped"}, {"start", "NextAction", "shipped?"},
				{"^start", "Parameters.FunctionArn", ordersARN}, {"^start", "Parameters.Parameters.orderId", "A-17"},
				{"shipped?", "Results", "shipped"}},
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				var ev struct {
					Details struct {
						ContactData struct {
							ContactId  string
							Attributes map[string]string
						}
						Parameters map[string]string
					}
				}
				if err := json.Unmarshal(b.body("/ok"), &ev); err != nil {
					t.Fatal(err)
				}
				d := ev.Details
				if d.ContactData.ContactId != c.contactID || d.ContactData.Attributes["order"] != "A-17" {
					t.Fatalf("the function saw contact data %+v", d.ContactData)
				}
				want := map[string]string{"orderId": "A-17", "contact": c.contactID, "note": "order A-17"}
				if !mapsEqual(d.Parameters, want) {
					t.Fatalf("the function saw parameters %v, want %v", d.Parameters, want)
				}
			},
		},
		{
			name: "function/JSON result with a nested value",
			flow: doc(
				block("start", "InvokeLambdaFunction", `{"LambdaFunctionARN":"orders-json","InvocationTimeLimitSeconds":"3",
					"ResponseValidation":{"ResponseType":"JSON"}}`, "say", "failed"),
				say("say", "Total: $.External.order.total ($.External.ok)"), say("failed", "lookup failed"), bye),
			async: true,
			msgs:  []string{"Total: 42.5 (true)"},
		},
		clearsExternal("HTTP 500", "orders-500"),
		clearsExternal("unregistered", "orders-nobody"),
		functionFailure("HTTP 500", "orders-500", "3", "~HTTP 500"),
		functionFailure("invalid JSON", "orders-badjson", "3", "~invalid JSON"),
		functionFailure("slower than its time limit", "orders-slow", "1", "~timed out"),
		functionFailure("STRING_MAP with an object", "orders-json", "3", "~STRING_MAP"),
		functionFailure("unregistered", "arn:aws:lambda:eu-west-1:123456789012:function:nobody", "3", "~no function is registered"),
		{
			name: "function/a lost call takes the error branch once",
			flow: doc(
				block("start", "InvokeLambdaFunction", `{"LambdaFunctionARN":"orders","InvocationTimeLimitSeconds":"3"}`, "hang", "failed"),
				block("hang", "InvokeLambdaFunction", `{"LambdaFunctionARN":"orders-hang","InvocationTimeLimitSeconds":"8"}`, "say", "failed"),
				say("say", "late answer $.External.status"),
				msg("failed", "lookup failed, status [$.External.status]", "wait"),
				raw("wait", "Wait", `{"TimeLimitSeconds":"600"}`, `{"NextAction":"bye","Conditions":[`+cond("Equals", "WaitCompleted", "bye")+`]}`),
				bye),
			act: func(t *testing.T, b *blocksEnv, c *customer) {
				select {
				case <-b.fn.hung:
				case <-time.After(10 * time.Second):
					t.Fatal("the function was not called")
				}
				// The call's time limit (8 s) plus the grace (30 s) pass on
				// the flow's clock while the call still hangs.
				b.fire(38*time.Second + time.Millisecond)
				if got := b.messages(c.contactID); !slices.Equal(got, []string{"lookup failed, status []"}) {
					t.Fatalf("messages after the call's timer fired: %q", got)
				}
				close(b.fn.hang) // the late answer arrives
				<-b.fn.hangEnd
				time.Sleep(300 * time.Millisecond)
				b.fire(time.Second) // a stale timer would fire now
			},
			msgs:   []string{"lookup failed, status []"},
			active: true,
			logs: []logWant{{"start", "NextAction", "hang"}, {"hang", "Error", "~did not finish"}, {"hang", "NextAction", "failed"},
				{"^wait", "Parameters.TimeLimitSeconds", "600"}},
			check: func(t *testing.T, b *blocksEnv, c *customer) {
				n := 0
				for _, l := range b.logs(c.contactID) {
					if l["Identifier"] == "hang" && l["NextAction"] != nil {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("the lost call resumed the flow %d times, want 1", n)
				}
				b.fire(10 * time.Minute)
				if got := b.contact(c.contactID); got.State != store.ContactEnded {
					t.Fatalf("contact after its wait: %s", got.State)
				}
			},
		},
	}
	return cases
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func hoursFlow(params string) string {
	return doc(
		block("start", "UpdateContactTargetQueue", `{"QueueId":"$.Attributes.q"}`, "check", "check"),
		raw("check", "CheckHoursOfOperation", params, `{"NextAction":"closed","Conditions":[`+
			cond("Equals", "True", "open")+","+cond("Equals", "False", "closed")+
			`],"Errors":[{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
		say("open", "open"), say("closed", "closed"), say("failed", "hours unknown"), bye)
}

func staffingFlow() string {
	return doc(
		raw("start", "CheckMetricData", `{"MetricType":"NumberOfAgentsAvailable","QueueId":"{{basicQueue}}"}`,
			`{"NextAction":"nobody","Conditions":[`+cond("NumberGreaterThan", "0", "get")+
				`],"Errors":[{"NextAction":"failed","ErrorType":"NoMatchingError"}]}`),
		block("get", "GetMetricData", `{"QueueId":"{{basicQueue}}"}`, "staffed", "failed"),
		say("staffed", "staffed: $.Metrics.Queue.Name has $.Metrics.Agents.Available.Count available"),
		say("nobody", "nobody"), say("failed", "failed"), bye)
}

func waitFlow(params string) string {
	conds := cond("Equals", "WaitCompleted", "done")
	if strings.Contains(params, "CustomerReturned") {
		conds += "," + cond("Equals", "CustomerReturned", "back")
	}
	return doc(
		msg("start", "waiting", "wait"),
		raw("wait", "Wait", params, `{"NextAction":"done","Conditions":[`+conds+`],"Errors":[{"NextAction":"bad","ErrorType":"NoMatchingError"}]}`),
		say("done", "done waiting"), say("back", "welcome back"), say("bad", "bad wait"), bye)
}

// clearsExternal: a failed call leaves no result of an earlier call in
// $.External (it holds the result of the most recent call).
func clearsExternal(name, arn string) blockCase {
	return blockCase{
		name: "function/a failed call clears $.External: " + name,
		flow: doc(
			block("start", "InvokeLambdaFunction", `{"LambdaFunctionARN":"orders"}`, "again", "failed"),
			block("again", "InvokeLambdaFunction", `{"LambdaFunctionARN":"`+arn+`","InvocationTimeLimitSeconds":"3"}`, "say", "failed"),
			say("say", "status $.External.status"), say("failed", "lookup failed, status [$.External.status]"), bye),
		async: true,
		msgs:  []string{"lookup failed, status []"},
		logs:  []logWant{{"start", "NextAction", "again"}, {"again", "NextAction", "failed"}},
	}
}

// functionFailure is a call that fails: the flow takes NoMatchingError and
// the flow log says why.
func functionFailure(name, arn, secs, why string) blockCase {
	return blockCase{
		name: "function/fails: " + name,
		flow: doc(
			block("start", "InvokeLambdaFunction", `{"LambdaFunctionARN":"`+arn+`","InvocationTimeLimitSeconds":"`+secs+`"}`, "say", "failed"),
			say("say", "status $.External.status"), say("failed", "lookup failed"), bye),
		async: true,
		msgs:  []string{"lookup failed"},
		logs:  []logWant{{"start", "ErrorType", "NoMatchingError"}, {"start", "Error", why}, {"start", "NextAction", "failed"}},
	}
}

// TestBlocks runs each block in a small flow on a real chat contact.
func TestBlocks(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		b := newBlocksEnv(t, e)
		for i, tc := range blockCases() {
			t.Run(tc.name, func(t *testing.T) {
				e.t = t
				if tc.setup != nil {
					tc.setup(t, b)
				}
				ft := tc.flowType
				if ft == "" {
					ft = flow.ContactFlow
				}
				b.ids["flow"] = e.createFlow(fmt.Sprintf("Blocks case %d", i), ft, b.fill(tc.flow), nil)
				attrs := map[string]string{}
				for k, v := range tc.attrs {
					attrs[k] = b.fill(v)
				}
				c := b.start(b.ids["flow"], attrs)
				if tc.act != nil {
					tc.act(t, b, c)
				}
				run(t, b, c, tc)
			})
		}
	})
}

func run(t *testing.T, b *blocksEnv, c *customer, tc blockCase) {
	t.Helper()
	settled := func() bool {
		got := b.contact(c.contactID)
		return slices.Equal(b.messages(c.contactID), tc.msgs) && (tc.active || got.State == store.ContactEnded)
	}
	for i, m := range tc.msgs {
		tc.msgs[i] = b.fill(m)
	}
	if tc.async {
		waitFor(settled)
	}
	if tc.check == nil || tc.msgs != nil {
		if got := b.messages(c.contactID); !slices.Equal(got, tc.msgs) {
			t.Fatalf("messages %q, want %q\nflow log: %v", got, tc.msgs, b.logs(c.contactID))
		}
	}
	got := b.contact(c.contactID)
	if tc.active {
		if got.State != store.ContactActive {
			t.Fatalf("contact %s (%s), want ACTIVE", got.State, got.DisconnectReason)
		}
	} else {
		reason := tc.reason
		if reason == "" {
			reason = flow.ReasonFlowDisconnect
		}
		if got.State != store.ContactEnded || got.DisconnectReason != reason {
			t.Fatalf("contact %s %q, want ENDED %s\nflow log: %v", got.State, got.DisconnectReason, reason, b.logs(c.contactID))
		}
	}
	fill := strings.NewReplacer("{{contact}}", c.contactID,
		"{{instanceARN}}", "arn:aws:connect:eu-west-1:000000000000:instance/"+b.boot.InstanceID)
	for k, v := range tc.want {
		v = b.fill(fill.Replace(v))
		if w, ok := got.Attributes[k]; !ok || w != v {
			t.Errorf("attribute %s = %q (set: %v), want %q", k, w, ok, v)
		}
	}
	for _, k := range tc.noAttr {
		if _, ok := got.Attributes[k]; ok {
			t.Errorf("attribute %s is set", k)
		}
	}
	for _, lw := range tc.logs {
		var l map[string]any
		if id, ok := strings.CutPrefix(lw.id, "^"); ok {
			l = b.firstLog(c.contactID, id)
		} else {
			l = b.lastLog(c.contactID, lw.id)
		}
		gotF, want := field(l, lw.field), b.fill(lw.want)
		if sub, ok := strings.CutPrefix(want, "~"); ok {
			if !strings.Contains(gotF, sub) {
				t.Errorf("flow log of %s: %s = %q, want it to contain %q", lw.id, lw.field, gotF, sub)
			}
		} else if gotF != want {
			t.Errorf("flow log of %s: %s = %q, want %q\nrecord: %v", lw.id, lw.field, gotF, want, l)
		}
	}
	if tc.check != nil {
		tc.check(t, b, c)
	}
	b.fn.mu.Lock()
	bad := b.fn.bad
	b.fn.bad = nil
	b.fn.mu.Unlock()
	for _, p := range bad {
		t.Errorf("function endpoint: %s", p)
	}
}
