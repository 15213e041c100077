// Package widget owns the customer chat widgets of an instance: the
// configuration a company embeds on its website (which flow its chats
// start, on which origins it may run, how it looks, which pre-chat fields
// it asks for) and the one public operation that needs no AWS credentials,
// starting a chat from a browser.
//
// A widget is an instance resource of kind store.KindWidget whose body is
// the JSON of its configuration. Its ID carries the instance ID
// ("<instanceId>.<random>") so the public endpoints, which know nothing
// but the widget ID, find the widget with one keyed read and never scan
// other instances.
//
// Starting a chat from a browser is guarded three ways: the request's
// Origin must be one the widget allows, each client IP may start only
// RateLimitPerMinute chats a minute per widget (on each node), and, for a
// widget that requires it, the company's backend must have signed an
// HS256 JWT that names the customer. The package does not serve HTTP; see
// package api/widget for the public endpoints and api/connect for the
// admin operations.
package widget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Positions a widget's launcher may take on the page.
const (
	PositionBottomRight = "bottom-right"
	PositionBottomLeft  = "bottom-left"
)

// Pre-chat field types.
const (
	FieldText     = "text"
	FieldEmail    = "email"
	FieldSelect   = "select"
	FieldTextarea = "textarea"
)

// Defaults of a widget's optional settings.
const (
	DefaultRateLimitPerMinute = 10
	DefaultLocale             = "en"
	DefaultTitle              = "Chat with us"
	DefaultPrimary            = "#2563eb"
	DefaultText               = "#111827"
	DefaultBackground         = "#ffffff"
)

// Widget is a chat widget's configuration.
type Widget struct {
	ID            string
	InstanceID    string
	Name          string // unique per instance
	ContactFlowID string // a published CONTACT_FLOW every chat starts in
	// AllowedOrigins are the origins (scheme://host[:port], or
	// https://*.domain for any subdomain) whose pages may use the widget.
	AllowedOrigins []string
	Title          string
	Greeting       string
	LogoURL        string
	Position       string // PositionBottomRight (default) or PositionBottomLeft
	Theme          Theme
	PreChatForm    PreChatForm
	// RequireJWT makes every start present a JWT the company's backend
	// signed with JWTSecret.
	RequireJWT bool
	// JWTSecret is the HS256 key, as its 64 hex characters. Only Create
	// and a rotating Update return it to callers that show it.
	JWTSecret          string
	RateLimitPerMinute int
	Locale             string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Theme are the widget's colours, as CSS hex colours (#rgb or #rrggbb).
type Theme struct {
	Primary    string
	Text       string
	Background string
}

// PreChatForm is what the widget asks before a chat starts. The answers
// become contact attributes named after the fields.
type PreChatForm struct {
	Enabled bool
	Fields  []Field
}

// Field is one pre-chat question.
type Field struct {
	Name     string // the contact attribute's key
	Label    string
	Type     string // FieldText, FieldEmail, FieldSelect or FieldTextarea
	Required bool
	Options  []string // the choices of a FieldSelect
}

// Config configures a Service.
type Config struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational logs; slog.Default when nil.
	Logger *slog.Logger
}

// Service manages widgets and starts chats through them.
type Service struct {
	store   store.Store
	chat    *chat.Service
	now     func() time.Time
	log     *slog.Logger
	limiter *limiter
}

