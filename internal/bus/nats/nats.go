// Package nats is the bus driver for a cluster of Parley nodes: it carries
// live notices between nodes over core NATS publish/subscribe.
//
// Core NATS, not JetStream, on purpose. The bus is best-effort: every
// notice it carries was committed to the store first, and a client that
// misses one catches up from the transcript. At-most-once delivery with no
// server-side state is exactly that contract, and it keeps the NATS
// deployment a plain, stateless cluster.
//
// # Delivery and order
//
// A [Bus.Subscribe] is a nats.go asynchronous subscription. The client's
// reader goroutine never runs subscriber code: it appends each incoming
// message to the subscription's pending list and returns to the socket.
// Every asynchronous subscription has one goroutine of its own that takes
// messages off that list one at a time and calls fn, so fn sees a
// subject's messages in the order the server delivered them, which for one
// publishing connection is publish order, and a slow fn delays only its own
// subscription. If its list grows past the pending limits
// ([PendingMsgsLimit], [PendingBytesLimit]) the client drops messages for
// that subscription and reports a slow consumer, which is logged.
//
// Notices of one contact published by two nodes may arrive in either
// order; that is why receivers order them by their sequence number, not by
// arrival.
//
// # Disconnects
//
// The connection reconnects forever with capped exponential backoff, and
// re-registers every subscription on the new connection. While it is
// disconnected, [Bus.Publish] does not wait for the server: nats.go
// appends the message to a reconnect buffer ([ReconnectBufSize]) that is
// sent once the connection is back, and when that buffer is full Publish
// fails at once.
// Messages published to a subject while its subscribers' nodes are cut off
// are not delivered to them; their clients catch up from the transcript.
// Writes to a connected but stalled server time out after a few seconds,
// so a publisher is never held longer than that; the stalled connection is
// then dropped and re-established, at the latest when its pings go
// unanswered.
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/parley-chat/parley/internal/bus"
)

// Connection and subscription tuning.
const (
	// PendingMsgsLimit and PendingBytesLimit bound how far one
	// subscription's handler may fall behind before its messages are
	// dropped. Parley's handlers only enqueue, so reaching them means a
	// handler is stuck, not busy.
	PendingMsgsLimit  = 1 << 16
	PendingBytesLimit = 64 << 20
	// ReconnectBufSize is how many bytes of publishes a disconnected
	// connection keeps to send after the reconnect.
	ReconnectBufSize = 8 << 20

	connectTimeout = 5 * time.Second
	pingInterval   = 10 * time.Second
	maxPingsOut    = 3
	// writeTimeout bounds a write to a connected server, and so how long a
	// Publish can be held when the client's write buffer is full.
	writeTimeout   = 5 * time.Second
	drainTimeout   = 5 * time.Second
	reconnectFirst = 100 * time.Millisecond
	reconnectMax   = 5 * time.Second
	// subscribeFlushTimeout bounds the round trip Subscribe makes so that
	// the server knows of the subscription before Subscribe returns.
	subscribeFlushTimeout = time.Second
)

// Bus is a bus.Bus on one NATS connection. It is safe for concurrent use.
type Bus struct {
	nc     *natsgo.Conn
	log    *slog.Logger
	closed chan struct{} // closed by the client once the connection is closed

	closeOnce sync.Once
}

// Open connects to the NATS server (or cluster) at url, a nats:// URL or a
// comma-separated list of them. It fails if no server answers within a few
// seconds (or before ctx's deadline); once connected, it reconnects on its
// own forever.
func Open(ctx context.Context, url string, log *slog.Logger) (*Bus, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nats bus: %w", err)
	}
	timeout := connectTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, max(time.Until(dl), time.Millisecond))
	}
	b := &Bus{log: log, closed: make(chan struct{})}
	var closeOnce sync.Once
	opts := []natsgo.Option{
		natsgo.Name("parley"),
		natsgo.Timeout(timeout),
		natsgo.MaxReconnects(-1),
		natsgo.CustomReconnectDelay(reconnectDelay),
		natsgo.PingInterval(pingInterval),
		natsgo.MaxPingsOutstanding(maxPingsOut),
		natsgo.ReconnectBufSize(ReconnectBufSize),
		natsgo.FlusherTimeout(writeTimeout),
		natsgo.ReconnectOnFlusherError(),
		natsgo.DrainTimeout(drainTimeout),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			if err != nil {
				log.Warn("nats bus disconnected; live delivery pauses until it reconnects", "err", err)
			}
		}),
		natsgo.ReconnectHandler(func(nc *natsgo.Conn) {
			log.Info("nats bus reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		natsgo.ClosedHandler(func(*natsgo.Conn) {
			closeOnce.Do(func() { close(b.closed) })
		}),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, sub *natsgo.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			if errors.Is(err, natsgo.ErrSlowConsumer) {
				dropped := 0
				if sub != nil {
					dropped, _ = sub.Dropped()
				}
				log.Error("nats bus: slow subscriber, messages dropped", "subject", subject, "dropped", dropped)
				return
			}
			log.Warn("nats bus: asynchronous error", "subject", subject, "err", err)
		}),
	}
	nc, err := natsgo.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats bus: connect: %w", err)
	}
	b.nc = nc
	log.Info("nats bus connected", "server", nc.ConnectedUrlRedacted())
	return b, nil
}

