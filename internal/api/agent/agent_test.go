package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/api/agent"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/timer"
)

// waitFor bounds every wait for something asynchronous (an offer, an
// event); passing tests never come near it.
const waitFor = 10 * time.Second

const agentPassword = "Agent-Passw0rd"

// server is the workspace API in process over a real SQLite store, with
// chat, routing (its dispatcher running) and timers, on a bootstrapped
// instance with an admin and one agent.
type server struct {
	t       *testing.T
	url     string
	handler *agent.Handler
	chat    *chat.Service
	routing *routing.Service
	flows   *flow.Service
	dir     *auth.Directory
	boot    bootstrap.Result
	adminID string
	agentID string
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := bootstrap.Ensure(ctx, st, dir, "us-east-1", time.Now(), log); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, bootstrap.File))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t}
	if err := json.Unmarshal(raw, &s.boot); err != nil {
		t.Fatal(err)
	}

	b := local.New()
	s.chat = chat.New(st, b, chat.Config{Logger: log})
	sched := timer.New(st, "test", time.Now, log)
	sched.Poll = 100 * time.Millisecond
	for _, k := range chat.TimerKinds {
		sched.Handle(k, s.chat.HandleTimer)
	}
	s.routing = routing.New(st, b, s.chat, routing.Config{Logger: log, KickTimers: sched.Kick})
	flows := flow.New(st, s.chat, s.routing, flow.Config{Logger: log, KickTimers: sched.Kick})
	s.flows = flows
	s.chat.SetHooks(flows)
	s.routing.SetFlowHooks(flows)
	for _, k := range flow.TimerKinds {
		sched.Handle(k, flows.HandleTimer)
	}
	for _, k := range routing.TimerKinds {
		sched.Handle(k, s.routing.HandleTimer)
	}
	s.dir = auth.NewDirectory(st, nil, log)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sched.Run(runCtx) }()
	go func() { defer wg.Done(); s.routing.Run(runCtx) }()
	t.Cleanup(func() { stop(); wg.Wait() })

	admin, err := s.dir.UserByName(ctx, s.boot.InstanceID, s.boot.AdminUsername)
	if err != nil {
		t.Fatalf("admin user: %v", err)
	}
	s.adminID = admin.ID
	u, err := s.dir.CreateUser(ctx, s.boot.InstanceID, auth.NewUser{
		Username: "agent1", Password: agentPassword, IdentityInfo: auth.IdentityInfo{FirstName: "Ada", LastName: "Agent"},
		PhoneConfig: &auth.PhoneConfig{PhoneType: auth.SoftPhone}, SecurityProfileIDs: []string{auth.AgentProfileID},
		RoutingProfileID: s.boot.RoutingProfileID,
	})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	s.agentID = u.ID

	s.handler = agent.New(agent.Deps{Routing: s.routing, Directory: s.dir, Flows: flows, Log: log})
	mux := http.NewServeMux()
	s.handler.Register(mux)
	ts := httptest.NewServer(mux)
	s.url = ts.URL
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.handler.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}

// startChat starts a chat with the bootstrap inbound flow (it waits in
// BasicQueue) and returns its contact ID.
func (s *server) startChat() string {
	s.t.Helper()
	out, err := s.chat.StartChat(context.Background(), s.boot.InstanceID, chat.StartInput{ContactFlowID: s.boot.InboundFlowID, DisplayName: "Customer"})
	if err != nil {
		s.t.Fatalf("StartChat: %v", err)
	}
	return out.ContactID
}

// client is a logged-in (or not) workspace.
type client struct {
	s      *server
	cookie *http.Cookie
	csrf   string
	userID string
}

// response is an API answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the error code of an error answer.
func (r response) errorCode() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// req is one request; zero fields take the client's defaults.
type req struct {
	method, path string
	body         any
	noCSRF       bool
	csrf         string // overrides the session's
	origin       string
}

