// Package local is the in-process bus driver: publish delivers
// synchronously to the subscribers registered in the same process. It is the
// embedded default for a single node.
package local

import (
	"context"
	"errors"
	"sync"

	"github.com/parley-chat/parley/internal/bus"
)

// ErrClosed is returned by a closed bus.
var ErrClosed = errors.New("bus: closed")

// Bus is an in-process bus.Bus.
type Bus struct {
	mu     sync.RWMutex
	subs   map[string]map[*subscription]struct{}
	closed bool
}

// New returns an empty in-process bus.
func New() *Bus {
	return &Bus{subs: make(map[string]map[*subscription]struct{})}
}

type subscription struct {
	b       *Bus
	subject string
	fn      func([]byte)
}

// Publish delivers data to the subject's subscribers before returning.
// Handlers run without the bus's lock held, so a handler may subscribe or
// unsubscribe (and take its own locks) freely.
func (b *Bus) Publish(_ context.Context, subject string, data []byte) error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	subs := make([]*subscription, 0, len(b.subs[subject]))
	for s := range b.subs[subject] {
		subs = append(subs, s)
	}
	b.mu.RUnlock()
	for _, s := range subs {
		s.fn(data)
	}
	return nil
}

// Subscribe registers fn for subject.
func (b *Bus) Subscribe(subject string, fn func([]byte)) (bus.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	s := &subscription{b: b, subject: subject, fn: fn}
	m := b.subs[subject]
	if m == nil {
		m = make(map[*subscription]struct{})
		b.subs[subject] = m
	}
	m[s] = struct{}{}
	return s, nil
}

// Unsubscribe removes the subscription.
func (s *subscription) Unsubscribe() error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if m := s.b.subs[s.subject]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(s.b.subs, s.subject)
		}
	}
	return nil
}

// Close drops every subscription.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.subs = nil
	return nil
}
