package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Content types of the items and events Parley produces or accepts.
const (
	TypeTextPlain           = "text/plain"
	TypeTextMarkdown        = "text/markdown"
	TypeJSON                = "application/json"
	TypeInteractive         = "application/vnd.amazonaws.connect.message.interactive"
	TypeInteractiveResponse = "application/vnd.amazonaws.connect.message.interactive.response"

	eventPrefix                 = "application/vnd.amazonaws.connect.event."
	EventTyping                 = eventPrefix + "typing"
	EventDelivered              = eventPrefix + "message.delivered"
	EventRead                   = eventPrefix + "message.read"
	EventConnectionAcknowledged = eventPrefix + "connection.acknowledged"
	EventParticipantJoined      = eventPrefix + "participant.joined"
	EventParticipantLeft        = eventPrefix + "participant.left"
	EventParticipantIdle        = eventPrefix + "participant.idle"
	EventParticipantReturned    = eventPrefix + "participant.returned"
	EventParticipantAutoDisconn = eventPrefix + "participant.autodisconnection"
	EventChatEnded              = eventPrefix + "chat.ended"
	EventChatRehydrated         = eventPrefix + "chat.rehydrated"
	EventTransferSucceeded      = eventPrefix + "transfer.succeeded"
	EventTransferFailed         = eventPrefix + "transfer.failed"
	itemTypeMessageMetadata     = "MESSAGEMETADATA"
	absoluteTimeLayout          = "2006-01-02T15:04:05.000Z"
)

// FormatTime renders a time as the Participant API does:
// yyyy-MM-ddTHH:mm:ss.SSSZ in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(absoluteTimeLayout) }

// ParseTime parses a Participant API time (RFC 3339 with or without
// fractional seconds is accepted).
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// Item is a transcript item in the Connect wire shape: what GetTranscript
// returns and what a websocket delivers (with InitialContactId and
// ContactId set).
type Item struct {
	AbsoluteTime     string           `json:"AbsoluteTime,omitempty"`
	Content          string           `json:"Content,omitempty"`
	ContentType      string           `json:"ContentType,omitempty"`
	ID               string           `json:"Id"`
	Type             string           `json:"Type"`
	ParticipantID    string           `json:"ParticipantId,omitempty"`
	DisplayName      string           `json:"DisplayName,omitempty"`
	ParticipantRole  string           `json:"ParticipantRole,omitempty"`
	MessageMetadata  *MessageMetadata `json:"MessageMetadata,omitempty"`
	RelatedContactID string           `json:"RelatedContactId,omitempty"`
	ContactID        string           `json:"ContactId,omitempty"`
	InitialContactID string           `json:"InitialContactId,omitempty"`
}

// MessageMetadata carries the receipts of a message.
type MessageMetadata struct {
	MessageID string    `json:"MessageId"`
	Receipts  []Receipt `json:"Receipts"`
}

// Receipt is one recipient's delivered/read state of a message.
type Receipt struct {
	DeliveredTimestamp     string `json:"DeliveredTimestamp,omitempty"`
	ReadTimestamp          string `json:"ReadTimestamp,omitempty"`
	RecipientParticipantID string `json:"RecipientParticipantId"`
}

// Notice is what the bus carries for a contact: an item to deliver, then
// optionally sockets to close. Encode and DecodeNotice give its bytes.
type Notice struct {
	// Item is the wire item (JSON object) to deliver to every subscribed
	// socket of the contact, or nil.
	Item json.RawMessage
	// Seq is the stored item's sequence number (0 for live-only items
	// such as typing): receivers use it to deliver items in the order
	// they were committed, whatever order the notices arrive in.
	Seq int64
	// CloseParticipant closes the sockets of this participant after the
	// item is delivered (they left).
	CloseParticipant string
	// Ended closes every socket of the contact after the item (the chat
	// ended).
	Ended bool

	// after, when set, makes this a local post-commit action (registered
	// with Tx.After) rather than something to publish.
	after func(context.Context)
}

// Encode renders the notice for the bus: a one-line JSON header, a
// newline, then the item's JSON as is. Receivers get the item bytes
// without decoding and re-encoding them (json.Marshal would re-scan a
// RawMessage, and the gateway needs the raw bytes anyway).
func (n Notice) Encode() []byte {
	h := noticeHeader{Seq: n.Seq, CloseParticipant: n.CloseParticipant, Ended: n.Ended}
	head, _ := json.Marshal(h) // only ints, strings and bools
	out := make([]byte, 0, len(head)+1+len(n.Item))
	out = append(out, head...)
	out = append(out, '\n')
	return append(out, n.Item...)
}

// DecodeNotice parses what Encode produced. The returned Item aliases
// data.
func DecodeNotice(data []byte) (Notice, error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return Notice{}, errors.New("notice: no header")
	}
	var h noticeHeader
	if err := json.Unmarshal(data[:i], &h); err != nil {
		return Notice{}, fmt.Errorf("notice header: %w", err)
	}
	n := Notice{Seq: h.Seq, CloseParticipant: h.CloseParticipant, Ended: h.Ended}
	if item := data[i+1:]; len(item) > 0 {
		n.Item = item
	}
	return n, nil
}

type noticeHeader struct {
	Seq              int64  `json:"s,omitempty"`
	CloseParticipant string `json:"c,omitempty"`
	Ended            bool   `json:"e,omitempty"`
}

// wireItem converts a stored item to the wire shape for the contact it
// belongs to. past marks items of an earlier contact of a persistent chat,
// which carry RelatedContactId instead of ContactId.
func wireItem(it store.Item, past bool) Item {
	w := Item{
		AbsoluteTime:    FormatTime(it.CreatedAt),
		Content:         it.Content,
		ContentType:     it.ContentType,
		ID:              it.ID,
		Type:            it.Type,
		ParticipantID:   it.ParticipantID,
		DisplayName:     it.DisplayName,
		ParticipantRole: it.Role,
	}
	if past {
		w.RelatedContactID = it.ContactID
	} else {
		w.ContactID = it.ContactID
	}
	return w
}

// liveNotice builds the notice that delivers an item to live sockets.
func liveNotice(c store.Contact, w Item) Notice {
	w.ContactID = c.ID
	w.InitialContactID = c.InitialContactID
	w.RelatedContactID = ""
	raw, err := json.Marshal(w)
	if err != nil {
		panic(err) // Item has only strings and slices of strings: cannot fail
	}
	return Notice{Item: raw}
}

// eventItem is a new event item of a contact, from participant p (or the
// system when p is nil).
func eventItem(c store.Contact, contentType string, p *store.Participant, at time.Time) store.Item {
	it := store.Item{
		ContactID:   c.ID,
		ID:          newID(),
		Type:        store.ItemEvent,
		ContentType: contentType,
		CreatedAt:   at,
	}
	if p != nil {
		it.ParticipantID = p.ID
		it.DisplayName = p.DisplayName
		it.Role = p.Role
	}
	return it
}