func (c *client) send(q req) response {
	c.s.t.Helper()
	var raw []byte
	switch b := q.body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	r, err := http.NewRequest(q.method, c.s.url+q.path, bytes.NewReader(raw))
	if err != nil {
		c.s.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if c.cookie != nil {
		r.AddCookie(c.cookie)
	}
	switch {
	case q.csrf != "":
		r.Header.Set(agent.CSRFHeader, q.csrf)
	case !q.noCSRF && c.csrf != "":
		r.Header.Set(agent.CSRFHeader, c.csrf)
	}
	if q.origin != "" {
		r.Header.Set("Origin", q.origin)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// ok sends a request that must answer 200 and decodes its body into out
// (if not nil).
func (c *client) ok(method, path string, body, out any) {
	c.s.t.Helper()
	r := c.send(req{method: method, path: path, body: body})
	if r.status != http.StatusOK {
		c.s.t.Fatalf("%s %s: got %d %s, want 200", method, path, r.status, r.body)
	}
	if out != nil {
		r.decode(c.s.t, out)
	}
}

func (s *server) anonymous() *client { return &client{s: s} }

// login logs in and fails the test if it does not work.
func (s *server) login(username, password string) *client {
	s.t.Helper()
	c := s.anonymous()
	r := c.send(req{method: "POST", path: "/api/agent/login", body: map[string]string{"username": username, "password": password}})
	if r.status != http.StatusOK {
		s.t.Fatalf("login %s: got %d %s, want 200", username, r.status, r.body)
	}
	var out struct {
		User      struct{ ID string }
		CSRFToken string
	}
	r.decode(s.t, &out)
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == agent.CookieName {
			c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	if c.cookie == nil || out.CSRFToken == "" || out.User.ID == "" {
		s.t.Fatalf("login %s: no session cookie, CSRF token or user in %s", username, r.body)
	}
	c.csrf, c.userID = out.CSRFToken, out.User.ID
	return c
}

func (s *server) loginAgent() *client { return s.login("agent1", agentPassword) }
func (s *server) loginAdmin() *client { return s.login(s.boot.AdminUsername, s.boot.AdminPassword) }

// frame is one event socket frame.
type frame struct {
	Type       string                  `json:"type"`
	ContactID  string                  `json:"contactId"`
	State      *routing.AgentState     `json:"state"`
	Status     *routing.StatusView     `json:"status"`
	Assignment *routing.AssignmentView `json:"assignment"`
}

// stream is an open event socket: a reader goroutine turns its frames
// into a channel and records how it closed.
type stream struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan frame
	mu     sync.Mutex
	err    error // why reading stopped
}

func (c *client) events() *stream {
	c.s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	h := http.Header{}
	h.Set("Cookie", c.cookie.String())
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.s.url, "http")+"/api/agent/events", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.s.t.Fatalf("dial events: %v (HTTP %d)", err, status)
	}
	st := &stream{t: c.s.t, ws: ws, frames: make(chan frame, 256)}
	go func() {
		defer close(st.frames)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				st.mu.Lock()
				st.err = err
				st.mu.Unlock()
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				st.mu.Lock()
				st.err = err
				st.mu.Unlock()
				return
			}
			st.frames <- f
		}
	}()
	c.s.t.Cleanup(func() { ws.CloseNow() })
	return st
}

// next returns the first frame of a type (for a contact, if given),
// skipping others.
func (st *stream) next(typ, contactID string) frame {
	st.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case f, ok := <-st.frames:
			if !ok {
				st.t.Fatalf("waiting for %q: socket closed: %v", typ, st.closeErr())
			}
			if f.Type == typ && (contactID == "" || f.ContactID == contactID) {
				return f
			}
		case <-deadline:
			st.t.Fatalf("no %q event for contact %q within %v", typ, contactID, waitFor)
		}
	}
}

// closed waits for the socket to close and returns its close code.
func (st *stream) closed() websocket.StatusCode {
	st.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case _, ok := <-st.frames:
			if !ok {
				return websocket.CloseStatus(st.closeErr())
			}
		case <-deadline:
			st.t.Fatalf("socket still open after %v", waitFor)
		}
	}
}

