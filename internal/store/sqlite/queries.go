package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// The SQL of the driver, read top to bottom. Each query is prepared once:
// the writer's on its dedicated connection, the readers' on the read pool.

const (
	qInsertInstance = `INSERT INTO instances (id, alias, region, created_at) VALUES (?, ?, ?, ?)`
	qInsertKey      = `INSERT INTO access_keys (id, instance_id, secret, created_at) VALUES (?, ?, ?, ?)`

	qGetInstance   = `SELECT id, alias, region, created_at FROM instances WHERE id = ?`
	qListInstances = `SELECT id, alias, region, created_at FROM instances ORDER BY created_at, rowid`
	qGetAccessKey  = `SELECT id, instance_id, secret, created_at FROM access_keys WHERE id = ?`
)

const contactCols = `id, instance_id, initial_contact_id, previous_contact_id, related_contact_id,
	continued_from_id, channel, initiation_method, flow_id, state, attributes, segment_attributes,
	customer_id, supported_content_types, disconnect_on_customer_exit, participant_timers,
	chat_duration_ns, initiated_at, last_updated_at, disconnected_at, disconnect_reason, last_seq`

const (
	// qGetContact also serves LockContact: the writer's transaction
	// already excludes every other writer, so reading is locking.
	qGetContact    = `SELECT ` + contactCols + ` FROM contacts WHERE id = ? AND instance_id = ?`
	qInsertContact = `INSERT INTO contacts (` + contactCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`
	qUpdateContact = `UPDATE contacts SET state = ?, attributes = ?, disconnected_at = ?,
		disconnect_reason = ?, last_updated_at = ?, participant_timers = ?
		WHERE id = ? AND instance_id = ?`
	qHasContinuation = `SELECT EXISTS (SELECT 1 FROM contacts WHERE continued_from_id = ? AND continued_from_id <> '')`
)

const participantCols = `id, contact_id, instance_id, role, display_name, state, created_at,
	connected_at, left_at, last_active_at, hidden`

const (
	qInsertParticipant = `INSERT INTO participants (` + participantCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateParticipant = `UPDATE participants SET state = ?, connected_at = ?, left_at = ?, last_active_at = ?, hidden = ? WHERE id = ?`
	qListParticipants  = `SELECT ` + participantCols + ` FROM participants WHERE contact_id = ? ORDER BY rowid`
	qGetParticipant    = `SELECT ` + participantCols + ` FROM participants WHERE id = ?`
)

const (
	qInsertToken = `INSERT INTO tokens (hash, kind, instance_id, contact_id, participant_id, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	qLookupToken = `SELECT hash, kind, instance_id, contact_id, participant_id, expires_at, created_at
		FROM tokens WHERE hash = ?`
	qDeleteTokens        = `DELETE FROM tokens WHERE participant_id = ?`
	qDeleteExpiredTokens = `DELETE FROM tokens WHERE expires_at < ?`
)

const itemCols = `contact_id, seq, id, type, content_type, content, participant_id, display_name,
	role, created_at, client_token`

const (
	// qAppendItem takes its sequence from the contact row, so a missing
	// contact inserts nothing (and returns no row), and a duplicate item
	// ID fails before the contact's last_seq moves.
	qAppendItem = `INSERT INTO items (` + itemCols + `)
		SELECT id, last_seq + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM contacts WHERE id = ?
		RETURNING seq`
	qSetLastSeq = `UPDATE contacts SET last_seq = ? WHERE id = ?`

	qAddActiveChats = `UPDATE instances SET active_chats = active_chats + ? WHERE id = ? RETURNING active_chats`
	qGetItem        = `SELECT ` + itemCols + ` FROM items WHERE contact_id = ? AND id = ?`
	// Bounds are exclusive; the caller turns "unbounded" into 0 and
	// MaxInt64 and "no limit" into -1, so one plan serves every query.
	qListItemsAsc = `SELECT ` + itemCols + ` FROM items
		WHERE contact_id = ? AND seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?`
	qListItemsDesc = `SELECT ` + itemCols + ` FROM items
		WHERE contact_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`
)

const (
	// qPutReceipt merges: a zero time in the new receipt keeps the old one.
	qPutReceipt = `INSERT INTO receipts (contact_id, message_id, recipient_id, delivered_at, read_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (contact_id, message_id, recipient_id) DO UPDATE SET
			delivered_at = CASE WHEN excluded.delivered_at = 0 THEN delivered_at ELSE excluded.delivered_at END,
			read_at = CASE WHEN excluded.read_at = 0 THEN read_at ELSE excluded.read_at END`
	qGetReceipt = `SELECT contact_id, message_id, recipient_id, delivered_at, read_at FROM receipts
		WHERE contact_id = ? AND message_id = ? AND recipient_id = ?`
	// qListReceipts takes the message IDs as one JSON array so that a
	// single prepared statement serves any number of them.
	qListReceipts = `SELECT contact_id, message_id, recipient_id, delivered_at, read_at FROM receipts
		WHERE contact_id = ? AND message_id IN (SELECT value FROM json_each(?))
		ORDER BY message_id, recipient_id`
)

const (
	qGetIdempotent           = `SELECT result FROM idempotency WHERE scope = ? AND key = ?`
	qPutIdempotent           = `INSERT INTO idempotency (scope, key, result, expires_at) VALUES (?, ?, ?, ?)`
	qDeleteExpiredIdempotent = `DELETE FROM idempotency WHERE expires_at < ?`
)

const (
	qPutTimer = `INSERT INTO timers (id, kind, instance_id, contact_id, due, payload, claimed_by, claimed_until, ready_at)
		VALUES (?, ?, ?, ?, ?, ?, '', 0, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, instance_id = excluded.instance_id,
			contact_id = excluded.contact_id, due = excluded.due, payload = excluded.payload,
			claimed_by = '', claimed_until = 0, ready_at = excluded.ready_at`
	qDeleteTimer         = `DELETE FROM timers WHERE id = ?`
	qDeleteContactTimers = `DELETE FROM timers WHERE contact_id = ?`
	// qClaimTimers leases the earliest claimable timers. ready_at <= now
	// means both "due" and "not leased to anyone right now".
	qClaimTimers = `UPDATE timers SET claimed_by = ?, claimed_until = ?, ready_at = ?
		WHERE id IN (SELECT id FROM timers WHERE ready_at <= ? ORDER BY ready_at LIMIT ?)
		RETURNING id, kind, instance_id, contact_id, due, payload`
	qNextTimer = `SELECT ready_at FROM timers ORDER BY ready_at LIMIT 1`
)

// preparer is what both *sql.Conn and *sql.DB offer.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// prep prepares statements, remembering the first error so a block of
// prepares reads as a list.
type prep struct {
	ctx context.Context
	p   preparer
	err error
	all []*sql.Stmt
}

func (p *prep) stmt(q string) *sql.Stmt {
	if p.err != nil {
		return nil
	}
	s, err := p.p.PrepareContext(p.ctx, q)
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(q), "\n")
		p.err = fmt.Errorf("prepare %q: %w", first, err)
		return nil
	}
	p.all = append(p.all, s)
	return s
}

