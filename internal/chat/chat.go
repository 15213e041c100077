// Package chat owns chat contacts: their participants, tokens, transcript
// items, receipts and lifecycle, modeled on Amazon Connect Chat.
//
// It does not own routing (which agent gets a contact), flows (what the
// contact flow does), or wire formats beyond the Connect item shape that is
// both the transcript and the websocket payload. Every state change of a
// contact runs in one store transaction that locks the contact, so changes
// arriving on different nodes never interleave; live fan-out happens after
// the commit, over the bus, and is best-effort: clients catch up from the
// transcript.
package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Limits and defaults of chat contacts, as Amazon Connect has them.
const (
	DefaultChatDuration   = 1500 * time.Minute
	MinChatDuration       = 60 * time.Minute
	MaxChatDuration       = 10080 * time.Minute
	ConnectionTokenTTL    = 24 * time.Hour
	WebsocketURLTTL       = 100 * time.Second
	CustomerConnectWithin = 5 * time.Minute
	MaxAttributesBytes    = 32768
	MaxParticipants       = 6
	MaxInitialMessage     = 16384
	idempotencyTTL        = 24 * time.Hour
)

// Config configures a Service.
type Config struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational logs; slog.Default when nil.
	Logger *slog.Logger
	// MaxActiveChats caps the active chat contacts of each instance; a
	// start beyond it fails with fault.LimitExceeded. 0 means no cap.
	MaxActiveChats int
}

// Service implements chat contacts on top of a store and a bus.
type Service struct {
	store     store.Store
	bus       bus.Bus
	now       func() time.Time
	log       *slog.Logger
	maxActive int
	tokens    tokenCache
	hooks     Hooks
}

// New returns a chat service.
func New(st store.Store, b bus.Bus, cfg Config) *Service {
	s := &Service{store: st, bus: b, now: cfg.Now, log: cfg.Logger, maxActive: cfg.MaxActiveChats}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// clock returns the current time in UTC truncated to milliseconds, the
// precision of the wire format, so stored and returned times agree.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

func errorf(code fault.Code, format string, args ...any) *fault.Error {
	return fault.Errorf(code, format, args...)
}

func notFound(resourceType, id, format string, args ...any) *fault.Error {
	return fault.NotFoundf(resourceType, id, format, args...)
}

var errAccessDenied = &fault.Error{Code: fault.AccessDenied, Message: "Access denied"}

// newID returns a random UUID, the shape of Connect's IDs.
func newID() string { return uuid.NewString() }

// newToken returns a fresh bearer token and the hash under which it is
// stored. 32 random bytes: unguessable.
func newToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// idempotent runs fn and records its result under (scope, key) in the
// same transaction. If the key was used before, recording fails and it
// returns errReplay: the caller lets its Write roll back (undoing fn) and
// answers with replayed. Checking after the work, not before, spares the
// common case (a fresh key) a read on the write path. An empty key
// disables idempotency.
func idempotent[T any](tx store.Tx, now time.Time, scope, key string, fn func() (T, error)) (T, error) {
	out, err := fn()
	if err != nil || key == "" {
		return out, err
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return out, fmt.Errorf("encode idempotent result: %w", err)
	}
	err = tx.PutIdempotent(scope, key, raw, now.Add(idempotencyTTL))
	if errors.Is(err, store.ErrDuplicate) {
		return out, errReplay
	} else if err != nil {
		return out, fmt.Errorf("write idempotency record: %w", err)
	}
	return out, nil
}

// replayed returns the recorded result of an idempotent call.
func replayed[T any](ctx context.Context, st store.Store, scope, key string) (T, error) {
	var out T
	raw, err := st.GetIdempotent(ctx, scope, key)
	if err != nil {
		return out, fmt.Errorf("read idempotency record: %w", err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("decode idempotency record: %w", err)
	}
	return out, nil
}

// errReplay rolls back a transaction whose idempotency key was used
// before; it never reaches a client.
var errReplay = errors.New("chat: idempotent replay")

// publish fans notices out over the bus after a commit. Failures are
// logged, not returned: the items are durable and clients catch up.
func (s *Service) publish(ctx context.Context, c store.Contact, notices ...Notice) {
	subject := Subject(c.InstanceID, c.ID)
	for _, n := range notices {
		if n.after != nil {
			n.after(ctx)
			continue
		}
		if err := s.bus.Publish(ctx, subject, n.Encode()); err != nil {
			s.log.Warn("publish notice", "contact_id", c.ID, "err", err)
		}
	}
}

// Subject is the bus subject carrying a contact's live notices.
func Subject(instanceID, contactID string) string {
	return "parley." + instanceID + ".contact." + contactID
}