func (st *stream) closeErr() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

func contactPath(contactID, action string) string {
	return "/api/agent/contacts/" + contactID + "/" + action
}

func (c *client) setStatus(statusID string) routing.StatusView {
	c.s.t.Helper()
	var out struct{ Status routing.StatusView }
	c.ok("PUT", "/api/agent/status", map[string]string{"statusId": statusID}, &out)
	return out.Status
}

// state returns the caller's agent state from /me.
func (c *client) state() routing.AgentState {
	c.s.t.Helper()
	var me struct{ State routing.AgentState }
	c.ok("GET", "/api/agent/me", nil, &me)
	return me.State
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.anonymous()
	tests := []struct {
		name       string
		body       any
		origin     string
		wantStatus int
		wantCode   string
	}{
		{"wrong password", map[string]string{"username": "agent1", "password": "Wrong-Passw0rd"}, "", 401, "InvalidCredentials"},
		{"unknown user", map[string]string{"username": "nobody", "password": agentPassword}, "", 401, "InvalidCredentials"},
		{"unknown instance", map[string]string{"username": "agent1", "password": agentPassword, "instance": "nope"}, "", 401, "InvalidCredentials"},
		{"no password", map[string]string{"username": "agent1"}, "", 400, "InvalidParameter"},
		{"unknown field", map[string]string{"username": "agent1", "password": agentPassword, "role": "admin"}, "", 400, "InvalidRequest"},
		{"not JSON", "{", "", 400, "InvalidRequest"},
		{"too large", `{"username":"` + strings.Repeat("a", agent.MaxBody) + `"}`, "", 413, "InvalidRequest"},
		{"foreign origin", map[string]string{"username": "agent1", "password": agentPassword}, "https://evil.example", 403, "AccessDenied"},
		{"by instance alias", map[string]string{"username": "agent1", "password": agentPassword, "instance": "parley"}, "", 200, ""},
		{"same origin", map[string]string{"username": "agent1", "password": agentPassword}, s.url, 200, ""},
	}
	messages := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.send(req{method: "POST", path: "/api/agent/login", body: tt.body, origin: tt.origin})
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.status, r.body, tt.wantStatus, tt.wantCode)
			}
			if r.status == 401 {
				var e struct{ Error struct{ Message string } }
				r.decode(t, &e)
				messages[e.Error.Message] = true
			}
		})
	}
	if len(messages) != 1 {
		t.Errorf("failed logins answered %d different messages (%v), want one", len(messages), messages)
	}

	t.Run("cookie and body", func(t *testing.T) {
		r := c.send(req{method: "POST", path: "/api/agent/login", body: map[string]string{"username": "agent1", "password": agentPassword}})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		var out struct {
			User struct {
				ID, Username, DisplayName string
			}
			CSRFToken string
			ExpiresAt time.Time
		}
		r.decode(t, &out)
		if out.User.ID != s.agentID || out.User.Username != "agent1" || out.User.DisplayName != "Ada" || out.CSRFToken == "" || time.Until(out.ExpiresAt) < time.Hour {
			t.Errorf("login body: %s", r.body)
		}
		if strings.Contains(string(r.body), "PasswordHash") || strings.Contains(string(r.body), "argon2") {
			t.Errorf("login body shows the password hash: %s", r.body)
		}
		raw := r.header.Get("Set-Cookie")
		for _, want := range []string{agent.CookieName + "=", "Path=/api/agent", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(raw, want) {
				t.Errorf("Set-Cookie %q lacks %q", raw, want)
			}
		}
		if strings.Contains(raw, "Secure") {
			t.Errorf("Set-Cookie %q is Secure on plain HTTP without SecureCookies", raw)
		}
	})
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	h := agent.New(agent.Deps{Routing: s.routing, Directory: s.dir, SecureCookies: true})
	mux := http.NewServeMux()
	h.Register(mux)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/api/agent/login", strings.NewReader(`{"username":"agent1","password":"`+agentPassword+`"}`))
	mux.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Set-Cookie"), "Secure") {
		t.Fatalf("login with SecureCookies: %d, Set-Cookie %q, want a Secure cookie", w.Code, w.Header().Get("Set-Cookie"))
	}
}

