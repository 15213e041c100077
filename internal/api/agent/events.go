package agent

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
)

// Event socket limits.
const (
	// EventBuffer is how many events may wait for a slow socket; one more
	// closes it with 1013 (try again later), and the client reconnects
	// to a fresh snapshot.
	EventBuffer = 64
	// MaxSocketsPerSession bounds one session's event sockets on a node
	// (tabs of the workspace); opening one more closes the oldest.
	MaxSocketsPerSession = 5
	// PingInterval is how often the server pings the socket and checks
	// that its session still holds.
	PingInterval = 30 * time.Second

	eventWriteTimeout = 10 * time.Second
)

// sockets is this node's event websockets, by the SHA-256 of their
// session token (so a logout closes them without keeping tokens as keys).
type sockets struct {
	mu      sync.Mutex
	all     map[*socket]struct{}
	next    uint64 // sequence of the last socket added
	closing bool
	wg      sync.WaitGroup
}

func newSockets() *sockets { return &sockets{all: map[*socket]struct{}{}} }

// add registers s, closing the session's oldest socket if it has
// MaxSocketsPerSession already; false if the server is shutting down.
func (ss *sockets) add(s *socket) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closing {
		return false
	}
	var oldest *socket
	n := 0
	for o := range ss.all {
		if o.session == s.session {
			n++
			if oldest == nil || o.seq < oldest.seq {
				oldest = o
			}
		}
	}
	if n >= MaxSocketsPerSession {
		oldest.stop(websocket.StatusPolicyViolation, "too many sockets for this session")
	}
	ss.next++
	s.seq = ss.next
	ss.all[s] = struct{}{}
	ss.wg.Add(1) // under mu with closing false: never races Shutdown's Wait
	return true
}

func (ss *sockets) remove(s *socket) {
	ss.mu.Lock()
	delete(ss.all, s)
	ss.mu.Unlock()
	ss.wg.Done()
}

// endSession closes the sockets of a session that just ended.
func (ss *sockets) endSession(token string) {
	key := sessionKey(token)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for s := range ss.all {
		if s.session == key {
			s.stop(websocket.StatusPolicyViolation, "session ended")
		}
	}
}

func sessionKey(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// Shutdown closes every event socket with 1001 (going away) and waits for
// them to finish, or until ctx ends.
func (h *Handler) Shutdown(ctx context.Context) error {
	ss := h.sockets
	ss.mu.Lock()
	ss.closing = true
	for s := range ss.all {
		s.stop(websocket.StatusGoingAway, "server shutting down")
	}
	ss.mu.Unlock()
	done := make(chan struct{})
	go func() { ss.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("workspace events shutdown: sockets still open")
	}
}

// socket is one event websocket. Its handler goroutine is the only
// writer; the bus delivery goroutine only hands events over.
type socket struct {
	session [sha256.Size]byte
	seq     uint64 // order of opening on this node
	events  chan routing.AgentEvent

	once   sync.Once
	quit   chan struct{} // closed by stop
	code   websocket.StatusCode
	reason string
}

// push hands an event to the socket without blocking. A full buffer
// stops the socket: the client is too slow, and a fresh snapshot on
// reconnect is worth more than a backlog.
func (s *socket) push(ev routing.AgentEvent) {
	select {
	case s.events <- ev:
	default:
		s.stop(websocket.StatusTryAgainLater, "too slow: reconnect for a fresh snapshot")
	}
}

// stop asks the socket's handler to close it with code; the first call
// wins.
func (s *socket) stop(code websocket.StatusCode, reason string) {
	s.once.Do(func() {
		s.code, s.reason = code, reason
		close(s.quit)
	})
}

type snapshotFrame struct {
	Type  string             `json:"type"`
	State routing.AgentState `json:"state"`
}

// events serves GET /api/agent/events: a websocket that sends the
// agent's state ({"type":"snapshot"}) and then each of their events. The
// session cookie authenticates it; the websocket library refuses a
// cross-origin upgrade, so another site cannot open it with the agent's
// cookie. The client sends nothing (a data frame closes the socket).
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	sess, err := h.authenticate(r)
	if err == nil {
		err = h.require(r.Context(), sess, auth.PermBasicAgentAccess)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept has answered the client
	}
	s := &socket{session: sessionKey(sess.token), events: make(chan routing.AgentEvent, EventBuffer), quit: make(chan struct{})}
	if !h.sockets.add(s) {
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer h.sockets.remove(s)
	code, reason := h.serveSocket(ws, s, sess)
	ws.Close(code, reason)
}

// serveSocket runs a socket until it must close, and says how.
func (h *Handler) serveSocket(ws *websocket.Conn, s *socket, sess session) (websocket.StatusCode, string) {
	// Subscribe before reading the snapshot: an event committed in
	// between is sent after a snapshot that may already show it, which
	// is harmless; the other order could lose it.
	cancel, err := h.routing.Subscribe(sess.InstanceID, sess.User.ID, s.push)
	if err != nil {
		h.log.Error("subscribe to agent events", "instance_id", sess.InstanceID, "user_id", sess.User.ID, "err", err)
		return websocket.StatusInternalError, "internal error"
	}
	defer cancel()
	// CloseRead reads (and answers pings and close frames) until the
	// client goes; ctx ends then.
	ctx := ws.CloseRead(context.Background())

	state, err := h.routing.Agent(ctx, sess.InstanceID, sess.User.ID)
	if err != nil {
		h.log.Error("agent state for events", "instance_id", sess.InstanceID, "user_id", sess.User.ID, "err", err)
		return websocket.StatusInternalError, "internal error"
	}
	if err := write(ctx, ws, snapshotFrame{Type: "snapshot", State: state}); err != nil {
		return websocket.StatusGoingAway, ""
	}

	ping := time.NewTicker(PingInterval)
	defer ping.Stop()
	expiry := time.NewTimer(time.Until(sess.ExpiresAt))
	defer expiry.Stop()
	for {
		select {
		case <-ctx.Done():
			return websocket.StatusNormalClosure, ""
		case <-s.quit:
			return s.code, s.reason
		case <-expiry.C:
			return websocket.StatusPolicyViolation, "session ended"
		case ev := <-s.events:
			if err := write(ctx, ws, ev); err != nil {
				return websocket.StatusGoingAway, ""
			}
		case <-ping.C:
			// The session may have ended on another node (a logout there,
			// the user deleted): look again now and then.
			_, err := h.dir.Authenticate(ctx, sess.token)
			var fe *fault.Error
			if errors.As(err, &fe) && fe.Code == fault.AccessDenied {
				return websocket.StatusPolicyViolation, "session ended"
			} else if err != nil && ctx.Err() == nil {
				h.log.Warn("recheck session of agent events", "user_id", sess.User.ID, "err", err)
			}
			pctx, cancel := context.WithTimeout(ctx, eventWriteTimeout)
			err = ws.Ping(pctx)
			cancel()
			if err != nil {
				return websocket.StatusGoingAway, "no answer to ping"
			}
		}
	}
}

func write(ctx context.Context, ws *websocket.Conn, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, eventWriteTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, raw)
}
