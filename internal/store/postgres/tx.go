package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/store"
)

// tx is the store.Tx of one Write. It keeps Write's context because the
// Tx methods take none: they live and die with the call that made them.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
}

var _ store.Tx = (*tx)(nil)

// CreateInstance inserts an instance and everything created with it, all
// tied to ni.Instance.ID whatever their own InstanceID says. The inserts go
// out as one batch inside a savepoint, so a duplicate leaves nothing behind
// and the surrounding transaction stays usable.
func (t *tx) CreateInstance(ni store.NewInstance) error {
	sp, err := t.tx.Begin(t.ctx) // a savepoint
	if err != nil {
		return wrap("create instance", err)
	}
	in := ni.Instance
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO instances (id, alias, region, created_at) VALUES ($1, $2, $3, $4)`,
		in.ID, in.Alias, in.Region, ts(in.CreatedAt))
	k := ni.AccessKey
	b.Queue(`INSERT INTO access_keys (id, instance_id, secret, created_at) VALUES ($1, $2, $3, $4)`,
		k.ID, in.ID, k.Secret, ts(k.CreatedAt))
	for _, r := range ni.Resources {
		b.Queue(qInsertResource, resourceArgs(in.ID, r)...)
	}
	for _, f := range ni.Flows {
		args, err := flowArgs(in.ID, f)
		if err != nil {
			_ = sp.Rollback(t.ctx)
			return wrap("create instance", err)
		}
		b.Queue(qInsertContactFlow, args...)
		if f.Version > 0 {
			b.Queue(qInsertFlowVersion, in.ID, f.ID, f.Version, f.Content, ts(publishedAt(f)))
		}
	}
	if err := sp.SendBatch(t.ctx, b).Close(); err != nil {
		_ = sp.Rollback(t.ctx)
		return wrap("create instance", err)
	}
	return wrap("create instance", sp.Commit(t.ctx))
}

// LockContact reads a contact of an instance and holds its row lock until
// the transaction ends.
func (t *tx) LockContact(instanceID, contactID string) (store.Contact, error) {
	c, err := scanContact(t.tx.QueryRow(t.ctx,
		`SELECT `+contactCols+` FROM contacts WHERE id = $1 AND instance_id = $2 FOR UPDATE`,
		contactID, instanceID))
	return c, wrap("lock contact", err)
}

// InsertContact inserts a new contact.
func (t *tx) InsertContact(c store.Contact) error {
	if c.LastSeq != 0 {
		return fmt.Errorf("postgres: insert contact %s: LastSeq is %d, want 0", c.ID, c.LastSeq)
	}
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO contacts (
			id, instance_id, initial_contact_id, previous_contact_id,
			related_contact_id, continued_from_id, channel, initiation_method, flow_id,
			state, attributes, segment_attributes, customer_id, supported_content_types,
			disconnect_on_customer_exit, participant_timers, chat_duration_ns,
			initiated_at, last_updated_at, disconnected_at, disconnect_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21)
		ON CONFLICT DO NOTHING`,
		c.ID, c.InstanceID, c.InitialContactID, c.PreviousContactID,
		c.RelatedContactID, c.ContinuedFromID, c.Channel, c.InitiationMethod, c.FlowID,
		c.State, jsonMap(c.Attributes), c.SegmentAttributes, c.CustomerID, c.SupportedContentTypes,
		c.DisconnectOnCustomerExit, c.ParticipantTimers, int64(c.ChatDuration),
		ts(c.InitiatedAt), ts(c.LastUpdatedAt), ts(c.DisconnectedAt), c.DisconnectReason)
	if err != nil {
		return wrap("insert contact", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("insert contact")
	}
	return nil
}