func TestSessionCSRFAndOrigin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	stranger := s.anonymous()
	forged := &client{s: s, cookie: &http.Cookie{Name: agent.CookieName, Value: "forged"}, csrf: "x"}
	tests := []struct {
		name       string
		c          *client
		q          req
		wantStatus int
		wantCode   string
	}{
		{"no cookie", stranger, req{method: "GET", path: "/api/agent/me"}, 401, "Unauthenticated"},
		{"forged cookie", forged, req{method: "GET", path: "/api/agent/me"}, 401, "Unauthenticated"},
		{"no cookie on a change", stranger, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusAvailableID}}, 401, "Unauthenticated"},
		{"no CSRF token", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusAvailableID}, noCSRF: true}, 403, "AccessDenied"},
		{"wrong CSRF token", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusAvailableID}, csrf: "nope"}, 403, "AccessDenied"},
		{"no CSRF token on logout", c, req{method: "POST", path: "/api/agent/logout", noCSRF: true}, 403, "AccessDenied"},
		{"foreign origin", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusAvailableID}, origin: "https://evil.example"}, 403, "AccessDenied"},
		{"null origin", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusOfflineID}, origin: "null"}, 403, "AccessDenied"},
		{"same origin", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusOfflineID}, origin: s.url}, 200, ""},
		{"GET needs no CSRF token", c, req{method: "GET", path: "/api/agent/me", noCSRF: true}, 200, ""},
		{"unknown field", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": routing.StatusOfflineID, "extra": "x"}}, 400, "InvalidRequest"},
		{"no status", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{}}, 400, "InvalidParameter"},
		{"unknown status", c, req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": "nope"}}, 404, "NotFound"},
		{"contact ID too long", c, req{method: "POST", path: contactPath(strings.Repeat("c", agent.MaxIDLength+1), "accept")}, 400, "InvalidParameter"},
		{"unknown contact", c, req{method: "POST", path: contactPath("c-1", "accept")}, 404, "NotFound"},
		{"body on a bodiless action", c, req{method: "POST", path: contactPath("c-1", "reject"), body: map[string]string{"why": "x"}}, 400, "InvalidRequest"},
		{"transfer to two targets", c, req{method: "POST", path: contactPath("c-1", "transfer"), body: map[string]string{"queueId": "a", "userId": "b"}}, 400, "InvalidParameter"},
		{"unknown endpoint", c, req{method: "GET", path: "/api/agent/nope"}, 404, "NotFound"},
	}
	for _, tt := range tests { // in order: one session throughout
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.send(tt.q)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Fatalf("%s %s: got %d %s, want %d %q", tt.q.method, tt.q.path, r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name      string
		login     func() *client
		wantPerms []string
		wantNot   []string
	}{
		{"agent", s.loginAgent, []string{auth.PermBasicAgentAccess}, []string{auth.PermManagerListenIn, auth.PermAccessMetrics}},
		{"admin", s.loginAdmin, auth.AllPermissions, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.login()
			var me struct {
				User        struct{ ID string }
				CSRFToken   string
				State       routing.AgentState
				Permissions []string
			}
			c.ok("GET", "/api/agent/me", nil, &me)
			if me.User.ID != c.userID || me.CSRFToken != c.csrf {
				t.Errorf("me: user %q csrf %q, want %q and the login's token", me.User.ID, me.CSRFToken, c.userID)
			}
			if me.State.Status.StatusID != routing.StatusOfflineID || me.State.Contacts == nil {
				t.Errorf("me: state %+v, want Offline with an empty contact list", me.State)
			}
			for _, p := range tt.wantPerms {
				if !slices.Contains(me.Permissions, p) {
					t.Errorf("permissions %v lack %s", me.Permissions, p)
				}
			}
			for _, p := range tt.wantNot {
				if slices.Contains(me.Permissions, p) {
					t.Errorf("permissions %v include %s", me.Permissions, p)
				}
			}
		})
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	inst := s.boot.InstanceID
	var made []string
	for _, st := range []routing.AgentStatus{
		{Name: "Lunch", State: "ENABLED"}, // no display order: last
		{Name: "Break", State: "ENABLED", DisplayOrder: 3},
		{Name: "Training", State: "DISABLED", DisplayOrder: 4},
	} {
		out, err := s.routing.CreateAgentStatus(ctx, inst, st)
		if err != nil {
			t.Fatalf("CreateAgentStatus %s: %v", st.Name, err)
		}
		made = append(made, out.ID)
	}
	c := s.loginAgent()
	var out struct {
		Statuses []struct{ ID, Name, Type string }
	}
	c.ok("GET", "/api/agent/statuses", nil, &out)
	var ids []string
	for _, st := range out.Statuses {
		ids = append(ids, st.ID)
	}
	if want := []string{routing.StatusAvailableID, routing.StatusOfflineID, made[1], made[0]}; !slices.Equal(ids, want) {
		t.Fatalf("statuses: got %v (%+v), want Available, Offline, Break, Lunch", ids, out.Statuses)
	}

	tests := []struct {
		name       string
		statusID   string
		wantStatus int
		wantName   string
		routable   bool
	}{
		{"available", routing.StatusAvailableID, 200, "Available", true},
		{"custom", made[1], 200, "Break", false},
		{"disabled", made[2], 400, "", false},
		{"offline", routing.StatusOfflineID, 200, "Offline", false},
	}
	for _, tt := range tests { // in order: one agent
		t.Run(tt.name, func(t *testing.T) {
			r := c.send(req{method: "PUT", path: "/api/agent/status", body: map[string]string{"statusId": tt.statusID}})
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if r.status != 200 {
				return
			}
			var got struct{ Status routing.StatusView }
			r.decode(t, &got)
			if got.Status.Name != tt.wantName || got.Status.Routable != tt.routable || got.Status.ChatSlots != 2 {
				t.Fatalf("got %+v, want %s (routable %v) with 2 chat slots", got.Status, tt.wantName, tt.routable)
			}
		})
	}
}

