package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parley-chat/parley/internal/store"
)

// querier is what the pool and a transaction have in common, so that the
// reads offered both by Store and by Tx are written once.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ts encodes a time for a nullable timestamptz column: the zero time,
// which the records use for "not yet", becomes NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// utc scans a nullable timestamptz into *p: NULL becomes the zero time and
// anything else is returned in UTC, whatever the session's TimeZone.
type utc struct{ p *time.Time }

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (u utc) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*u.p = time.Time{}
		return nil
	}
	*u.p = v.Time.UTC()
	return nil
}

// jsonMap encodes a map for a nullable jsonb column, keeping nil apart from
// an empty map.
func jsonMap(m map[string]string) any {
	if m == nil {
		return nil
	}
	return m
}

// Column lists, in the order the scan functions below expect them.
const (
	instanceCols    = `id, alias, region, created_at`
	contactFlowCols = `id, instance_id, name, type, description, status, state, content, version, tags, created_at, updated_at`
	contactCols     = `id, instance_id, initial_contact_id, previous_contact_id,
		related_contact_id, continued_from_id, channel, initiation_method, flow_id,
		state, attributes, segment_attributes, customer_id, supported_content_types,
		disconnect_on_customer_exit, participant_timers, chat_duration_ns,
		initiated_at, last_updated_at, disconnected_at, disconnect_reason, last_seq`
	participantCols = `id, contact_id, instance_id, role, display_name, state,
		created_at, connected_at, left_at, last_active_at, hidden`
	tokenCols = `hash, kind, instance_id, contact_id, participant_id,
		expires_at, created_at`
	itemCols = `contact_id, seq, id, type, content_type, content,
		participant_id, display_name, role, created_at, client_token`
	receiptCols = `contact_id, message_id, recipient_id, delivered_at, read_at`
	timerCols   = `id, kind, instance_id, contact_id, due, payload`
)

func scanInstance(row pgx.CollectableRow) (store.Instance, error) {
	var in store.Instance
	err := row.Scan(&in.ID, &in.Alias, &in.Region, utc{&in.CreatedAt})
	return in, err
}

func scanContactFlow(row pgx.CollectableRow) (store.ContactFlow, error) {
	var f store.ContactFlow
	var tags string
	err := row.Scan(&f.ID, &f.InstanceID, &f.Name, &f.Type, &f.Description, &f.Status, &f.State,
		&f.Content, &f.Version, &tags, utc{&f.CreatedAt}, utc{&f.UpdatedAt})
	if err != nil {
		return f, err
	}
	f.Tags, err = decTags(tags)
	return f, err
}

func scanContact(row pgx.Row) (store.Contact, error) {
	var c store.Contact
	var durNS int64
	err := row.Scan(&c.ID, &c.InstanceID, &c.InitialContactID, &c.PreviousContactID,
		&c.RelatedContactID, &c.ContinuedFromID, &c.Channel, &c.InitiationMethod, &c.FlowID,
		&c.State, &c.Attributes, &c.SegmentAttributes, &c.CustomerID, &c.SupportedContentTypes,
		&c.DisconnectOnCustomerExit, &c.ParticipantTimers, &durNS,
		utc{&c.InitiatedAt}, utc{&c.LastUpdatedAt}, utc{&c.DisconnectedAt}, &c.DisconnectReason, &c.LastSeq)
	c.ChatDuration = time.Duration(durNS)
	return c, err
}

func scanParticipant(row pgx.CollectableRow) (store.Participant, error) {
	var p store.Participant
	err := row.Scan(&p.ID, &p.ContactID, &p.InstanceID, &p.Role, &p.DisplayName, &p.State,
		utc{&p.CreatedAt}, utc{&p.ConnectedAt}, utc{&p.LeftAt}, utc{&p.LastActiveAt}, &p.Hidden)
	return p, err
}

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	err := row.Scan(&t.Hash, &t.Kind, &t.InstanceID, &t.ContactID, &t.ParticipantID,
		utc{&t.ExpiresAt}, utc{&t.CreatedAt})
	return t, err
}

func scanItem(row pgx.CollectableRow) (store.Item, error) {
	var it store.Item
	err := row.Scan(&it.ContactID, &it.Seq, &it.ID, &it.Type, &it.ContentType, &it.Content,
		&it.ParticipantID, &it.DisplayName, &it.Role, utc{&it.CreatedAt}, &it.ClientToken)
	return it, err
}

func scanReceipt(row pgx.CollectableRow) (store.Receipt, error) {
	var r store.Receipt
	err := row.Scan(&r.ContactID, &r.MessageID, &r.RecipientID, utc{&r.DeliveredAt}, utc{&r.ReadAt})
	return r, err
}

func scanTimer(row pgx.CollectableRow) (store.Timer, error) {
	var t store.Timer
	err := row.Scan(&t.ID, &t.Kind, &t.InstanceID, &t.ContactID, utc{&t.Due}, &t.Payload)
	return t, err
}