// reconnectDelay is the pause after every server of the list has failed
// attempts times in a row: it doubles from reconnectFirst up to
// reconnectMax, plus up to a quarter of jitter so nodes do not reconnect
// in lockstep.
func reconnectDelay(attempts int) time.Duration {
	d := reconnectMax
	if attempts < 16 {
		d = min(reconnectFirst<<max(attempts-1, 0), reconnectMax)
	}
	return d + rand.N(d/4+1)
}

// Publish hands data to the connection for subject. It returns once the
// message is buffered, not when it is delivered; while the connection is
// reconnecting the message waits in the reconnect buffer, and a full buffer
// fails at once.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nats publish: %w", err)
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("nats publish: %w", err)
	}
	return nil
}

// Subscribe calls fn, on the subscription's own goroutine, for each message
// on subject, in order.
//
// When the connection is up, Subscribe waits for one round trip so that the
// server has registered the interest before it returns: a store read made
// after Subscribe returns then cannot miss a notice published after the
// read. (In a NATS cluster, interest reaches the other servers a moment
// later still; the gateway's gap timer and the transcript cover that
// window.) If the round trip times out, or the connection is down, the
// subscription is returned anyway and becomes active when the server
// answers or the connection is restored.
func (b *Bus) Subscribe(subject string, fn func(data []byte)) (bus.Subscription, error) {
	s := &subscription{}
	ns, err := b.nc.Subscribe(subject, func(m *natsgo.Msg) {
		// Unsubscribe cannot stop a message the goroutine has already
		// taken; this check keeps that window to the minimum.
		if !s.done.Load() {
			fn(m.Data)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("nats subscribe: %w", err)
	}
	s.sub = ns
	if err := ns.SetPendingLimits(PendingMsgsLimit, PendingBytesLimit); err != nil {
		_ = ns.Unsubscribe()
		return nil, fmt.Errorf("nats subscribe: pending limits: %w", err)
	}
	if b.nc.Status() == natsgo.CONNECTED {
		if err := b.nc.FlushTimeout(subscribeFlushTimeout); err != nil {
			b.log.Warn("nats bus: subscription not confirmed by the server yet", "subject", subject, "err", err)
		}
	}
	return s, nil
}

// Flush waits until the server has processed everything this connection
// sent before it, subscriptions included, or until ctx ends. Without a
// deadline in ctx it waits at most a few seconds.
func (b *Bus) Flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("nats flush: %w", err)
	}
	return nil
}

// Close drains the connection: subscriptions stop taking new messages,
// handlers finish the ones already received, buffered publishes are sent,
// and the connection closes. A connection that is down is closed at once.
// Close waits for the drain (bounded by a few seconds) and may be called
// more than once.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		if err := b.nc.Drain(); err != nil {
			// Reconnecting or already closed: Drain has closed it, or
			// there is nothing left to drain.
			b.nc.Close()
		}
		select {
		case <-b.closed:
		case <-time.After(drainTimeout + time.Second):
			b.log.Warn("nats bus: drain did not finish; closing")
			b.nc.Close()
		}
	})
	return nil
}

// subscription wraps a NATS subscription to make Unsubscribe idempotent and
// to stop calls to fn as soon as it returns.
type subscription struct {
	sub  *natsgo.Subscription
	done atomic.Bool
}

// Unsubscribe stops delivery; it is safe to call more than once. A call of
// fn that was already under way when Unsubscribe began may still finish
// after it returns (it cannot wait for it: fn may be the one that called
// it); no later message is delivered.
func (s *subscription) Unsubscribe() error {
	if s.done.Swap(true) {
		return nil
	}
	err := s.sub.Unsubscribe()
	switch {
	case err == nil,
		errors.Is(err, natsgo.ErrConnectionClosed), // the bus is closed: nothing to stop
		errors.Is(err, natsgo.ErrConnectionDraining),
		errors.Is(err, natsgo.ErrBadSubscription): // already removed
		return nil
	default:
		return fmt.Errorf("nats unsubscribe: %w", err)
	}
}