func TestOfferAcceptEndACW(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	ev := c.events()
	if f := ev.next("snapshot", ""); f.State == nil || f.State.Status.StatusID != routing.StatusOfflineID {
		t.Fatalf("snapshot: got %+v, want the Offline state", f.State)
	}
	c.setStatus(routing.StatusAvailableID)
	if f := ev.next("status", ""); f.Status == nil || !f.Status.Routable {
		t.Fatalf("status event: got %+v, want routable", f.Status)
	}

	contactID := s.startChat()
	offer := ev.next(routing.EventOffer, contactID)
	if offer.Assignment == nil || offer.Assignment.QueueID != s.boot.BasicQueueID {
		t.Fatalf("offer: got %+v, want one from BasicQueue", offer.Assignment)
	}
	var contacts struct{ Contacts []routing.AgentContact }
	c.ok("GET", "/api/agent/contacts", nil, &contacts)
	if len(contacts.Contacts) != 1 || contacts.Contacts[0].Assignment.State != "OFFERED" || contacts.Contacts[0].CustomerName != "Customer" {
		t.Fatalf("contacts while offered: %+v", contacts.Contacts)
	}

	var acc routing.Accepted
	c.ok("POST", contactPath(contactID, "accept"), nil, &acc)
	if acc.ContactID != contactID || acc.ParticipantToken == "" {
		t.Fatalf("accept: got %+v", acc)
	}
	ev.next(routing.EventContactConnected, contactID)
	if _, err := s.chat.CreateConnection(context.Background(), acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
		t.Fatalf("CreateConnection with the accepted participant token: %v", err)
	}
	if r := c.send(req{method: "POST", path: contactPath(contactID, "accept")}); r.status != 409 {
		t.Fatalf("accept twice: got %d %s, want 409", r.status, r.body)
	}

	var again routing.Accepted
	c.ok("POST", contactPath(contactID, "token"), nil, &again)
	if again.ParticipantID != acc.ParticipantID || again.ParticipantToken == "" {
		t.Fatalf("token: got %+v, want a token for participant %s", again, acc.ParticipantID)
	}
	if _, err := s.chat.CreateConnection(context.Background(), again.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
		t.Fatalf("CreateConnection with the reissued participant token: %v", err)
	}

	if r := c.send(req{method: "POST", path: contactPath(contactID, "complete-acw")}); r.status != 400 {
		t.Fatalf("complete-acw while connected: got %d %s, want 400", r.status, r.body)
	}
	c.ok("POST", contactPath(contactID, "end"), nil, nil)
	ev.next(routing.EventContactACW, contactID)
	c.ok("GET", "/api/agent/contacts", nil, &contacts)
	// The default flows set a disconnect flow: the chat stays open,
	// waiting for the customer to return, while the agent wraps up.
	if len(contacts.Contacts) != 1 || contacts.Contacts[0].Assignment.State != "ACW" || contacts.Contacts[0].ContactState != "ACTIVE" {
		t.Fatalf("contacts after end: %+v, want one ACTIVE contact (in its disconnect flow) in ACW", contacts.Contacts)
	}
	c.ok("POST", contactPath(contactID, "complete-acw"), nil, nil)
	ev.next(routing.EventContactDone, contactID)
	if st := c.state(); len(st.Contacts) != 0 || st.Status.ChatsUsed != 0 {
		t.Fatalf("state after ACW: %+v, want no contacts and no slot used", st)
	}
}

