package participant

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// conn is one chat websocket.
//
// An idle socket costs one goroutine (its reader) and no queue: frames go
// into a slice that grows only while frames wait, and a writer goroutine
// exists only while there is something to write. Thousands of idle chats
// therefore cost little memory, and a busy socket never blocks the one
// delivering to it.
type conn struct {
	ws            *websocket.Conn
	contactID     string
	participantID string
	opened        time.Time

	mu         sync.Mutex
	subscribed bool
	pending    [][]byte // items that arrived before the subscribe
	queue      [][]byte // frames for the writer; a nil frame closes normally
	writing    bool     // a writer goroutine is draining queue
	closed     bool     // no more frames are accepted
}

// deliver queues a chat item frame: held until the socket subscribes,
// then handed to the writer.
func (c *conn) deliver(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.subscribed {
		if len(c.pending) < sendQueue {
			c.pending = append(c.pending, frame)
		}
		return
	}
	c.enqueueLocked(frame)
}

// enqueue queues a control frame, or nil to close the socket normally once
// everything before it is written.
func (c *conn) enqueue(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enqueueLocked(frame)
}

// enqueueLocked queues a frame without blocking and starts a writer if
// none runs. A socket more than sendQueue frames behind is closed: its
// client reconnects and catches up from the transcript. c.mu must be held.
func (c *conn) enqueueLocked(frame []byte) {
	if c.closed {
		return
	}
	if len(c.queue) >= sendQueue {
		c.closed = true
		c.queue = nil
		go c.ws.Close(websocket.StatusTryAgainLater, "too slow: reconnect and read the transcript")
		return
	}
	if frame == nil {
		c.closed = true
	}
	c.queue = append(c.queue, frame)
	if !c.writing {
		c.writing = true
		go c.write()
	}
}

// subscribe acknowledges the subscription and releases pending items
// after the acknowledgement, in order, before any newer item.
func (c *conn) subscribe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enqueueLocked(frameSubscribed)
	if !c.subscribed {
		c.subscribed = true
		for _, f := range c.pending {
			c.enqueueLocked(f)
		}
		c.pending = nil
	}
}

// write drains the queue and exits when it is empty.
func (c *conn) write() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.queue = nil // let an idle socket hold no buffer
			c.mu.Unlock()
			return
		}
		frame := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if frame == nil {
			c.ws.Close(websocket.StatusNormalClosure, "")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := c.ws.Write(ctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			c.mu.Lock()
			c.closed, c.queue, c.writing = true, nil, false
			c.mu.Unlock()
			c.ws.CloseNow()
			return
		}
	}
}

// read handles the client's frames (subscribe, heartbeat, ping) until the
// socket closes.
func (c *conn) read() {
	timer := time.AfterFunc(subscribeWithin, func() {
		c.mu.Lock()
		sub := c.subscribed
		c.mu.Unlock()
		if !sub {
			c.ws.Close(websocket.StatusPolicyViolation, "no subscription")
		}
	})
	defer timer.Stop()
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if typ != websocket.MessageText || len(data) == 0 {
			continue
		}
		var f struct {
			Topic string `json:"topic"`
		}
		if json.Unmarshal(data, &f) != nil {
			c.enqueue([]byte(`{"message":"frame is not valid JSON"}`))
			continue
		}
		switch f.Topic {
		case "aws/subscribe":
			c.subscribe()
		case "aws/heartbeat":
			c.enqueue(frameHeartbeat)
		case "aws/ping":
			c.enqueue(framePing)
		case "aws/unsubscribe":
			c.enqueue([]byte(`{"topic":"aws/unsubscribe","content":{"status":"success"}}`))
		default:
			c.enqueue([]byte(`{"message":"unknown topic"}`))
		}
	}
}
