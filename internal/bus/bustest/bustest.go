// Package bustest is the conformance suite every bus driver runs.
package bustest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus"
)

// Run checks the behaviour every bus.Bus must have. newBus returns a fresh
// bus; two calls may return two handles of one shared bus (as two nodes of
// a cluster would have), so tests use unique subjects.
func Run(t *testing.T, newBus func(t *testing.T) bus.Bus) {
	t.Run("DeliversToEverySubscriber", func(t *testing.T) {
		t.Parallel()
		b := newBus(t)
		subject := "test." + t.Name()
		var got [2]chan string
		for i := range got {
			got[i] = make(chan string, 4)
			ch := got[i]
			sub, err := b.Subscribe(subject, func(d []byte) { ch <- string(d) })
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			t.Cleanup(func() { sub.Unsubscribe() })
		}
		waitReady(t, b)
		if err := b.Publish(context.Background(), subject, []byte("hello")); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		for i, ch := range got {
			if m := receive(t, ch); m != "hello" {
				t.Fatalf("subscriber %d got %q, want %q", i, m, "hello")
			}
		}
	})
	t.Run("OtherSubjectsAreNotDelivered", func(t *testing.T) {
		t.Parallel()
		b := newBus(t)
		subject := "test." + t.Name()
		ch := make(chan string, 4)
		sub, err := b.Subscribe(subject+".a", func(d []byte) { ch <- string(d) })
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		defer sub.Unsubscribe()
		waitReady(t, b)
		b.Publish(context.Background(), subject+".b", []byte("wrong"))
		b.Publish(context.Background(), subject+".a", []byte("right"))
		if m := receive(t, ch); m != "right" {
			t.Fatalf("got %q, want %q", m, "right")
		}
	})
	t.Run("UnsubscribeStopsDelivery", func(t *testing.T) {
		t.Parallel()
		b := newBus(t)
		subject := "test." + t.Name()
		var mu sync.Mutex
		n := 0
		sub, err := b.Subscribe(subject, func([]byte) { mu.Lock(); n++; mu.Unlock() })
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if err := sub.Unsubscribe(); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
		if err := sub.Unsubscribe(); err != nil {
			t.Fatalf("second Unsubscribe: %v", err)
		}
		// A second subscriber proves a publish went through.
		ch := make(chan string, 1)
		sub2, _ := b.Subscribe(subject, func(d []byte) { ch <- string(d) })
		defer sub2.Unsubscribe()
		waitReady(t, b)
		b.Publish(context.Background(), subject, []byte("x"))
		receive(t, ch)
		mu.Lock()
		defer mu.Unlock()
		if n != 0 {
			t.Fatalf("unsubscribed handler called %d times, want 0", n)
		}
	})
	t.Run("KeepsOrderPerSubject", func(t *testing.T) {
		t.Parallel()
		b := newBus(t)
		subject := "test." + t.Name()
		ch := make(chan string, 200)
		sub, err := b.Subscribe(subject, func(d []byte) { ch <- string(d) })
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		defer sub.Unsubscribe()
		waitReady(t, b)
		for i := range 100 {
			b.Publish(context.Background(), subject, []byte{byte(i)})
		}
		for i := range 100 {
			if m := receive(t, ch); m != string([]byte{byte(i)}) {
				t.Fatalf("message %d out of order: got %v", i, []byte(m))
			}
		}
	})
}

// Flusher is implemented by drivers whose subscriptions become active
// asynchronously (a network round trip); the suite waits for it.
type Flusher interface {
	Flush(ctx context.Context) error
}

func waitReady(t *testing.T, b bus.Bus) {
	t.Helper()
	if f, ok := b.(Flusher); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
}

func receive(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return ""
	}
}