// UpdateContact saves the mutable fields of a contact.
func (t *tx) UpdateContact(c store.Contact) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE contacts SET
			state = $3, attributes = $4, disconnected_at = $5, disconnect_reason = $6,
			last_updated_at = $7, participant_timers = $8
		WHERE id = $1 AND instance_id = $2`,
		c.ID, c.InstanceID,
		c.State, jsonMap(c.Attributes), ts(c.DisconnectedAt), c.DisconnectReason,
		ts(c.LastUpdatedAt), c.ParticipantTimers)
	if err != nil {
		return wrap("update contact", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("update contact")
	}
	return nil
}

// HasContinuation reports whether some contact continues from
// sourceContactID.
func (t *tx) HasContinuation(sourceContactID string) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(t.ctx,
		`SELECT EXISTS (SELECT 1 FROM contacts WHERE continued_from_id = $1 AND continued_from_id <> '')`, sourceContactID,
	).Scan(&ok)
	return ok, wrap("has continuation", err)
}

// AddActiveChats adds delta to the instance's active chat count. The row
// lock it takes serialises concurrent starts and ends of one instance.
func (t *tx) AddActiveChats(instanceID string, delta int) (int, error) {
	var n int
	err := t.tx.QueryRow(t.ctx,
		`UPDATE instances SET active_chats = active_chats + $1 WHERE id = $2 RETURNING active_chats`, delta, instanceID,
	).Scan(&n)
	return n, wrap("add active chats", err)
}

// InsertParticipant inserts a participant.
func (t *tx) InsertParticipant(p store.Participant) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO participants (
			id, contact_id, instance_id, role, display_name, state,
			created_at, connected_at, left_at, last_active_at, hidden)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING`,
		p.ID, p.ContactID, p.InstanceID, p.Role, p.DisplayName, p.State,
		ts(p.CreatedAt), ts(p.ConnectedAt), ts(p.LeftAt), ts(p.LastActiveAt), p.Hidden)
	if err != nil {
		return wrap("insert participant", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("insert participant")
	}
	return nil
}

// UpdateParticipant saves the mutable fields of a participant.
func (t *tx) UpdateParticipant(p store.Participant) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE participants SET
			state = $3, connected_at = $4, left_at = $5, last_active_at = $6, hidden = $7
		WHERE id = $1 AND instance_id = $2`,
		p.ID, p.InstanceID, p.State, ts(p.ConnectedAt), ts(p.LeftAt), ts(p.LastActiveAt), p.Hidden)
	if err != nil {
		return wrap("update participant", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("update participant")
	}
	return nil
}

// GetParticipant reads one participant inside the transaction.
func (t *tx) GetParticipant(participantID string) (store.Participant, error) {
	return getParticipant(t.ctx, t.tx, participantID)
}

// ListParticipants lists a contact's participants inside the transaction.
func (t *tx) ListParticipants(contactID string) ([]store.Participant, error) {
	return listParticipants(t.ctx, t.tx, contactID)
}

// InsertToken stores a token by its hash.
func (t *tx) InsertToken(tok store.Token) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO tokens (`+tokenCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		tok.Hash, tok.Kind, tok.InstanceID, tok.ContactID, tok.ParticipantID,
		tok.ExpiresAt, ts(tok.CreatedAt))
	if err != nil {
		return wrap("insert token", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("insert token")
	}
	return nil
}

