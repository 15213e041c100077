package postgres

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parley-chat/parley/internal/store"
)

// GetInstance returns one instance.
func (s *Store) GetInstance(ctx context.Context, id string) (store.Instance, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+instanceCols+` FROM instances WHERE id = $1`, id)
	in, err := pgx.CollectExactlyOneRow(rows, scanInstance)
	return in, wrap("get instance", err)
}

// ListInstances returns all instances, oldest first.
func (s *Store) ListInstances(ctx context.Context) ([]store.Instance, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+instanceCols+` FROM instances ORDER BY created_at, ord`)
	ins, err := pgx.CollectRows(rows, scanInstance)
	return ins, wrap("list instances", err)
}

// GetAccessKey returns the SigV4 access key with this access key ID.
func (s *Store) GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error) {
	var k store.AccessKey
	err := s.pool.QueryRow(ctx,
		`SELECT id, instance_id, secret, created_at FROM access_keys WHERE id = $1`, accessKeyID,
	).Scan(&k.ID, &k.InstanceID, &k.Secret, utc{&k.CreatedAt})
	return k, wrap("get access key", err)
}

// GetContactFlow returns one flow of an instance.
func (s *Store) GetContactFlow(ctx context.Context, instanceID, flowID string) (store.ContactFlow, error) {
	return getContactFlow(ctx, s.pool, "", instanceID, flowID)
}

// GetContact returns one contact of an instance.
func (s *Store) GetContact(ctx context.Context, instanceID, contactID string) (store.Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx,
		`SELECT `+contactCols+` FROM contacts WHERE id = $1 AND instance_id = $2`,
		contactID, instanceID))
	return c, wrap("get contact", err)
}

// ListParticipants returns the participants of a contact in the order they
// were added.
func (s *Store) ListParticipants(ctx context.Context, contactID string) ([]store.Participant, error) {
	return listParticipants(ctx, s.pool, contactID)
}

func listParticipants(ctx context.Context, q querier, contactID string) ([]store.Participant, error) {
	rows, _ := q.Query(ctx,
		`SELECT `+participantCols+` FROM participants WHERE contact_id = $1 ORDER BY ord`, contactID)
	ps, err := pgx.CollectRows(rows, scanParticipant)
	return ps, wrap("list participants", err)
}

// GetParticipant returns one participant.
func (s *Store) GetParticipant(ctx context.Context, participantID string) (store.Participant, error) {
	return getParticipant(ctx, s.pool, participantID)
}

func getParticipant(ctx context.Context, q querier, participantID string) (store.Participant, error) {
	rows, _ := q.Query(ctx,
		`SELECT `+participantCols+` FROM participants WHERE id = $1`, participantID)
	p, err := pgx.CollectExactlyOneRow(rows, scanParticipant)
	return p, wrap("get participant", err)
}

// LookupToken returns the token with this hash, whatever its expiry.
func (s *Store) LookupToken(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash))
	return t, wrap("lookup token", err)
}

// ListItems returns items of one contact by sequence range.
func (s *Store) ListItems(ctx context.Context, q store.ItemQuery) ([]store.Item, error) {
	// Both bounds are always present so that one prepared statement per
	// direction serves every query and always walks the (contact_id, seq)
	// primary key; "no bound" is the widest bound. A NULL limit is LIMIT ALL.
	before := q.BeforeSeq
	if before <= 0 {
		before = math.MaxInt64
	}
	var limit any
	if q.Limit > 0 {
		limit = int64(q.Limit)
	}
	order := "ASC"
	if q.Descending {
		order = "DESC"
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+itemCols+` FROM items
		WHERE contact_id = $1 AND seq > $2 AND seq < $3
		ORDER BY seq `+order+` LIMIT $4`,
		q.ContactID, q.AfterSeq, before, limit)
	items, err := pgx.CollectRows(rows, scanItem)
	return items, wrap("list items", err)
}

// GetItem returns one item of a contact by its ID.
func (s *Store) GetItem(ctx context.Context, contactID, itemID string) (store.Item, error) {
	return getItem(ctx, s.pool, contactID, itemID)
}

func getItem(ctx context.Context, q querier, contactID, itemID string) (store.Item, error) {
	rows, _ := q.Query(ctx,
		`SELECT `+itemCols+` FROM items WHERE contact_id = $1 AND id = $2`, contactID, itemID)
	it, err := pgx.CollectExactlyOneRow(rows, scanItem)
	return it, wrap("get item", err)
}

// ListReceipts returns the receipts recorded for the given messages of one
// contact, ordered by message ID and then recipient ID.
func (s *Store) ListReceipts(ctx context.Context, contactID string, messageIDs []string) ([]store.Receipt, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+receiptCols+` FROM receipts
		WHERE contact_id = $1 AND message_id = ANY($2)
		ORDER BY message_id, recipient_id`, contactID, messageIDs)
	rs, err := pgx.CollectRows(rows, scanReceipt)
	return rs, wrap("list receipts", err)
}

// GetIdempotent returns the stored result of an idempotent call.
func (s *Store) GetIdempotent(ctx context.Context, scope, key string) ([]byte, error) {
	return getIdempotent(ctx, s.pool, scope, key)
}

func getIdempotent(ctx context.Context, q querier, scope, key string) ([]byte, error) {
	var result []byte
	err := q.QueryRow(ctx,
		`SELECT result FROM idempotency WHERE scope = $1 AND key = $2`, scope, key).Scan(&result)
	return result, wrap("get idempotent", err)
}

// ClaimTimers claims up to limit due timers for owner, see store.Store.
// Claims of concurrent callers never overlap: each candidate row is locked
// with SKIP LOCKED, and a row another caller has just claimed fails the
// re-checked WHERE clause once that caller commits.
func (s *Store) ClaimTimers(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]store.Timer, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The candidates are collected into an array (an InitPlan) rather
	// than joined with IN: the generic plan of an IN with a parameterised
	// LIMIT hash-joins against a sequential scan of the whole table, while
	// this shape always walks timers_ready_idx and then the primary key.
	until := now.Add(lease)
	rows, _ := s.pool.Query(ctx, `UPDATE timers SET claimed_by = $2, claimed_until = $3, ready_at = $3
		WHERE id = ANY (ARRAY (
			SELECT id FROM timers
			WHERE ready_at <= $1
			ORDER BY ready_at
			LIMIT $4
			FOR UPDATE SKIP LOCKED))
		RETURNING `+timerCols,
		now, owner, until, int64(limit))
	timers, err := pgx.CollectRows(rows, scanTimer)
	if err != nil {
		return nil, wrap("claim timers", err)
	}
	// RETURNING has no order; callers fire timers earliest first.
	slices.SortFunc(timers, func(a, b store.Timer) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return timers, nil
}

// NextTimer returns when the earliest timer may next be claimed (its due
// time, or the end of its current lease), or ok=false if there is none.
func (s *Store) NextTimer(ctx context.Context) (time.Time, bool, error) {
	var due pgtype.Timestamptz
	if err := s.pool.QueryRow(ctx, `SELECT min(ready_at) FROM timers`).Scan(&due); err != nil {
		return time.Time{}, false, wrap("next timer", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return due.Time.UTC(), true, nil
}
