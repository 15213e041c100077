package participant

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// Gateway limits.
const (
	// MaxSocketsPerParticipant is Connect's quota; opening one more closes
	// the participant's oldest socket on this node.
	MaxSocketsPerParticipant = 5
	// sendQueue is how many frames may wait for a slow socket before it is
	// closed (the client reconnects and catches up from the transcript).
	sendQueue = 256
	// subscribeWithin is how long a socket may stay open without
	// subscribing.
	subscribeWithin = 2 * time.Minute
	writeTimeout    = 10 * time.Second
	maxClientFrame  = 64 << 10
)

var (
	frameSubscribed = []byte(`{"topic":"aws/subscribe","content":{"status":"success","topics":["aws/chat"]}}`)
	frameHeartbeat  = []byte(`{"topic":"aws/heartbeat"}`)
	framePing       = []byte(`{"topic":"aws/ping","statusCode":200}`)
)

// Gateway holds this node's chat websockets and delivers each contact's
// bus notices to the sockets of that contact.
type Gateway struct {
	chat *chat.Service
	bus  bus.Bus
	log  *slog.Logger

	mu       sync.Mutex
	contacts map[string]*hub // by contact ID
	closing  bool
	wg       sync.WaitGroup
}

// hub is one contact's sockets on this node.
type hub struct {
	contactID string
	sub       bus.Subscription
	conns     map[*conn]struct{}
	order     sequencer
}

// NewGateway returns a gateway.
func NewGateway(svc *chat.Service, b bus.Bus, log *slog.Logger) *Gateway {
	return &Gateway{chat: svc, bus: b, log: log, contacts: map[string]*hub{}}
}

// ServeHTTP upgrades an authenticated request to a chat websocket. The
// socket is then served by its own reader goroutine and the handler
// returns, so the request and the HTTP server's deep stack are not kept
// for the socket's lifetime.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sess, err := g.chat.Authenticate(r.Context(), r.URL.Query().Get("token"), store.TokenWebsocket)
	if err != nil {
		http.Error(w, "Access denied", http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // any origin: the URL's token is the credential
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered the client
	}
	ws.SetReadLimit(maxClientFrame)
	c := &conn{ws: ws, contactID: sess.ContactID, participantID: sess.ParticipantID, opened: time.Now()}
	h, created := g.add(c, sess.InstanceID)
	if h == nil {
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	if created {
		g.prime(r.Context(), h, sess)
	}
	go func() {
		defer g.wg.Done()
		defer g.remove(c)
		c.read()
	}()
}

// add registers c with its contact's hub, subscribing to the contact's
// notices on first use (created), and enforces the per-participant socket
// quota. It returns nil if the gateway is closing or cannot subscribe.
// The subscription is made outside g.mu: with a network bus it takes a
// round trip, and no other contact should wait for it.
func (g *Gateway) add(c *conn, instanceID string) (h *hub, created bool) {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		return nil, false
	}
	h = g.contacts[c.contactID]
	if h == nil {
		h = &hub{contactID: c.contactID, conns: map[*conn]struct{}{}}
		g.contacts[c.contactID] = h
		created = true
	}
	var oldest *conn
	n := 0
	for o := range h.conns {
		if o.participantID == c.participantID {
			n++
			if oldest == nil || o.opened.Before(oldest.opened) {
				oldest = o
			}
		}
	}
	if n >= MaxSocketsPerParticipant {
		oldest.enqueue(nil)
	}
	h.conns[c] = struct{}{}
	g.wg.Add(1) // under g.mu with closing false: never races Shutdown's Wait
	g.mu.Unlock()

	if created {
		// c stays in the hub until its handler returns, so the hub lives
		// at least until this subscription is stored.
		sub, err := g.bus.Subscribe(chat.Subject(instanceID, c.contactID), func(data []byte) { g.deliver(c.contactID, data) })
		if err != nil {
			g.log.Error("subscribe to contact", "contact_id", c.contactID, "err", err)
			g.remove(c)
			g.wg.Done()
			return nil, false
		}
		g.mu.Lock()
		h.sub = sub
		g.mu.Unlock()
	}
	return h, created
}

// prime tells a new hub's sequencer where the contact's sequence stands.
// It reads the contact after subscribing, so every item committed after
// the read arrives on the subscription and no gap waits forever.
func (g *Gateway) prime(ctx context.Context, h *hub, sess chat.Session) {
	next := int64(0) // unknown: start from the first notice
	if c, err := g.chat.Contact(ctx, sess.InstanceID, sess.ContactID); err == nil {
		next = c.LastSeq + 1
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.release(h, h.order.prime(next))
}

func (g *Gateway) remove(c *conn) {
	g.mu.Lock()
	h := g.contacts[c.contactID]
	if h == nil {
		g.mu.Unlock()
		return
	}
	delete(h.conns, c)
	if len(h.conns) > 0 {
		g.mu.Unlock()
		return
	}
	delete(g.contacts, c.contactID)
	if h.order.gap != nil {
		h.order.gap.Stop()
	}
	sub := h.sub
	g.mu.Unlock()
	if sub != nil {
		sub.Unsubscribe() // outside g.mu: the bus may be delivering to us
	}
}

// deliver fans one notice out to the contact's sockets, in sequence
// order. It runs on the bus's delivery goroutine, so it only enqueues.
func (g *Gateway) deliver(contactID string, data []byte) {
	n, err := chat.DecodeNotice(data)
	if err != nil {
		g.log.Error("decode notice", "contact_id", contactID, "err", err)
		return
	}
	o := outgoing{seq: n.Seq, ended: n.Ended, closeParticipant: n.CloseParticipant}
	if len(n.Item) > 0 {
		content, _ := json.Marshal(string(n.Item))
		o.frame = make([]byte, 0, len(content)+64)
		o.frame = append(o.frame, `{"topic":"aws/chat","contentType":"application/json","content":`...)
		o.frame = append(o.frame, content...)
		o.frame = append(o.frame, '}')
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if h := g.contacts[contactID]; h != nil {
		g.release(h, h.order.admit(o))
	}
}

// release fans released notices out and arms the gap timer if notices are
// still held. g.mu must be held.
func (g *Gateway) release(h *hub, out []outgoing) {
	for _, o := range out {
		for c := range h.conns {
			if o.frame != nil {
				c.deliver(o.frame)
			}
			if o.ended || o.closeParticipant == c.participantID {
				c.enqueue(nil)
			}
		}
	}
	switch {
	case h.order.waiting() && h.order.gap == nil:
		h.order.gap = time.AfterFunc(gapWait, func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			h.order.gap = nil
			if g.contacts[h.contactID] == h {
				g.release(h, h.order.skipGap())
			}
		})
	case !h.order.waiting() && h.order.gap != nil:
		h.order.gap.Stop()
		h.order.gap = nil
	}
}

// Shutdown closes every socket with "going away" and waits for their
// readers to finish, or until ctx ends.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closing = true
	var all []*conn
	for _, h := range g.contacts {
		for c := range h.conns {
			all = append(all, c)
		}
	}
	g.mu.Unlock()
	for _, c := range all {
		go c.ws.Close(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("gateway shutdown: sockets still open")
	}
}
