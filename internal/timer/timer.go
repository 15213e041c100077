// Package timer runs Parley's durable timers: every wait in the system
// (chat duration, idle timers, flow waits, offer timeouts) is a row in the
// store, claimed by exactly one node when due and handled by the domain
// package that owns its kind. Claims are leases: if a node dies while
// handling a timer, the lease lapses and another node fires it. Handlers
// delete the timer in the same transaction as their effect and are
// idempotent, so a timer takes effect once.
package timer

import (
	"context"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Handler handles one due timer.
type Handler func(ctx context.Context, t store.Timer) error

// Scheduler claims due timers and dispatches them to handlers by kind.
type Scheduler struct {
	store    store.Store
	owner    string
	handlers map[string]Handler
	now      func() time.Time
	log      *slog.Logger
	kick     chan struct{}

	// Poll is the longest the scheduler sleeps between looks at the store
	// (timers set by other nodes are seen within it).
	Poll time.Duration
	// Lease is how long a claim lasts before another node may retry it.
	Lease time.Duration
}

// New returns a scheduler for this node (owner names it in claims).
func New(st store.Store, owner string, now func() time.Time, log *slog.Logger) *Scheduler {
	if now == nil {
		now = time.Now
	}
	return &Scheduler{store: st, owner: owner, handlers: map[string]Handler{}, now: now, log: log,
		kick: make(chan struct{}, 1), Poll: time.Second, Lease: time.Minute}
}

// Handle registers the handler of a timer kind. Call before Run.
func (s *Scheduler) Handle(kind string, h Handler) { s.handlers[kind] = h }

// Kick makes the scheduler look for due timers now (after a write that set
// a near timer, or in tests after moving the clock).
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run fires due timers until ctx is cancelled.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.kick:
		}
		n := s.RunDue(ctx)
		wait := s.Poll
		if n > 0 {
			wait = 0 // there may be more
		} else if due, ok, err := s.store.NextTimer(ctx); err == nil && ok {
			wait = min(wait, max(0, due.Sub(s.now())))
		}
		t.Reset(wait)
	}
}

// RunDue claims and handles one batch of due timers and returns how many
// it claimed.
func (s *Scheduler) RunDue(ctx context.Context) int {
	timers, err := s.store.ClaimTimers(ctx, s.now(), s.owner, s.Lease, 100)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claim timers", "err", err)
		}
		return 0
	}
	for _, t := range timers {
		h, ok := s.handlers[t.Kind]
		if !ok {
			s.log.Error("no handler for timer kind", "kind", t.Kind, "timer_id", t.ID)
			continue
		}
		if err := h(ctx, t); err != nil {
			s.log.Error("timer failed; retried when its lease lapses", "timer_id", t.ID, "contact_id", t.ContactID, "err", err)
		}
	}
	return len(timers)
}
