package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"
)

// benchChat is one chat contact with its two connected participants.
type benchChat struct {
	contactID string
	customer  *member
	bot       *member

	// latency tracking, guarded by mu: the send time of every
	// latency-phase message not yet seen on the other side, by sequence.
	mu       sync.Mutex
	pending  map[uint64]time.Time
	arrivals []time.Duration // websocket delivery latencies
}

// member is one participant of a benchChat, with its connection token and
// its subscribed websocket.
type member struct {
	participantID string
	connToken     string
	ws            *websocket.Conn
	readerDone    chan struct{}
}

// other returns the participant that is not m.
func (c *benchChat) other(m *member) *member {
	if m == c.customer {
		return c.bot
	}
	return c.customer
}

// latencyPrefix starts the content of every latency-phase message; the
// rest is the chat-local sequence number.
const latencyPrefix = "lat "

// newChat creates a chat: StartChatContact, CreateParticipant CUSTOM_BOT,
// CreateParticipantConnection for both, and both websockets opened and
// subscribed. Each socket gets a reader goroutine that runs until the
// socket closes and matches latency messages while tracking is set.
func newChat(ctx context.Context, c *client, name string, tracking *atomic.Bool) (*benchChat, error) {
	contactID, custID, custToken, err := c.startChat(ctx, name)
	if err != nil {
		return nil, err
	}
	botID, botToken, err := c.createBot(ctx, contactID)
	if err != nil {
		return nil, err
	}
	ch := &benchChat{
		contactID: contactID,
		customer:  &member{participantID: custID},
		bot:       &member{participantID: botID},
		pending:   map[uint64]time.Time{},
	}
	for _, p := range []struct {
		m     *member
		token string
	}{{ch.customer, custToken}, {ch.bot, botToken}} {
		wsURL, connToken, err := c.createConnection(ctx, p.token)
		if err != nil {
			ch.closeSockets()
			return nil, err
		}
		ws, err := c.dialChat(ctx, wsURL)
		if err != nil {
			ch.closeSockets()
			return nil, err
		}
		p.m.connToken, p.m.ws, p.m.readerDone = connToken, ws, make(chan struct{})
		go ch.read(p.m, tracking)
	}
	return ch, nil
}

// read consumes a socket's frames until it closes. While tracking is set
// it matches latency-phase messages from the other participant to their
// send times.
func (c *benchChat) read(m *member, tracking *atomic.Bool) {
	defer close(m.readerDone)
	var buf bytes.Buffer
	ctx := context.Background()
	for {
		_, r, err := m.ws.Reader(ctx)
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		if tracking.Load() {
			c.arrived(m, buf.Bytes(), time.Now())
		}
	}
}

// arrived handles a frame that reached m at t.
func (c *benchChat) arrived(m *member, frame []byte, t time.Time) {
	var f struct {
		Topic   string `json:"topic"`
		Content string `json:"content"`
	}
	if json.Unmarshal(frame, &f) != nil || f.Topic != "aws/chat" {
		return
	}
	var it struct {
		Type          string
		Content       string
		ParticipantID string `json:"ParticipantId"`
	}
	if json.Unmarshal([]byte(f.Content), &it) != nil || it.Type != "MESSAGE" || it.ParticipantID == m.participantID {
		return
	}
	rest, ok := strings.CutPrefix(it.Content, latencyPrefix)
	if !ok {
		return
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return
	}
	c.mu.Lock()
	if sent, ok := c.pending[seq]; ok {
		delete(c.pending, seq)
		c.arrivals = append(c.arrivals, t.Sub(sent))
	}
	c.mu.Unlock()
}

// expect records that message seq is about to be sent at t.
func (c *benchChat) expect(seq uint64, t time.Time) {
	c.mu.Lock()
	c.pending[seq] = t
	c.mu.Unlock()
}

// forget drops message seq, whose send failed.
func (c *benchChat) forget(seq uint64) {
	c.mu.Lock()
	delete(c.pending, seq)
	c.mu.Unlock()
}

// outstanding returns how many latency messages have not arrived yet.
func (c *benchChat) outstanding() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// closeSockets closes both websockets at once, without a close handshake.
func (c *benchChat) closeSockets() {
	for _, m := range []*member{c.customer, c.bot} {
		if m.ws != nil {
			m.ws.CloseNow()
		}
	}
}

// waitReaders waits until both sockets' readers have ended, or ctx ends.
func (c *benchChat) waitReaders(ctx context.Context) error {
	for _, m := range []*member{c.customer, c.bot} {
		if m.readerDone == nil {
			continue
		}
		select {
		case <-m.readerDone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// createChats creates n chats with up to workers of them in progress at
// once. It stops at the first error; chats created before it are
// returned with it, so the caller can close them.
func createChats(ctx context.Context, c *client, n, workers int, prefix string, tracking *atomic.Bool) ([]*benchChat, error) {
	chats := make([]*benchChat, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error {
			ch, err := newChat(gctx, c, fmt.Sprintf("%s %d", prefix, i), tracking)
			if err != nil {
				return fmt.Errorf("create chat %d: %w", i, err)
			}
			chats[i] = ch
			return nil
		})
	}
	err := g.Wait()
	out := chats[:0]
	for _, ch := range chats {
		if ch != nil {
			out = append(out, ch)
		}
	}
	return out, err
}

// closeAll closes every chat's sockets.
func closeAll(chats []*benchChat) {
	for _, ch := range chats {
		ch.closeSockets()
	}
}
