package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// DefaultNATS is the NATS URL used when PARLEY_TEST_NATS is unset.
const DefaultNATS = "nats://127.0.0.1:4222"

// natsURL returns the NATS server of PARLEY_TEST_NATS (default
// [DefaultNATS]) once it accepts a TCP connection; otherwise it skips the
// test, or fails it when CI=true.
func natsURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("PARLEY_TEST_NATS")
	if raw == "" {
		raw = DefaultNATS
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "nats" || u.Host == "" {
		t.Fatalf("PARLEY_TEST_NATS must be a nats://host:port URL, got %q", raw)
	}
	c, err := net.DialTimeout("tcp", u.Host, 3*time.Second)
	if err != nil {
		SkipOrFail(t, "NATS unreachable at %s: %v", u.Redacted(), err)
	}
	c.Close()
	return raw
}

// chatSocket is a subscribed chat websocket that records the chat items it
// receives, in arrival order.
type chatSocket struct {
	name  string
	ws    *websocket.Conn
	items chan wsItem // closed when the socket ends
	seen  []wsItem    // items taken off items so far
}

// unparsable marks a chat frame whose content was not an item.
const unparsable = "UNPARSABLE"

// wsItem is a chat item as a websocket delivers it.
type wsItem struct {
	Id, Type, ContentType, Content, ParticipantRole string
}

// dialChat opens and subscribes a chat websocket; it is closed when the
// test ends.
func dialChat(t *testing.T, name, wsURL string) *chatSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("%s: websocket dial: %v", name, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)); err != nil {
		t.Fatalf("%s: subscribe: %v", name, err)
	}
	_, ack, err := ws.Read(ctx)
	if err != nil || !strings.Contains(string(ack), `"aws/subscribe"`) {
		t.Fatalf("%s: subscribe acknowledgement: got %q, %v", name, ack, err)
	}
	s := &chatSocket{name: name, ws: ws, items: make(chan wsItem, 4096)}
	go func() {
		defer close(s.items)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var f struct{ Topic, Content string }
			if json.Unmarshal(data, &f) != nil || f.Topic != "aws/chat" {
				continue
			}
			var it wsItem
			if err := json.Unmarshal([]byte(f.Content), &it); err != nil {
				it = wsItem{Type: unparsable, Content: f.Content}
			}
			s.items <- it
		}
	}()
	return s
}

// waitFor reads items until match has accepted one, and returns it.
func (s *chatSocket) waitFor(t *testing.T, what string, match func(wsItem) bool) wsItem {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case it, ok := <-s.items:
			if !ok {
				t.Fatalf("%s: socket closed while waiting for %s (saw %d items)", s.name, what, len(s.seen))
			}
			s.seen = append(s.seen, it)
			if match(it) {
				return it
			}
		case <-deadline:
			t.Fatalf("%s: waited 20s for %s in vain (saw %d items: %+v)", s.name, what, len(s.seen), s.seen)
		}
	}
}

