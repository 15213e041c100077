// Package routing decides which agent handles which contact, modeled on
// Amazon Connect's queue-based routing.
//
// It owns queues, routing profiles, hours of operation, quick connects and
// agent statuses (configuration kept as store resources), the routing
// state of every agent (status and chat capacity), where each contact
// stands in routing (queued, offered, connected), and assignments: one
// offer of a contact to an agent and what became of it (accepted, missed,
// rejected, after-contact work).
//
// Assignment is event-driven. Anything that may make a match possible
// (a contact queued, an agent available, capacity freed, an offer
// rejected or expired) kicks the dispatcher, which runs a pass: under the
// instance's routing lock it reads the routable agents with free slots and
// the head of each queue they serve, matches them (match.go: the longest
// idle agent takes the best contact its routing profile allows), and
// writes every offer, each reserving a slot, in the same transaction. The
// store is the only state: a pass on any node sees what every other node
// committed, and a restart loses nothing.
//
// It does not own the chat itself: agents join through the chat package
// (chat.Tx), and chat tells routing about departures and ends through
// chat.Hooks.
package routing

import (
	"context"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// Defaults.
const (
	DefaultOfferTimeout = 20 * time.Second
	// DefaultPriority is a new contact's priority in its queue, as in
	// Connect (1 is served first).
	DefaultPriority = 5
)

// Config configures a Service.
type Config struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational logs; slog.Default when nil.
	Logger *slog.Logger
	// OfferTimeout is how long an agent has to accept an offer; 20 s when 0.
	OfferTimeout time.Duration
	// KickTimers, when set, is called after a commit that set a timer
	// due soon (an offer timeout), so the timer scheduler looks now.
	KickTimers func()
}

// Service is routing on top of a store, a bus and the chat service.
type Service struct {
	store        store.Store
	bus          bus.Bus
	chat         *chat.Service
	now          func() time.Time
	log          *slog.Logger
	offerTimeout time.Duration
	kickTimers   func()
	dispatch     *dispatcher
	flows        FlowHooks // nil until SetFlowHooks
}

// New returns a routing service. Run its dispatcher with Run, and install
// it as the chat service's hooks (chat.Service.SetHooks).
func New(st store.Store, b bus.Bus, chatSvc *chat.Service, cfg Config) *Service {
	s := &Service{store: st, bus: b, chat: chatSvc, now: cfg.Now, log: cfg.Logger,
		offerTimeout: cfg.OfferTimeout, kickTimers: cfg.KickTimers}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.offerTimeout <= 0 {
		s.offerTimeout = DefaultOfferTimeout
	}
	if s.kickTimers == nil {
		s.kickTimers = func() {}
	}
	s.dispatch = newDispatcher(s)
	return s
}

// clock returns the current time in UTC, truncated to milliseconds like
// every time Parley stores and shows.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

// Run runs the dispatcher until ctx ends.
func (s *Service) Run(ctx context.Context) error { return s.dispatch.run(ctx) }
