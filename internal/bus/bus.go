// Package bus defines the live-event port: best-effort publish/subscribe of
// byte messages on subjects, used to move chat items from the node that
// committed them to the nodes holding the recipients' websockets.
//
// The bus is not the source of truth. Everything published has already been
// committed to the store, and a client that misses a message catches up
// from the store (GetTranscript). The in-process driver (bus/local) serves a
// single node; a NATS driver serves a cluster behind the same interface.
package bus

import "context"

// Bus publishes messages to subjects and delivers them to subscribers.
type Bus interface {
	// Publish sends data to every current subscriber of subject. It may
	// return before delivery; delivery is best-effort.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe calls fn for every message published to subject until the
	// subscription is cancelled. fn must not block: it runs on the
	// driver's delivery goroutine and must hand work off quickly.
	Subscribe(subject string, fn func(data []byte)) (Subscription, error)
	// Close stops delivery and releases resources.
	Close() error
}

// Subscription is an active subscription.
type Subscription interface {
	// Unsubscribe stops delivery to this subscription. It is safe to call
	// more than once.
	Unsubscribe() error
}