// DeleteTokens deletes every token of a participant.
func (t *tx) DeleteTokens(participantID string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM tokens WHERE participant_id = $1`, participantID)
	return wrap("delete tokens", err)
}

// DeleteExpiredTokens deletes tokens that expired before the given time.
func (t *tx) DeleteExpiredTokens(before time.Time) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	return int(tag.RowsAffected()), nil
}

// AppendItem stores an item under the contact's next sequence number.
//
// One statement bumps last_seq (taking the contact's row lock, which
// orders concurrent appends) and inserts the item with the new number. The
// NOT EXISTS guard turns a duplicate item ID into "no row" rather than a
// unique violation, so the sequence is not consumed and the transaction
// stays usable; only two transactions racing to append the same ID can
// still hit the unique index, and that aborts the loser.
func (t *tx) AppendItem(it store.Item) (int64, error) {
	var seq int64
	err := t.tx.QueryRow(t.ctx, `WITH c AS (
			UPDATE contacts SET last_seq = last_seq + 1
			WHERE id = $1
			  AND NOT EXISTS (SELECT 1 FROM items WHERE contact_id = $1 AND id = $2)
			RETURNING last_seq)
		INSERT INTO items (`+itemCols+`)
		SELECT $1, c.last_seq, $2, $3::text, $4::text, $5::text,
			$6::text, $7::text, $8::text, $9::timestamptz, $10::text
		FROM c
		RETURNING seq`,
		it.ContactID, it.ID, it.Type, it.ContentType, it.Content,
		it.ParticipantID, it.DisplayName, it.Role, ts(it.CreatedAt), it.ClientToken,
	).Scan(&seq)
	if err == nil {
		return seq, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, wrap("append item", err)
	}
	// Off the hot path: say which of the two guards failed.
	var exists bool
	if err := t.tx.QueryRow(t.ctx,
		`SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1)`, it.ContactID).Scan(&exists); err != nil {
		return 0, wrap("append item", err)
	}
	if !exists {
		return 0, notFound("append item")
	}
	return 0, duplicate("append item")
}

// GetItem reads one item inside the transaction.
func (t *tx) GetItem(contactID, itemID string) (store.Item, error) {
	return getItem(t.ctx, t.tx, contactID, itemID)
}

// PutReceipt records or merges a receipt; a zero time keeps the stored one.
func (t *tx) PutReceipt(r store.Receipt) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO receipts (`+receiptCols+`)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (contact_id, message_id, recipient_id) DO UPDATE SET
			delivered_at = COALESCE(EXCLUDED.delivered_at, receipts.delivered_at),
			read_at = COALESCE(EXCLUDED.read_at, receipts.read_at)`,
		r.ContactID, r.MessageID, r.RecipientID, ts(r.DeliveredAt), ts(r.ReadAt))
	return wrap("put receipt", err)
}

// GetReceipt returns the receipt of one message for one recipient.
func (t *tx) GetReceipt(contactID, messageID, recipientID string) (store.Receipt, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+receiptCols+` FROM receipts
		WHERE contact_id = $1 AND message_id = $2 AND recipient_id = $3`,
		contactID, messageID, recipientID)
	r, err := pgx.CollectExactlyOneRow(rows, scanReceipt)
	return r, wrap("get receipt", err)
}

// GetIdempotent reads a stored idempotent result inside the transaction.
func (t *tx) GetIdempotent(scope, key string) ([]byte, error) {
	return getIdempotent(t.ctx, t.tx, scope, key)
}

// PutIdempotent records the result of an idempotent call. A second result
// for the same scope and key is a duplicate: the first one stands.
func (t *tx) PutIdempotent(scope, key string, result []byte, expires time.Time) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO idempotency (scope, key, result, expires_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`,
		scope, key, nonNil(result), expires)
	if err != nil {
		return wrap("put idempotent", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put idempotent")
	}
	return nil
}

// DeleteExpiredIdempotent deletes idempotency records that expired before
// the given time.
func (t *tx) DeleteExpiredIdempotent(before time.Time) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM idempotency WHERE expires_at < $1`, before)
	if err != nil {
		return 0, wrap("delete expired idempotent", err)
	}
	return int(tag.RowsAffected()), nil
}

// nonNil turns a nil result into an empty one: the column is NOT NULL
// because "no result" is not a state an idempotent call can record.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// PutTimer inserts or replaces a timer by ID and clears any claim on it.
func (t *tx) PutTimer(tm store.Timer) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO timers (`+timerCols+`, ready_at)
		VALUES ($1, $2, $3, $4, $5, $6, $5)
		ON CONFLICT (id) DO UPDATE SET
			kind = EXCLUDED.kind, instance_id = EXCLUDED.instance_id,
			contact_id = EXCLUDED.contact_id, due = EXCLUDED.due, payload = EXCLUDED.payload,
			claimed_by = '', claimed_until = NULL, ready_at = EXCLUDED.due`,
		tm.ID, tm.Kind, tm.InstanceID, tm.ContactID, tm.Due, tm.Payload)
	return wrap("put timer", err)
}

// DeleteTimer deletes a timer; a missing one is not an error.
func (t *tx) DeleteTimer(id string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM timers WHERE id = $1`, id)
	return wrap("delete timer", err)
}

// DeleteContactTimers deletes every timer of a contact.
func (t *tx) DeleteContactTimers(contactID string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM timers WHERE contact_id = $1`, contactID)
	return wrap("delete contact timers", err)
}