func TestRejectAndTransfer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	inst := s.boot.InstanceID
	c := s.loginAgent()
	ev := c.events()
	ev.next("snapshot", "")
	c.setStatus(routing.StatusAvailableID)

	contactID := s.startChat()
	ev.next(routing.EventOffer, contactID)
	c.ok("POST", contactPath(contactID, "reject"), nil, nil)
	ev.next(routing.EventOfferRejected, contactID)
	if st := c.state(); st.Status.Name != routing.StateRejected || st.Status.Routable {
		t.Fatalf("status after reject: %+v, want Rejected and not routable", st.Status)
	}

	// Available again, the contact comes back to the only agent.
	c.setStatus(routing.StatusAvailableID)
	ev.next(routing.EventOffer, contactID)
	c.ok("POST", contactPath(contactID, "accept"), nil, nil)

	// A quick connect to a queue the agent does not serve, on BasicQueue.
	basic, err := s.routing.Queue(ctx, inst, s.boot.BasicQueueID)
	if err != nil {
		t.Fatal(err)
	}
	esc, err := s.routing.CreateQueue(ctx, inst, routing.Queue{Name: "Escalations", HoursOfOperationID: basic.HoursOfOperationID})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	qc, err := s.routing.CreateQuickConnect(ctx, inst, routing.QuickConnect{Name: "To escalations", Config: routing.QuickConnectConfig{
		Type: routing.QuickConnectTypeQueue, QueueConfig: &routing.QueueQuickConnectConfig{QueueID: esc.ID, ContactFlowID: s.boot.InboundFlowID}}})
	if err != nil {
		t.Fatalf("CreateQuickConnect: %v", err)
	}
	var qcs struct {
		QuickConnects []struct{ ID, Name, Type, QueueID string }
	}
	c.ok("GET", "/api/agent/quick-connects", nil, &qcs)
	if len(qcs.QuickConnects) != 0 {
		t.Fatalf("quick connects before association: %+v, want none", qcs.QuickConnects)
	}
	if err := s.routing.AssociateQueueQuickConnects(ctx, inst, s.boot.BasicQueueID, []string{qc.ID}); err != nil {
		t.Fatalf("AssociateQueueQuickConnects: %v", err)
	}
	c.ok("GET", "/api/agent/quick-connects", nil, &qcs)
	if len(qcs.QuickConnects) != 1 || qcs.QuickConnects[0].ID != qc.ID || qcs.QuickConnects[0].Type != "QUEUE" || qcs.QuickConnects[0].QueueID != esc.ID {
		t.Fatalf("quick connects: %+v, want %s to queue %s", qcs.QuickConnects, qc.ID, esc.ID)
	}

	c.ok("POST", contactPath(contactID, "transfer"), map[string]string{"quickConnectId": qc.ID}, nil)
	ev.next(routing.EventContactACW, contactID)
	live, err := s.routing.LiveContacts(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0].ContactID != contactID || live[0].QueueID != esc.ID || live[0].State != "QUEUED" || live[0].PreviousAgentID != s.agentID {
		t.Fatalf("live contacts after transfer: %+v, want the contact queued in %s with previous agent %s", live, esc.ID, s.agentID)
	}
	if r := c.send(req{method: "POST", path: contactPath(contactID, "transfer"), body: map[string]string{"queueId": s.boot.BasicQueueID}}); r.status != 400 {
		t.Fatalf("transfer of a contact no longer connected: got %d %s, want 400", r.status, r.body)
	}
	c.ok("POST", contactPath(contactID, "complete-acw"), nil, nil)
}

