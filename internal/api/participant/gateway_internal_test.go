package participant

import (
	"context"
	"testing"
	"time"
)

// A socket whose client stops reading fills its queue; the next frame
// must neither block the sender (the bus goroutine serving everyone) nor
// grow memory: the socket is dropped instead.
func TestSlowConsumerIsDroppedWithoutBlocking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{send: make(chan []byte, sendQueue), cancel: cancel, subscribed: true}
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
	if ctx.Err() == nil {
		t.Fatal("the slow socket was not cancelled")
	}
	if len(c.send) != sendQueue {
		t.Fatalf("queue holds %d frames, want it capped at %d", len(c.send), sendQueue)
	}
}

// Frames that arrive before the subscribe are held (bounded) and released
// after the acknowledgement, in order.
func TestPendingFramesReleasedAfterSubscribeAck(t *testing.T) {
	t.Parallel()
	_, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &conn{send: make(chan []byte, sendQueue), cancel: cancel}
	c.deliver([]byte("a"))
	c.enqueue(frameHeartbeat) // control frames are not held
	c.deliver([]byte("b"))
	c.subscribe()
	var got []string
	for len(c.send) > 0 {
		got = append(got, string(<-c.send))
	}
	want := []string{string(frameHeartbeat), string(frameSubscribed), "a", "b"}
	if len(got) != len(want) {
		t.Fatalf("frames %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frames %q, want %q", got, want)
		}
	}
}