// New returns a Service that starts chats with chatSvc.
func New(st store.Store, chatSvc *chat.Service, cfg Config) *Service {
	s := &Service{store: st, chat: chatSvc, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.limiter = newLimiter()
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// newSecret returns 32 random bytes as hex.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// newID returns a widget ID of instanceID.
func newID(instanceID string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return instanceID + "." + hex.EncodeToString(b[:])
}

// instanceOf returns the instance ID a widget ID carries ("" if none).
func instanceOf(widgetID string) string {
	i := strings.LastIndexByte(widgetID, '.')
	if i <= 0 || i == len(widgetID)-1 {
		return ""
	}
	return widgetID[:i]
}

func notFound(id string) error {
	return fault.NotFoundf("WIDGET", id, "Widget %s not found", id)
}

// body is a widget's stored resource body: everything but the resource's
// own columns.
type body struct {
	ContactFlowID      string `json:"ContactFlowId"`
	AllowedOrigins     []string
	Title              string
	Greeting           string
	LogoURL            string `json:"LogoUrl"`
	Position           string
	Theme              Theme
	PreChatForm        PreChatForm
	RequireJWT         bool   `json:"RequireJwt"`
	JWTSecret          string `json:"JwtSecret"`
	RateLimitPerMinute int
	Locale             string
}

func decode(r store.Resource) (Widget, error) {
	var b body
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return Widget{}, fmt.Errorf("decode widget %s: %w", r.ID, err)
	}
	return Widget{ID: r.ID, InstanceID: r.InstanceID, Name: r.Name, ContactFlowID: b.ContactFlowID, AllowedOrigins: b.AllowedOrigins,
		Title: b.Title, Greeting: b.Greeting, LogoURL: b.LogoURL, Position: b.Position, Theme: b.Theme, PreChatForm: b.PreChatForm,
		RequireJWT: b.RequireJWT, JWTSecret: b.JWTSecret, RateLimitPerMinute: b.RateLimitPerMinute, Locale: b.Locale,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func encode(w Widget) (store.Resource, error) {
	b := body{ContactFlowID: w.ContactFlowID, AllowedOrigins: w.AllowedOrigins, Title: w.Title, Greeting: w.Greeting, LogoURL: w.LogoURL,
		Position: w.Position, Theme: w.Theme, PreChatForm: w.PreChatForm, RequireJWT: w.RequireJWT, JWTSecret: w.JWTSecret,
		RateLimitPerMinute: w.RateLimitPerMinute, Locale: w.Locale}
	raw, err := json.Marshal(b)
	if err != nil {
		return store.Resource{}, fmt.Errorf("encode widget %s: %w", w.ID, err)
	}
	return store.Resource{InstanceID: w.InstanceID, Kind: store.KindWidget, ID: w.ID, Name: w.Name, Body: raw, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}, nil
}

// put stores w; a name another widget has is Duplicate.
func put(tx store.Tx, w Widget) error {
	r, err := encode(w)
	if err != nil {
		return err
	}
	err = tx.PutResource(r)
	if errors.Is(err, store.ErrDuplicate) {
		return fault.Errorf(fault.Duplicate, "Widget named %q already exists", w.Name)
	} else if err != nil {
		return fmt.Errorf("put widget %s: %w", w.ID, err)
	}
	return nil
}

// txGet reads a widget of instanceID inside tx.
func txGet(tx store.Tx, instanceID, id string) (Widget, error) {
	if id == "" {
		return Widget{}, notFound(id)
	}
	r, err := tx.GetResource(instanceID, store.KindWidget, id)
	if errors.Is(err, store.ErrNotFound) {
		return Widget{}, notFound(id)
	} else if err != nil {
		return Widget{}, fmt.Errorf("get widget %s: %w", id, err)
	}
	return decode(r)
}

// Create validates and stores a new widget of instanceID with a fresh JWT
// secret, and returns it with its ID and secret.
func (s *Service) Create(ctx context.Context, instanceID string, in Widget) (Widget, error) {
	w := in
	if err := normalize(&w); err != nil {
		return Widget{}, err
	}
	now := s.clock()
	w.ID, w.InstanceID, w.JWTSecret, w.CreatedAt, w.UpdatedAt = newID(instanceID), instanceID, newSecret(), now, now
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := checkFlow(tx, instanceID, w.ContactFlowID); err != nil {
			return err
		}
		return put(tx, w)
	})
	if err != nil {
		return Widget{}, fmt.Errorf("create widget: %w", err)
	}
	return w, nil
}

// Get returns a widget of instanceID, secret included.
func (s *Service) Get(ctx context.Context, instanceID, id string) (Widget, error) {
	if id == "" {
		return Widget{}, notFound(id)
	}
	r, err := s.store.GetResource(ctx, instanceID, store.KindWidget, id)
	if errors.Is(err, store.ErrNotFound) {
		return Widget{}, notFound(id)
	} else if err != nil {
		return Widget{}, fmt.Errorf("get widget %s: %w", id, err)
	}
	return decode(r)
}

// List returns the widgets of instanceID by name, without their secrets.
func (s *Service) List(ctx context.Context, instanceID string) ([]Widget, error) {
	rs, err := s.store.ListResources(ctx, instanceID, store.KindWidget)
	if err != nil {
		return nil, fmt.Errorf("list widgets: %w", err)
	}
	out := make([]Widget, 0, len(rs))
	for _, r := range rs {
		w, err := decode(r)
		if err != nil {
			return nil, err
		}
		w.JWTSecret = ""
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Widget) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Update replaces the configuration of widget id with in (its ID, secret
// and creation time are kept). rotate replaces the JWT secret with a new
// one. The result carries the secret; callers show it only after a
// rotation.
func (s *Service) Update(ctx context.Context, instanceID, id string, in Widget, rotate bool) (Widget, error) {
	w := in
	if err := normalize(&w); err != nil {
		return Widget{}, err
	}
	secret := newSecret()
	err := s.store.Write(ctx, func(tx store.Tx) error {
		old, err := txGet(tx, instanceID, id)
		if err != nil {
			return err
		}
		if err := checkFlow(tx, instanceID, w.ContactFlowID); err != nil {
			return err
		}
		w.ID, w.InstanceID, w.CreatedAt, w.UpdatedAt, w.JWTSecret = old.ID, old.InstanceID, old.CreatedAt, s.clock(), old.JWTSecret
		if rotate || w.JWTSecret == "" {
			w.JWTSecret = secret
		}
		return put(tx, w)
	})
	if err != nil {
		return Widget{}, fmt.Errorf("update widget: %w", err)
	}
	return w, nil
}

// Delete removes widget id; pages still embedding it can no longer start
// chats. Chats it started go on.
func (s *Service) Delete(ctx context.Context, instanceID, id string) error {
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if _, err := txGet(tx, instanceID, id); err != nil {
			return err
		}
		if err := tx.DeleteResource(instanceID, store.KindWidget, id); err != nil {
			return fmt.Errorf("delete widget %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete widget: %w", err)
	}
	return nil
}

// lookup finds a widget by its ID alone, for the public endpoints.
func (s *Service) lookup(ctx context.Context, widgetID string) (Widget, error) {
	inst := instanceOf(widgetID)
	if inst == "" {
		return Widget{}, notFound(widgetID)
	}
	return s.Get(ctx, inst, widgetID)
}