func TestTransferToQueue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	ev := c.events()
	ev.next("snapshot", "")
	c.setStatus(routing.StatusAvailableID)
	contactID := s.startChat()
	ev.next(routing.EventOffer, contactID)
	c.ok("POST", contactPath(contactID, "accept"), nil, nil)
	// Not routable, so the contact waits in BasicQueue instead of coming
	// straight back.
	c.setStatus(routing.StatusOfflineID)
	c.ok("POST", contactPath(contactID, "transfer"), map[string]string{"queueId": s.boot.BasicQueueID}, nil)
	ev.next(routing.EventContactACW, contactID)

	admin := s.loginAdmin()
	var live struct{ Contacts []routing.LiveContact }
	admin.ok("GET", "/api/agent/supervisor/contacts", nil, &live)
	if len(live.Contacts) != 1 || live.Contacts[0].QueueID != s.boot.BasicQueueID || live.Contacts[0].State != "QUEUED" {
		t.Fatalf("live contacts after transfer: %+v, want the contact queued in BasicQueue", live.Contacts)
	}
}

func TestSupervisorAndOtherUsers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	admin := s.loginAdmin()
	contactID := s.startChat()

	tests := []struct {
		name       string
		c          *client
		method     string
		path       string
		body       any
		wantStatus int
	}{
		{"agent lists live contacts", c, "GET", "/api/agent/supervisor/contacts", nil, 403},
		{"agent monitors", c, "POST", "/api/agent/supervisor/contacts/" + contactID + "/monitor", nil, 403},
		{"admin lists live contacts", admin, "GET", "/api/agent/supervisor/contacts", nil, 200},
		{"admin monitors", admin, "POST", "/api/agent/supervisor/contacts/" + contactID + "/monitor", nil, 200},
		{"admin monitors an unknown contact", admin, "POST", "/api/agent/supervisor/contacts/nope/monitor", nil, 404},
		{"monitor with an unknown mode", admin, "POST", "/api/agent/supervisor/contacts/" + contactID + "/monitor", map[string]string{"mode": "SHOUT"}, 400},
		{"agent barges", c, "POST", "/api/agent/supervisor/contacts/" + contactID + "/barge", map[string]string{"participantId": "x"}, 403},
		{"admin barges with no participant", admin, "POST", "/api/agent/supervisor/contacts/" + contactID + "/barge", map[string]string{"participantId": "nope"}, 404},
		{"agent sets the admin's status", c, "PUT", "/api/agent/users/" + s.adminID + "/status", map[string]string{"statusId": routing.StatusAvailableID}, 403},
		{"agent sets their own status by ID", c, "PUT", "/api/agent/users/" + s.agentID + "/status", map[string]string{"statusId": routing.StatusOfflineID}, 200},
		{"admin sets the agent's status", admin, "PUT", "/api/agent/users/" + s.agentID + "/status", map[string]string{"statusId": routing.StatusAvailableID}, 200},
		{"admin sets an unknown user's status", admin, "PUT", "/api/agent/users/nope/status", map[string]string{"statusId": routing.StatusAvailableID}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.send(req{method: tt.method, path: tt.path, body: tt.body})
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
		})
	}
	if st := c.state(); !st.Status.Routable {
		t.Errorf("agent after the admin set them Available: %+v", st.Status)
	}
	t.Run("monitor token joins the chat; barging lets the supervisor write", func(t *testing.T) {
		var acc routing.Accepted
		admin.ok("POST", "/api/agent/supervisor/contacts/"+contactID+"/monitor", nil, &acc)
		if _, err := s.chat.CreateConnection(context.Background(), acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
			t.Fatalf("CreateConnection as supervisor: %v", err)
		}
		sess, err := s.chat.Authenticate(context.Background(), acc.ParticipantToken, "PARTICIPANT")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.chat.SendMessage(context.Background(), sess, "text/plain", "unseen", ""); err == nil {
			t.Fatal("a silent monitor could send a message")
		}
		admin.ok("POST", "/api/agent/supervisor/contacts/"+contactID+"/barge", map[string]string{"participantId": acc.ParticipantID}, nil)
		if _, err := s.chat.SendMessage(context.Background(), sess, "text/plain", "I'm here", ""); err != nil {
			t.Fatalf("after barging: %v", err)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	ev := c.events()
	ev.next("snapshot", "")
	c.setStatus(routing.StatusAvailableID)

	r := c.send(req{method: "POST", path: "/api/agent/logout"})
	if r.status != 200 {
		t.Fatalf("logout: got %d %s", r.status, r.body)
	}
	if raw := r.header.Get("Set-Cookie"); !strings.Contains(raw, agent.CookieName+"=;") || !strings.Contains(raw, "Max-Age=0") {
		t.Errorf("logout Set-Cookie %q does not clear the cookie", raw)
	}
	st, err := s.routing.Agent(context.Background(), s.boot.InstanceID, s.agentID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.StatusID != routing.StatusOfflineID {
		t.Errorf("status after logout: %+v, want Offline", st.Status)
	}
	if code := ev.closed(); code != websocket.StatusPolicyViolation {
		t.Errorf("events socket closed with %d, want %d", code, websocket.StatusPolicyViolation)
	}
	if r := c.send(req{method: "GET", path: "/api/agent/me"}); r.status != 401 {
		t.Errorf("me after logout: got %d, want 401", r.status)
	}
}

func TestEventsSocket(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loginAgent()
	url := "ws" + strings.TrimPrefix(s.url, "http") + "/api/agent/events"
	tests := []struct {
		name       string
		header     http.Header
		wantStatus int
	}{
		{"no cookie", http.Header{}, 401},
		{"foreign origin", http.Header{"Cookie": {c.cookie.String()}, "Origin": {"https://evil.example"}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: tt.header})
			if err == nil {
				ws.CloseNow()
				t.Fatal("dial succeeded")
			}
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("dial: %v, want HTTP %d", err, tt.wantStatus)
			}
		})
	}

	t.Run("shutdown", func(t *testing.T) {
		ev := c.events()
		ev.next("snapshot", "")
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := s.handler.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if code := ev.closed(); code != websocket.StatusGoingAway {
			t.Errorf("socket closed with %d, want %d (going away)", code, websocket.StatusGoingAway)
		}
		h := http.Header{"Cookie": {c.cookie.String()}}
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial after shutdown: %v", err)
		}
		defer ws.CloseNow()
		_, _, err = ws.Read(ctx)
		if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
			t.Errorf("socket opened after shutdown: read %v, want close %d", err, websocket.StatusGoingAway)
		}
	})
}

func TestErrorsAreJSON(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.anonymous().send(req{method: "GET", path: "/api/agent/me"})
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("error answer %d %q (%s): want a JSON error body", r.status, r.body, r.header.Get("Content-Type"))
	}
}
