package widget

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
)

// Limits of a start.
const (
	MaxDisplayNameChars = 256
	MaxValueChars       = 1024
	DefaultDisplayName  = "Customer"
	// AttrWidgetID and AttrCustomerID are the contact attributes a start
	// sets besides the pre-chat answers.
	AttrWidgetID   = "widgetId"
	AttrCustomerID = "customerId"
	// AttrEmail is the attribute a token's email claim lands in.
	AttrEmail = "email"
)

// RateLimitError is the LimitExceeded fault of a client that started too
// many chats through a widget; RetryAfter is when the next start would
// pass. It unwraps to the *fault.Error.
type RateLimitError struct {
	Fault      *fault.Error
	RetryAfter time.Duration
}

// Error says what was exceeded.
func (e *RateLimitError) Error() string { return e.Fault.Error() }

// Unwrap returns the fault.
func (e *RateLimitError) Unwrap() error { return e.Fault }

// Public is the part of a widget's configuration any page may read: no
// secret, flow or origin list.
type Public struct {
	WidgetID    string
	Title       string
	Greeting    string
	LogoURL     string
	Position    string
	Theme       Theme
	Locale      string
	PreChatForm PreChatForm
	RequireJWT  bool
}

// StartRequest is what the browser sends to start a chat.
type StartRequest struct {
	DisplayName string
	// Attributes are the pre-chat form's answers by field name.
	Attributes map[string]string
	// JWT is the customer token the company's backend signed, if any.
	JWT string
}

// StartResult is the started chat's customer participant.
type StartResult struct {
	ContactID        string
	ParticipantID    string
	ParticipantToken string
	// Expiry is when the participant token expires (the chat's duration
	// from its start).
	Expiry time.Time
}

func originDenied(origin string) error {
	if origin == "" {
		return fault.Errorf(fault.AccessDenied, "The request has no Origin; the widget only serves the pages it is configured for")
	}
	return fault.Errorf(fault.AccessDenied, "Origin %s is not allowed to use this widget", origin)
}

// CheckOrigin returns nil when widgetID exists and origin (an Origin
// header's value) may use it: NotFound for an unknown widget, AccessDenied
// for an origin it does not list.
func (s *Service) CheckOrigin(ctx context.Context, widgetID, origin string) error {
	w, err := s.lookup(ctx, widgetID)
	if err != nil {
		return err
	}
	if !originAllowed(w.AllowedOrigins, origin) {
		return originDenied(origin)
	}
	return nil
}

// PublicConfig returns what the widget's script needs to render, to a page
// on one of its allowed origins.
func (s *Service) PublicConfig(ctx context.Context, widgetID, origin string) (Public, error) {
	w, err := s.lookup(ctx, widgetID)
	if err != nil {
		return Public{}, err
	}
	if !originAllowed(w.AllowedOrigins, origin) {
		return Public{}, originDenied(origin)
	}
	form := w.PreChatForm
	form.Fields = slices.Clone(form.Fields)
	return Public{WidgetID: w.ID, Title: w.Title, Greeting: w.Greeting, LogoURL: w.LogoURL, Position: w.Position, Theme: w.Theme,
		Locale: w.Locale, PreChatForm: form, RequireJWT: w.RequireJWT}, nil
}

// Start starts a chat in the widget's flow for a customer on origin at
// clientIP: the origin must be allowed, the client within the widget's
// rate limit, the pre-chat answers must fit the form, and a token must be
// valid when the widget requires one (or one is given).
// widgetContentTypes are the message types the widget renders: plain text,
// markdown (rendered safely), and interactive messages with their answers.
var widgetContentTypes = []string{chat.TypeTextPlain, chat.TypeTextMarkdown, chat.TypeInteractive, chat.TypeInteractiveResponse}