func closeStmts(all []*sql.Stmt) error {
	var errs []error
	for _, s := range all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanInstance(sc scanner) (store.Instance, error) {
	var in store.Instance
	var created int64
	if err := sc.Scan(&in.ID, &in.Alias, &in.Region, &created); err != nil {
		return in, err
	}
	in.CreatedAt = decTime(created)
	return in, nil
}

func scanContact(sc scanner) (store.Contact, error) {
	var c store.Contact
	var attrs, types, exit string
	var dur, initiated, updated, disconnected int64
	err := sc.Scan(&c.ID, &c.InstanceID, &c.InitialContactID, &c.PreviousContactID, &c.RelatedContactID,
		&c.ContinuedFromID, &c.Channel, &c.InitiationMethod, &c.FlowID, &c.State, &attrs, &c.SegmentAttributes,
		&c.CustomerID, &types, &exit, &c.ParticipantTimers,
		&dur, &initiated, &updated, &disconnected, &c.DisconnectReason, &c.LastSeq)
	if err != nil {
		return c, err
	}
	if c.Attributes, err = decMap(attrs); err != nil {
		return c, err
	}
	if c.SupportedContentTypes, err = decList(types); err != nil {
		return c, err
	}
	if c.DisconnectOnCustomerExit, err = decList(exit); err != nil {
		return c, err
	}
	c.ChatDuration = time.Duration(dur)
	c.InitiatedAt = decTime(initiated)
	c.LastUpdatedAt = decTime(updated)
	c.DisconnectedAt = decTime(disconnected)
	return c, nil
}

func scanParticipant(sc scanner) (store.Participant, error) {
	var p store.Participant
	var created, connected, left, active int64
	err := sc.Scan(&p.ID, &p.ContactID, &p.InstanceID, &p.Role, &p.DisplayName, &p.State,
		&created, &connected, &left, &active, &p.Hidden)
	if err != nil {
		return p, err
	}
	p.CreatedAt = decTime(created)
	p.ConnectedAt = decTime(connected)
	p.LeftAt = decTime(left)
	p.LastActiveAt = decTime(active)
	return p, nil
}

func scanItem(sc scanner) (store.Item, error) {
	var it store.Item
	var created int64
	err := sc.Scan(&it.ContactID, &it.Seq, &it.ID, &it.Type, &it.ContentType, &it.Content,
		&it.ParticipantID, &it.DisplayName, &it.Role, &created, &it.ClientToken)
	if err != nil {
		return it, err
	}
	it.CreatedAt = decTime(created)
	return it, nil
}

func scanReceipt(sc scanner) (store.Receipt, error) {
	var r store.Receipt
	var delivered, read int64
	if err := sc.Scan(&r.ContactID, &r.MessageID, &r.RecipientID, &delivered, &read); err != nil {
		return r, err
	}
	r.DeliveredAt = decTime(delivered)
	r.ReadAt = decTime(read)
	return r, nil
}

// collect reads every row of rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