// Two nodes share one PostgreSQL database and one NATS server. A chat's
// customer holds a websocket on node B and its custom bot one on node A;
// what either sends through its own node reaches the other's socket, and
// under a burst of concurrent sends through both nodes every socket sees
// the items in transcript order, with none missing.
func TestMultiNodeDelivery(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := startTwoNodes(t)
	apiA, apiB := newAPIClient(t, nodeA), newAPIClient(t, nodeB)

	// The customer starts on A and connects through B.
	chat := apiA.startChat("Ada")
	custConn, err := apiB.connect(chat.ParticipantToken)
	if err != nil {
		t.Fatalf("CreateParticipantConnection (customer) on B: %v", err)
	}
	if !strings.Contains(custConn.Websocket.Url, nodeB.Addr) {
		t.Fatalf("customer websocket URL %q does not point at node B (%s)", custConn.Websocket.Url, nodeB.Addr)
	}
	// The bot joins and connects through A.
	var bot struct {
		ParticipantCredentials struct{ ParticipantToken string }
		ParticipantId          string
	}
	if err := apiA.do("POST", "/contact/create-participant", "", map[string]any{
		"InstanceId": nodeA.Bootstrap.InstanceID, "ContactId": chat.ContactID,
		"ParticipantDetails": map[string]string{"ParticipantRole": "CUSTOM_BOT", "DisplayName": "Bot"},
	}, &bot); err != nil {
		t.Fatalf("CreateParticipant CUSTOM_BOT on A: %v", err)
	}
	botConn, err := apiA.connect(bot.ParticipantCredentials.ParticipantToken)
	if err != nil {
		t.Fatalf("CreateParticipantConnection (bot) on A: %v", err)
	}
	if !strings.Contains(botConn.Websocket.Url, nodeA.Addr) {
		t.Fatalf("bot websocket URL %q does not point at node A (%s)", botConn.Websocket.Url, nodeA.Addr)
	}
	custToken := custConn.ConnectionCredentials.ConnectionToken
	botToken := botConn.ConnectionCredentials.ConnectionToken

	custWS := dialChat(t, "customer socket on B", custConn.Websocket.Url)
	botWS := dialChat(t, "bot socket on A", botConn.Websocket.Url)

	send := func(api *apiClient, token, text string) string {
		var out struct{ Id string }
		if err := api.do("POST", "/participant/message", token, map[string]string{"ContentType": "text/plain", "Content": text}, &out); err != nil {
			t.Errorf("SendMessage %q: %v", text, err)
		}
		return out.Id
	}
	isMessage := func(id, text string) func(wsItem) bool {
		return func(it wsItem) bool { return it.Type == "MESSAGE" && it.Id == id && it.Content == text }
	}

	// One message each way, each crossing the bus between the nodes.
	id := send(apiA, botToken, "hello from the bot on A")
	got := custWS.waitFor(t, "the bot's message", isMessage(id, "hello from the bot on A"))
	if got.ParticipantRole != "CUSTOM_BOT" {
		t.Fatalf("customer got the bot's message with role %q, want CUSTOM_BOT", got.ParticipantRole)
	}
	id = send(apiB, custToken, "hello from the customer on B")
	got = botWS.waitFor(t, "the customer's message", isMessage(id, "hello from the customer on B"))
	if got.ParticipantRole != "CUSTOMER" {
		t.Fatalf("bot got the customer's message with role %q, want CUSTOMER", got.ParticipantRole)
	}

	// A burst: two senders per side, through both nodes at once.
	const perSender = 15
	var mu sync.Mutex
	burst := map[string]bool{}
	var wg sync.WaitGroup
	for _, s := range []struct {
		api          *apiClient
		token, label string
	}{{apiA, botToken, "botA1"}, {apiA, botToken, "botA2"}, {apiB, custToken, "custB1"}, {apiB, custToken, "custB2"}} {
		wg.Go(func() {
			for i := range perSender {
				if id := send(s.api, s.token, fmt.Sprintf("%s-%d", s.label, i)); id != "" {
					mu.Lock()
					burst[id] = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(burst) != 4*perSender {
		t.Fatalf("burst: %d distinct message IDs acknowledged, want %d", len(burst), 4*perSender)
	}

	for _, c := range []struct {
		ws    *chatSocket
		api   *apiClient
		token string
	}{{custWS, apiB, custToken}, {botWS, apiA, botToken}} {
		remaining := len(burst)
		for _, it := range c.ws.seen {
			if burst[it.Id] {
				remaining--
			}
		}
		for remaining > 0 {
			c.ws.waitFor(t, fmt.Sprintf("the rest of the burst (%d to go)", remaining), func(it wsItem) bool { return burst[it.Id] })
			remaining--
		}
		checkTranscriptOrder(t, c.ws, c.api, c.token)
	}
}

// startTwoNodes starts two nodes sharing a fresh PostgreSQL database and
// the NATS server.
func startTwoNodes(t *testing.T) (*Server, *Server) {
	t.Helper()
	bin := Build(t)
	db := PostgresDB(t)
	args := []string{"--bus", natsURL(t)}
	nodeA := Start(t, bin, Options{DB: db, Args: args})
	// Node B finds A's instance in the shared store and writes no
	// credentials of its own; it gets A's file so that the harness, which
	// reads it, finds the same instance.
	dirB := t.TempDir()
	raw, err := os.ReadFile(nodeA.BootstrapPath)
	if err != nil {
		t.Fatalf("read node A's bootstrap file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dirB, "bootstrap.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	nodeB := Start(t, bin, Options{DB: db, DataDir: dirB, Args: args})
	if !strings.Contains(nodeB.Logs(), "not bootstrapping") {
		t.Fatalf("node B did not find node A's instance in the shared store")
	}
	for name, n := range map[string]*Server{"A": nodeA, "B": nodeB} {
		if !strings.Contains(n.Logs(), "bus=nats") {
			t.Fatalf("node %s does not report the NATS bus in its log", name)
		}
	}
	return nodeA, nodeB
}

// TestMultiNodeRouting runs the routing burst on two nodes sharing
// PostgreSQL and NATS: chats start on both, each agent works through a
// different node, and offers reach them over the bus, each contact to
// one agent at a time, however the two nodes' passes interleave.
func TestMultiNodeRouting(t *testing.T) {
	t.Parallel()
	nodeA, nodeB := startTwoNodes(t)
	routingBurst(t, nodeA, nodeB)
}

// checkTranscriptOrder compares the items a socket received with the
// transcript: from the first transcript item the socket saw onwards, it
// must have seen every transcript item, once, in transcript order.
func checkTranscriptOrder(t *testing.T, s *chatSocket, api *apiClient, token string) {
	t.Helper()
	items, err := api.transcript(token)
	if err != nil {
		t.Fatalf("%s: GetTranscript: %v", s.name, err)
	}
	pos := map[string]int{}
	for i, it := range items {
		pos[it.Id] = i
	}
	var got []string
	for _, it := range s.seen {
		if it.Type == unparsable {
			t.Fatalf("%s: received a chat frame that is not an item: %q", s.name, it.Content)
		}
		if _, ok := pos[it.Id]; ok {
			got = append(got, it.Id)
		}
	}
	if len(got) == 0 {
		t.Fatalf("%s: none of the %d received items is in the transcript", s.name, len(s.seen))
	}
	first := pos[got[0]]
	if first+len(got) > len(items) {
		t.Fatalf("%s: received %d transcript items from position %d, but the transcript has only %d (duplicates?)", s.name, len(got), first, len(items))
	}
	for i, id := range got {
		if want := items[first+i]; id != want.Id {
			t.Fatalf("%s: item %d received is %s (transcript position %d), want %s %q (position %d): the socket's order differs from the transcript",
				s.name, i, id, pos[id], want.Id, want.Content, first+i)
		}
	}
	t.Logf("%s: %d items in transcript order (transcript positions %d to %d of %d)", s.name, len(got), first, first+len(got)-1, len(items))
}