func (s *Service) Start(ctx context.Context, widgetID, origin, clientIP string, in StartRequest) (StartResult, error) {
	w, err := s.lookup(ctx, widgetID)
	if err != nil {
		return StartResult{}, err
	}
	if !originAllowed(w.AllowedOrigins, origin) {
		return StartResult{}, originDenied(origin)
	}
	now := s.now()
	if wait, ok := s.limiter.allow(w.ID+"\x00"+clientIP, w.RateLimitPerMinute, now); !ok {
		return StartResult{}, &RateLimitError{RetryAfter: wait,
			Fault: fault.Errorf(fault.LimitExceeded, "Too many chats started from this address; try again in %d seconds", int(wait.Seconds()+0.999))}
	}
	attrs, err := checkAnswers(w.PreChatForm, in.Attributes)
	if err != nil {
		return StartResult{}, err
	}
	name := in.DisplayName
	customerID := ""
	if w.RequireJWT || in.JWT != "" {
		c, err := VerifyJWT(in.JWT, w.JWTSecret, now)
		if err != nil {
			return StartResult{}, err
		}
		customerID = c.Subject
		if c.Name != "" {
			name = c.Name
		}
		if c.Email != "" {
			attrs[AttrEmail] = c.Email
		}
		for k, v := range c.Attributes {
			attrs[k] = v
		}
		attrs[AttrCustomerID] = c.Subject
	}
	if name == "" {
		name = DefaultDisplayName
	}
	if n := utf8.RuneCountInString(name); n > MaxDisplayNameChars {
		return StartResult{}, invalid("displayName must be 1 to %d characters", MaxDisplayNameChars)
	}
	attrs[AttrWidgetID] = w.ID
	out, err := s.chat.StartChat(ctx, w.InstanceID, chat.StartInput{ContactFlowID: w.ContactFlowID, DisplayName: name, Attributes: attrs, CustomerID: customerID,
		SupportedContentTypes: widgetContentTypes})
	if err != nil {
		return StartResult{}, fmt.Errorf("widget start: %w", err)
	}
	s.log.Info("widget chat started", "instance_id", w.InstanceID, "widget_id", w.ID, "contact_id", out.ContactID)
	return StartResult{ContactID: out.ContactID, ParticipantID: out.ParticipantID, ParticipantToken: out.ParticipantToken,
		Expiry: now.UTC().Add(chat.DefaultChatDuration).Truncate(time.Second)}, nil
}

// checkAnswers checks pre-chat answers against form and returns them as a
// fresh attribute map.
func checkAnswers(form PreChatForm, answers map[string]string) (map[string]string, error) {
	attrs := make(map[string]string, len(answers)+4)
	fields := form.Fields
	if !form.Enabled {
		fields = nil
	}
	for k, v := range answers {
		i := slices.IndexFunc(fields, func(f Field) bool { return f.Name == k })
		if i < 0 {
			return nil, invalid("attributes: %q is not a field of this widget's pre-chat form", k)
		}
		if utf8.RuneCountInString(v) > MaxValueChars {
			return nil, invalid("attributes: %q must be at most %d characters", k, MaxValueChars)
		}
		if v == "" {
			continue
		}
		switch f := fields[i]; f.Type {
		case FieldEmail:
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v || a.Name != "" {
				return nil, invalid("attributes: %q must be an email address", k)
			}
		case FieldSelect:
			if !slices.Contains(f.Options, v) {
				return nil, invalid("attributes: %q must be one of the field's options", k)
			}
		}
		attrs[k] = v
	}
	for _, f := range fields {
		if f.Required && attrs[f.Name] == "" {
			return nil, invalid("attributes: %q (%s) is required", f.Name, f.Label)
		}
	}
	return attrs, nil
}

// limiter is a token bucket per widget and client address, on this node.
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim       *rate.Limiter
	perMinute int
	seen      time.Time
}

// limiterIdle is how long an address's bucket outlives its last start; by
// then it has refilled, so dropping it changes nothing.
const limiterIdle = 10 * time.Minute

func newLimiter() *limiter { return &limiter{buckets: map[string]*bucket{}} }

// allow takes a token from key's bucket (perMinute a minute, bursts of
// half that and at least 2); when it is empty it returns how long until
// the next token.
func (l *limiter) allow(key string, perMinute int, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > limiterIdle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil || b.perMinute != perMinute {
		b = &bucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), max(2, perMinute/2)), perMinute: perMinute}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}
