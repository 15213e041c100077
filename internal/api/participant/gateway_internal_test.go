package participant

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// serverSocket returns the server side of a real websocket whose client
// never reads.
func serverSocket(t *testing.T) *websocket.Conn {
	t.Helper()
	accepted := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- ws
	}))
	t.Cleanup(srv.Close)
	client, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CloseNow() })
	ws := <-accepted
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// A socket whose client stops reading falls behind; delivering to it must
// neither block (the bus goroutine serves everyone) nor grow memory
// without bound: past sendQueue frames the socket is dropped.
func TestSlowConsumerIsDroppedWithoutBlocking(t *testing.T) {
	t.Parallel()
	c := &conn{ws: serverSocket(t), subscribed: true, writing: true} // writing: a writer stuck in Write
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range sendQueue + 100 {
			c.deliver([]byte("frame"))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("deliver blocked on a socket nobody reads")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed || len(c.queue) != 0 {
		t.Fatalf("slow socket: closed=%v queued=%d, want closed with its queue dropped", c.closed, len(c.queue))
	}
}

// Frames that arrive before the subscribe are held (bounded) and released
// after the acknowledgement, in order; control frames are not held.
func TestPendingFramesReleasedAfterSubscribeAck(t *testing.T) {
	t.Parallel()
	c := &conn{writing: true} // no writer: inspect the queue
	c.deliver([]byte("a"))
	c.enqueue(frameHeartbeat)
	c.deliver([]byte("b"))
	c.subscribe()
	var got []string
	for _, f := range c.queue {
		got = append(got, string(f))
	}
	want := []string{string(frameHeartbeat), string(frameSubscribed), "a", "b"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("frames %q, want %q", got, want)
	}
}

// An idle socket keeps no writer and no queue buffer.
func TestIdleSocketHoldsNoWriter(t *testing.T) {
	t.Parallel()
	c := &conn{ws: serverSocket(t), subscribed: true}
	c.enqueue(frameHeartbeat)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		idle := !c.writing && c.queue == nil
		c.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not exit after draining the queue")
		}
		time.Sleep(time.Millisecond)
	}
}
