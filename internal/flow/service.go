package flow

import (
	"log/slog"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/webhook"
)

// Config tunes a Service.
type Config struct {
	// Logger receives operational logs; slog.Default when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// KickTimers tells the timer scheduler that a timer was added, so it
	// need not wait for its next poll.
	KickTimers func()
	// Webhooks calls the functions flows invoke; webhook.New() when nil.
	Webhooks *webhook.Client
	// Region and AccountID make the ARNs flows see ($.InstanceARN,
	// $.Queue.ARN, $.Agent.ARN, ...); us-east-1 and 000000000000 when empty.
	Region, AccountID string
}

// Service publishes flows and runs them on contacts: it hears a contact's
// lifecycle from chat (as chat.Hooks) and moves it through routing.
type Service struct {
	store    store.Store
	chat     *chat.Service
	routing  *routing.Service
	log      *slog.Logger
	now      func() time.Time
	kick     func()
	versions *versionCache
	webhooks *webhook.Client
	bots     Bots // nil until SetBots
	region   string
	account  string
}

// New returns a flow service.
func New(st store.Store, chatSvc *chat.Service, routingSvc *routing.Service, cfg Config) *Service {
	s := &Service{store: st, chat: chatSvc, routing: routingSvc, log: cfg.Logger, now: cfg.Now, kick: cfg.KickTimers}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.kick == nil {
		s.kick = func() {}
	}
	s.versions = newVersionCache(256)
	s.region, s.account = cfg.Region, cfg.AccountID
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	s.webhooks = cfg.Webhooks
	if s.webhooks == nil {
		s.webhooks = webhook.New()
	}
	return s
}

// clock returns the current time in UTC truncated to milliseconds, as
// every stored time is.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }
