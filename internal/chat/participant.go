package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Session is an authenticated participant: who is calling, on which
// contact.
type Session struct {
	InstanceID    string
	ContactID     string
	ParticipantID string
}

// Authenticate resolves a bearer token of the given kind. Any failure
// (unknown, expired, wrong kind, participant gone, contact ended) is the
// same errAccessDenied, so a caller learns nothing from probing.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (Session, error) {
	if token == "" {
		return Session{}, errAccessDenied
	}
	hash := hashToken(token)
	t, ok := s.tokens.get(hash, s.now())
	if !ok {
		var err error
		t, err = s.store.LookupToken(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return Session{}, errAccessDenied
		} else if err != nil {
			return Session{}, fmt.Errorf("look up token: %w", err)
		}
		if t.Kind != store.TokenWebsocket { // used once, not worth keeping
			s.tokens.put(hash, t, s.now())
		}
	}
	if t.Kind != kind || !s.now().Before(t.ExpiresAt) {
		return Session{}, errAccessDenied
	}
	return Session{InstanceID: t.InstanceID, ContactID: t.ContactID, ParticipantID: t.ParticipantID}, nil
}

// tokenCache keeps recent token lookups of this node for a short while,
// sparing the store a read on every participant call. It is safe because
// a token only names who is calling: every operation re-checks, in its
// transaction or with its reads, that the contact is active and the
// participant present, so a token revoked by leaving or ending the chat is
// refused even while it is cached. Expiry is checked on every use.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token store.Token
	until time.Time
}

const (
	tokenCacheTTL = 30 * time.Second
	tokenCacheMax = 100_000
)

func (c *tokenCache) get(hash []byte, now time.Time) (store.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(hash)]
	if !ok || !now.Before(e.until) {
		return store.Token{}, false
	}
	return e.token, true
}

func (c *tokenCache) put(hash []byte, t store.Token, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= tokenCacheMax {
		c.m = make(map[string]cachedToken) // crude but bounded: start over
	}
	c.m[string(hash)] = cachedToken{token: t, until: now.Add(tokenCacheTTL)}
}

// lockSession locks the session's contact and loads its participant, and
// fails with errAccessDenied if either is no longer active.
func lockSession(tx store.Tx, sess Session) (store.Contact, store.Participant, error) {
	c, err := tx.LockContact(sess.InstanceID, sess.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return c, store.Participant{}, errAccessDenied
	} else if err != nil {
		return c, store.Participant{}, err
	}
	if c.State != store.ContactActive {
		return c, store.Participant{}, errAccessDenied
	}
	p, err := tx.GetParticipant(sess.ParticipantID)
	if errors.Is(err, store.ErrNotFound) {
		return c, p, errAccessDenied
	} else if err != nil {
		return c, p, err
	}
	if p.State == store.ParticipantLeft || p.ContactID != c.ID {
		return c, p, errAccessDenied
	}
	return c, p, nil
}

// Connection is what CreateParticipantConnection returns. Empty tokens mean
// that part was not requested.
type Connection struct {
	WebsocketToken   string
	WebsocketExpiry  time.Time
	ConnectionToken  string
	ConnectionExpiry time.Time
}

// Connection types of CreateParticipantConnection.
const (
	ConnWebsocket   = "WEBSOCKET"
	ConnCredentials = "CONNECTION_CREDENTIALS"
	ConnWebRTC      = "WEBRTC_CONNECTION"
)

// CreateConnection issues a websocket URL token and/or a connection token
// to the participant holding participantToken. The first call connects
// the participant (joins, for everyone but the customer who joined at
// start), whether or not the caller set ConnectParticipant: a participant
// that asks for a connection is there.
func (s *Service) CreateConnection(ctx context.Context, participantToken string, types []string) (Connection, error) {
	for _, t := range types {
		switch t {
		case ConnWebsocket, ConnCredentials:
		case ConnWebRTC:
			return Connection{}, errorf(fault.InvalidParameter, "WEBRTC_CONNECTION is not supported for chat")
		default:
			return Connection{}, errorf(fault.InvalidParameter, "Type: unknown connection type %q", t)
		}
	}
	sess, err := s.Authenticate(ctx, participantToken, store.TokenParticipant)
	if err != nil {
		return Connection{}, err
	}
	var conn Connection
	var c store.Contact
	var notices []Notice
	err = s.store.Write(ctx, func(tx store.Tx) error {
		var p store.Participant
		var err error
		conn, notices = Connection{}, nil
		c, p, err = lockSession(tx, sess)
		if err != nil {
			return err
		}
		now := s.clock() // under the contact's lock, like every item time
		if p.State == store.ParticipantInvited {
			p.State = store.ParticipantConnected
			p.ConnectedAt = now
			p.LastActiveAt = now
			if err := tx.UpdateParticipant(p); err != nil {
				return err
			}
			if p.Role == store.RoleCustomer {
				if err := tx.DeleteTimer(timerID(timerConnectDeadline, c.ID)); err != nil {
					return err
				}
			} else if !p.Hidden {
				n, err := s.appendItem(tx, c, eventItem(c, EventParticipantJoined, &p, now))
				if err != nil {
					return err
				}
				notices = append(notices, n)
				more, err := s.fire(tx, &c, Event{Kind: ParticipantConnected, Participant: p}, 0)
				if err != nil {
					return err
				}
				notices = append(notices, more...)
			}
			if err := s.scheduleIdleTimers(tx, c); err != nil {
				return err
			}
		}
		if slices.Contains(types, ConnWebsocket) {
			token, hash := newToken()
			conn.WebsocketToken, conn.WebsocketExpiry = token, now.Add(WebsocketURLTTL)
			if err := tx.InsertToken(store.Token{Hash: hash, Kind: store.TokenWebsocket, InstanceID: c.InstanceID, ContactID: c.ID, ParticipantID: p.ID, ExpiresAt: conn.WebsocketExpiry, CreatedAt: now}); err != nil {
				return err
			}
		}
		if slices.Contains(types, ConnCredentials) {
			token, hash := newToken()
			conn.ConnectionToken, conn.ConnectionExpiry = token, now.Add(ConnectionTokenTTL)
			if err := tx.InsertToken(store.Token{Hash: hash, Kind: store.TokenConnection, InstanceID: c.InstanceID, ContactID: c.ID, ParticipantID: p.ID, ExpiresAt: conn.ConnectionExpiry, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Connection{}, fmt.Errorf("create participant connection: %w", err)
	}
	s.publish(ctx, c, notices...)
	return conn, nil
}

// Sent is the result of SendMessage and SendEvent.
type Sent struct {
	ID           string    `json:"Id"`
	AbsoluteTime time.Time `json:"AbsoluteTime"`
}

// maxContent is the content length limit of each sendable message type,
// in characters.
var maxContent = map[string]int{
	TypeTextPlain:           1024,
	TypeTextMarkdown:        1024,
	TypeJSON:                12000,
	TypeInteractiveResponse: 12288,
}

// SendMessage appends a message from the session's participant and
// returns once it is durable.
func (s *Service) SendMessage(ctx context.Context, sess Session, contentType, content, clientToken string) (Sent, error) {
	limit, ok := maxContent[contentType]
	if !ok {
		return Sent{}, errorf(fault.InvalidParameter, "ContentType %q is not supported for messages", contentType)
	}
	if n := utf8.RuneCountInString(content); n < 1 || n > limit {
		return Sent{}, errorf(fault.InvalidParameter, "Content of type %s must be 1 to %d characters, got %d", contentType, limit, n)
	}
	if !utf8.ValidString(content) {
		return Sent{}, errorf(fault.InvalidParameter, "Content must be valid UTF-8")
	}
	if len(clientToken) > 500 {
		return Sent{}, errorf(fault.InvalidParameter, "ClientToken must be at most 500 characters")
	}
	var out Sent
	var c store.Contact
	var notices []Notice
	err := s.store.Write(ctx, func(tx store.Tx) error {
		var p store.Participant
		var err error
		notices = nil
		c, p, err = lockSession(tx, sess)
		if err != nil {
			return err
		}
		if p.Hidden {
			return errorf(fault.AccessDenied, "A supervisor monitoring silently cannot send messages; barge in first")
		}
		// Read the clock under the contact's lock, so a contact's item
		// times never run backwards against its sequence.
		now := s.clock()
		out, err = idempotent(tx, now, "SendMessage/"+p.ID, clientToken, func() (Sent, error) {
			if !slices.Contains(c.SupportedContentTypes, contentType) {
				return Sent{}, errorf(fault.InvalidParameter, "ContentType %s is not in this chat's SupportedMessagingContentTypes", contentType)
			}
			it := eventItem(c, contentType, &p, now)
			it.Type = store.ItemMessage
			it.Content = content
			it.ClientToken = clientToken
			n, err := s.appendItem(tx, c, it)
			if err != nil {
				return Sent{}, err
			}
			notices = append(notices, n)
			more, err := s.participantActive(tx, c, p, now)
			if err != nil {
				return Sent{}, err
			}
			notices = append(notices, more...)
			if p.Role == store.RoleCustomer {
				it.Seq = n.Seq
				more, err = s.fire(tx, &c, Event{Kind: CustomerMessage, Participant: p, Message: it}, 0)
				if err != nil {
					return Sent{}, err
				}
				notices = append(notices, more...)
			}
			return Sent{ID: it.ID, AbsoluteTime: now}, nil
		})
		return err
	})
	if errors.Is(err, errReplay) {
		notices = nil
		out, err = replayed[Sent](ctx, s.store, "SendMessage/"+sess.ParticipantID, clientToken)
	}
	if err != nil {
		return Sent{}, fmt.Errorf("send message: %w", err)
	}
	s.publish(ctx, c, notices...)
	return out, nil
}

// SendEvent handles a client event: typing (relayed, not stored),
// delivered/read receipts (stored per message and relayed to the sender),
// and the deprecated connection acknowledgement (accepted, no effect).
func (s *Service) SendEvent(ctx context.Context, sess Session, contentType, content, clientToken string) (Sent, error) {
	switch contentType {
	case EventTyping, EventConnectionAcknowledged:
		return s.relayEvent(ctx, sess, contentType)
	case EventDelivered, EventRead:
		return s.receipt(ctx, sess, contentType == EventRead, content)
	default:
		return Sent{}, errorf(fault.InvalidParameter, "ContentType %q is not a supported event", contentType)
	}
}

// relayEvent publishes an event to the contact without storing it.
func (s *Service) relayEvent(ctx context.Context, sess Session, contentType string) (Sent, error) {
	c, err := s.store.GetContact(ctx, sess.InstanceID, sess.ContactID)
	if err != nil || c.State != store.ContactActive {
		return Sent{}, errAccessDenied
	}
	p, err := s.store.GetParticipant(ctx, sess.ParticipantID)
	if err != nil || p.State == store.ParticipantLeft {
		return Sent{}, errAccessDenied
	}
	now := s.clock()
	it := eventItem(c, contentType, &p, now)
	if contentType == EventTyping && !p.Hidden { // a silent monitor stays unseen
		s.publish(ctx, c, liveNotice(c, wireItem(it, false)))
	}
	return Sent{ID: it.ID, AbsoluteTime: now}, nil
}

// receipt records that the session's participant received or read a
// message, and tells the message's sender.
func (s *Service) receipt(ctx context.Context, sess Session, read bool, content string) (Sent, error) {
	var body struct {
		MessageID string `json:"messageId"`
	}
	if err := json.Unmarshal([]byte(content), &body); err != nil || body.MessageID == "" {
		return Sent{}, errorf(fault.InvalidParameter, `Content must be a JSON object {"messageId": "<message Id>"}`)
	}
	now := s.clock()
	out := Sent{ID: newID(), AbsoluteTime: now}
	var c store.Contact
	var notices []Notice
	err := s.store.Write(ctx, func(tx store.Tx) error {
		var p store.Participant
		var err error
		notices = nil
		c, p, err = lockSession(tx, sess)
		if err != nil {
			return err
		}
		if p.Hidden {
			return nil // a silent monitor's receipts would reveal them
		}
		msg, err := tx.GetItem(c.ID, body.MessageID)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(fault.InvalidParameter, "Message %s is not part of this chat", body.MessageID)
		} else if err != nil {
			return err
		}
		if msg.Type != store.ItemMessage && msg.Type != store.ItemAttachment {
			return errorf(fault.InvalidParameter, "Item %s is not a message", body.MessageID)
		}
		if msg.ParticipantID == p.ID {
			return nil // one's own message: nothing to acknowledge
		}
		old, err := tx.GetReceipt(c.ID, msg.ID, p.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r := store.Receipt{ContactID: c.ID, MessageID: msg.ID, RecipientID: p.ID}
		switch {
		case read && old.ReadAt.IsZero():
			r.ReadAt = now
		case !read && old.DeliveredAt.IsZero() && old.ReadAt.IsZero():
			r.DeliveredAt = now
		default:
			return nil // already acknowledged at this level or beyond
		}
		if err := tx.PutReceipt(r); err != nil {
			return err
		}
		notices = append(notices, receiptNotice(c, out, r))
		return nil
	})
	if err != nil {
		return Sent{}, fmt.Errorf("send event: %w", err)
	}
	s.publish(ctx, c, notices...)
	return out, nil
}

func receiptNotice(c store.Contact, ev Sent, r store.Receipt) Notice {
	w := Item{
		ID:              ev.ID,
		Type:            itemTypeMessageMetadata,
		AbsoluteTime:    FormatTime(ev.AbsoluteTime),
		MessageMetadata: &MessageMetadata{MessageID: r.MessageID, Receipts: []Receipt{wireReceipt(r)}},
	}
	return liveNotice(c, w)
}

func wireReceipt(r store.Receipt) Receipt {
	w := Receipt{RecipientParticipantID: r.RecipientID}
	if !r.DeliveredAt.IsZero() {
		w.DeliveredTimestamp = FormatTime(r.DeliveredAt)
	}
	if !r.ReadAt.IsZero() {
		w.ReadTimestamp = FormatTime(r.ReadAt)
	}
	return w
}

// Disconnect removes the session's participant from the chat. When the
// customer leaves, the chat ends for everyone.
func (s *Service) Disconnect(ctx context.Context, sess Session, clientToken string) error {
	var c store.Contact
	var notices []Notice
	err := s.store.Write(ctx, func(tx store.Tx) error {
		var p store.Participant
		var err error
		c, p, err = lockSession(tx, sess)
		if err != nil {
			return err
		}
		if p.Role == store.RoleCustomer {
			notices, err = s.endContact(tx, &c, ReasonCustomerDisconnect, p.ID, 0)
			return err
		}
		notices, err = s.leave(tx, &c, p, 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("disconnect participant: %w", err)
	}
	s.publish(ctx, c, notices...)
	return nil
}

// leave removes a non-customer participant from the active contact *c
// (ParticipantLeft fires; a hook may end the contact, updating *c).
func (s *Service) leave(tx store.Tx, c *store.Contact, p store.Participant, depth int) ([]Notice, error) {
	now := s.clock()
	joined := p.State == store.ParticipantConnected
	p.State = store.ParticipantLeft
	p.LeftAt = now
	if err := tx.UpdateParticipant(p); err != nil {
		return nil, err
	}
	if err := tx.DeleteTokens(p.ID); err != nil {
		return nil, err
	}
	// The leaver's sockets close right after their participant.left.
	n := Notice{CloseParticipant: p.ID}
	if joined && !p.Hidden {
		var err error
		if n, err = s.appendItem(tx, *c, eventItem(*c, EventParticipantLeft, &p, now)); err != nil {
			return nil, err
		}
		n.CloseParticipant = p.ID
	}
	notices := []Notice{n}
	more, err := s.fire(tx, c, Event{Kind: ParticipantLeft, Participant: p}, depth)
	if err != nil {
		return nil, err
	}
	notices = append(notices, more...)
	if c.State != store.ContactActive {
		return notices, nil
	}
	return notices, s.scheduleIdleTimers(tx, *c)
}
