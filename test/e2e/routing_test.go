package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRoutingBurst drives routing over the real binary the way a contact
// center runs: an admin creates hours, three queues, two routing profiles
// (different queue priorities and chat concurrency) and two agents with
// the Connect API; the agents log in to the workspace API, watch their
// event streams and go Available; a burst of chats waits in the three
// queues. Every chat must be offered to exactly one agent at a time,
// agents must never hold more chats than their concurrency, each agent
// must be offered its best queue first, and every chat must be answered:
// the agent accepts, joins with the participant API, replies, ends the
// chat and clears after-contact work.
func TestRoutingBurst(t *testing.T) {
	t.Parallel()
	bin := Build(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		routingBurst(t, Start(t, bin, Options{}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		routingBurst(t, Start(t, bin, Options{DB: PostgresDB(t)}))
	})
}

// agentSecurityProfile is the built-in Agent security profile.
const agentSecurityProfile = "00000000-0000-4000-a000-000000000003"

// routingBurst runs the burst against one node, or several sharing a
// store and a bus: the admin uses the first, chats start on each in turn,
// and each agent works through a node of their own.
func routingBurst(t *testing.T, nodes ...*Server) {
	srv := nodes[0]
	c := newAPIClient(t, srv)
	inst := srv.Bootstrap.InstanceID
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var days []map[string]any
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"} {
		days = append(days, map[string]any{"Day": d, "StartTime": map[string]int{"Hours": 0, "Minutes": 0}, "EndTime": map[string]int{"Hours": 0, "Minutes": 0}})
	}
	var hours struct{ HoursOfOperationId string }
	must(c.do("PUT", "/hours-of-operations/"+inst, "", map[string]any{"Name": "All day", "TimeZone": "Europe/Berlin", "Config": days}, &hours), "CreateHoursOfOperation")
	queue := map[string]string{}
	for _, name := range []string{"Sales", "Support", "Billing"} {
		var q struct{ QueueId string }
		must(c.do("PUT", "/queues/"+inst, "", map[string]any{"Name": name, "HoursOfOperationId": hours.HoursOfOperationId}, &q), "CreateQueue "+name)
		queue[name] = q.QueueId
	}
	profile := func(name string, chats int, prios map[string]int) string {
		var qc []map[string]any
		for q, p := range prios {
			qc = append(qc, map[string]any{"QueueReference": map[string]string{"QueueId": queue[q], "Channel": "CHAT"}, "Priority": p, "Delay": 0})
		}
		var out struct{ RoutingProfileId string }
		must(c.do("PUT", "/routing-profiles/"+inst, "", map[string]any{
			"Name": name, "Description": name, "DefaultOutboundQueueId": queue["Sales"],
			"MediaConcurrencies": []map[string]any{{"Channel": "CHAT", "Concurrency": chats}}, "QueueConfigs": qc,
		}, &out), "CreateRoutingProfile "+name)
		return out.RoutingProfileId
	}
	// Ann serves Sales first, then Support; Bob serves Billing and Support
	// equally, then Sales.
	concurrency := map[string]int{"ann": 2, "bob": 3}
	profiles := map[string]string{
		"ann": profile("Front", concurrency["ann"], map[string]int{"Sales": 1, "Support": 2}),
		"bob": profile("Back", concurrency["bob"], map[string]int{"Billing": 1, "Support": 1, "Sales": 3}),
	}
	serves := map[string]map[string]int{
		"ann": {queue["Sales"]: 1, queue["Support"]: 2},
		"bob": {queue["Billing"]: 1, queue["Support"]: 1, queue["Sales"]: 3},
	}
	userIDs := map[string]string{}
	for _, name := range []string{"ann", "bob"} {
		var u struct{ UserId string }
		must(c.do("PUT", "/users/"+inst, "", map[string]any{
			"Username": name, "Password": "Passw0rd-" + name, "IdentityInfo": map[string]string{"FirstName": strings.ToUpper(name[:1]) + name[1:]},
			"PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE"}, "SecurityProfileIds": []string{agentSecurityProfile},
			"RoutingProfileId": profiles[name],
		}, &u), "CreateUser "+name)
		userIDs[name] = u.UserId
	}

	// The burst waits in the three queues before anyone is available.
	const perQueue = 6
	queueOf := map[string]string{}
	var chats []startedChat
	for i := range perQueue {
		for j, name := range []string{"Sales", "Support", "Billing"} {
			ch := newAPIClient(t, nodes[(i+j)%len(nodes)]).startChat(fmt.Sprintf("%s customer %d", name, i))
			must(c.do("POST", "/contact/transfer", "", map[string]any{"InstanceId": inst, "ContactId": ch.ContactID,
				"ContactFlowId": srv.Bootstrap.InboundFlowID, "QueueId": queue[name]}, nil), "TransferContact")
			queueOf[ch.ContactID] = queue[name]
			chats = append(chats, ch)
		}
	}
	customers := map[string]connection{}
	for _, ch := range chats {
		conn, err := c.connect(ch.ParticipantToken)
		must(err, "customer connects")
		customers[ch.ContactID] = conn
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	offeredTo := map[string]string{} // contact → agent holding an open offer
	answered := map[string]string{}
	firstQueue := map[string]string{}
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for i, name := range []string{"ann", "bob"} {
		node := nodes[i%len(nodes)]
		ws := loginWorkspace(t, node, name, "Passw0rd-"+name)
		c := newAPIClient(t, node)
		events := ws.events(ctx)
		ws.call("PUT", "/api/agent/status", map[string]string{"statusId": "00000000-0000-4000-b000-000000000001"}, nil)
		wg.Go(func() {
			var held sync.WaitGroup
			defer held.Wait()
			var activeMu sync.Mutex
			active := 0
			for ev := range events {
				if ev.Type != "offer" {
					continue
				}
				contact := ev.ContactID
				mu.Lock()
				if other, ok := offeredTo[contact]; ok {
					mu.Unlock()
					fail("contact %s offered to %s while %s holds an offer", contact, name, other)
					return
				}
				offeredTo[contact] = name
				if _, ok := firstQueue[name]; !ok {
					firstQueue[name] = ev.Assignment.QueueID
				}
				mu.Unlock()
				activeMu.Lock()
				active++
				n := active
				activeMu.Unlock()
				if n > concurrency[name] {
					fail("%s has %d chats, concurrency %d", name, n, concurrency[name])
					return
				}
				if _, ok := serves[name][ev.Assignment.QueueID]; !ok {
					fail("%s offered contact from queue %s it does not serve", name, ev.Assignment.QueueID)
					return
				}
				var acc struct{ ParticipantToken string }
				if err := ws.tryCall("POST", "/api/agent/contacts/"+contact+"/accept", nil, &acc); err != nil {
					fail("%s accept %s: %v", name, contact, err)
					return
				}
				mu.Lock()
				delete(offeredTo, contact)
				mu.Unlock()
				conn, err := c.connect(acc.ParticipantToken)
				if err != nil {
					fail("%s connect: %v", name, err)
					return
				}
				if err := c.do("POST", "/participant/message", conn.ConnectionCredentials.ConnectionToken, map[string]any{
					"ContentType": "text/plain", "Content": "Hello, this is " + name}, nil); err != nil {
					fail("%s send: %v", name, err)
					return
				}
				// Hold the chat a moment, so agents work several at once.
				held.Go(func() {
					time.Sleep(150 * time.Millisecond)
					if err := ws.tryCall("POST", "/api/agent/contacts/"+contact+"/end", nil, nil); err != nil {
						fail("%s end %s: %v", name, contact, err)
						return
					}
					activeMu.Lock()
					active-- // before the slot is freed, so the next offer finds it counted out
					activeMu.Unlock()
					if err := ws.tryCall("POST", "/api/agent/contacts/"+contact+"/complete-acw", nil, nil); err != nil {
						fail("%s complete ACW %s: %v", name, contact, err)
						return
					}
					mu.Lock()
					answered[contact] = name
					done := len(answered) == len(chats)
					mu.Unlock()
					if done {
						cancel()
					}
				})
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("routing burst: %s", strings.Join(failures, "; "))
	}
	if len(answered) != len(chats) {
		t.Fatalf("answered %d of %d chats in time", len(answered), len(chats))
	}
	perAgent := map[string]int{}
	for _, a := range answered {
		perAgent[a]++
	}
	if perAgent["ann"] == 0 || perAgent["bob"] == 0 {
		t.Errorf("one agent took every chat: %v", perAgent)
	}
	t.Logf("answered %d chats: %v", len(answered), perAgent)
	if firstQueue["ann"] != queue["Sales"] {
		t.Errorf("ann's first offer came from %s, want Sales (her priority-1 queue)", firstQueue["ann"])
	}
	if q := firstQueue["bob"]; q != queue["Billing"] && q != queue["Support"] {
		t.Errorf("bob's first offer came from %s, want Billing or Support", q)
	}
	// The agent ended each chat: the default inbound flow's disconnect
	// flow took over and told the customer, who may still reply.
	for _, ch := range chats {
		items, err := c.transcript(customers[ch.ContactID].ConnectionCredentials.ConnectionToken)
		if err != nil {
			t.Fatalf("contact %s: transcript after the agent left: %v", ch.ContactID, err)
		}
		if last := items[len(items)-1]; last.ParticipantRole != "SYSTEM" || !strings.HasPrefix(last.Content, "The agent has left the chat.") {
			t.Errorf("contact %s: last item after the agent left: %+v, want the disconnect flow's message", ch.ContactID, last)
		}
		var desc struct {
			Contact struct {
				QueueInfo struct{ Id string }
				AgentInfo struct {
					Id                        string
					ConnectedToAgentTimestamp float64
				}
				DisconnectReason string
			}
		}
		must(c.do("GET", "/contacts/"+inst+"/"+ch.ContactID, "", nil, &desc), "DescribeContact")
		if desc.Contact.QueueInfo.Id != queueOf[ch.ContactID] || desc.Contact.AgentInfo.Id != userIDs[answered[ch.ContactID]] || desc.Contact.AgentInfo.ConnectedToAgentTimestamp == 0 {
			t.Errorf("contact %s record: %+v, want queue %s and agent %s", ch.ContactID, desc.Contact, queueOf[ch.ContactID], answered[ch.ContactID])
		}
	}
}

// workspace is an agent logged in to the workspace API.
type workspace struct {
	t    *testing.T
	srv  *Server
	http *http.Client
	csrf string
}

func loginWorkspace(t *testing.T, srv *Server, username, password string) *workspace {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	w := &workspace{t: t, srv: srv, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var out struct{ CsrfToken string }
	w.call("POST", "/api/agent/login", map[string]string{"username": username, "password": password}, &out)
	if out.CsrfToken == "" {
		t.Fatalf("login %s: no CSRF token", username)
	}
	w.csrf = out.CsrfToken
	return w
}

func (w *workspace) call(method, path string, in, out any) {
	w.t.Helper()
	if err := w.tryCall(method, path, in, out); err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
}

func (w *workspace) tryCall(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, w.srv.Endpoint+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if w.csrf != "" {
		req.Header.Set("X-CSRF-Token", w.csrf)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%d: %s", resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// agentEvent is an event of the workspace stream.
type agentEvent struct {
	Type       string
	ContactID  string `json:"contactId"`
	Assignment struct {
		QueueID string `json:"queueId"`
	}
}

// events streams the agent's events until ctx ends.
func (w *workspace) events(ctx context.Context) <-chan agentEvent {
	w.t.Helper()
	u := "ws" + strings.TrimPrefix(w.srv.Endpoint, "http") + "/api/agent/events"
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: w.http})
	if err != nil {
		w.t.Fatalf("dial agent events: %v", err)
	}
	out := make(chan agentEvent, 64)
	go func() {
		defer close(out)
		defer conn.CloseNow()
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var ev agentEvent
			if json.Unmarshal(data, &ev) == nil {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
