package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// readStmts are prepared on the read pool; database/sql prepares each on
// whichever read connection runs it, once per connection.
type readStmts struct {
	getInstance, listInstances, getAccessKey *sql.Stmt

	getContact, listParticipants, getParticipant *sql.Stmt

	lookupToken *sql.Stmt

	listItemsAsc, listItemsDesc, getItem *sql.Stmt

	listReceipts, getIdempotent, nextTimer *sql.Stmt

	rt routingReadStmts
	fl flowReadStmts

	all []*sql.Stmt
}

func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	p := &prep{ctx: ctx, p: db}
	r := &readStmts{
		getInstance:      p.stmt(qGetInstance),
		listInstances:    p.stmt(qListInstances),
		getAccessKey:     p.stmt(qGetAccessKey),
		getContact:       p.stmt(qGetContact),
		listParticipants: p.stmt(qListParticipants),
		getParticipant:   p.stmt(qGetParticipant),
		lookupToken:      p.stmt(qLookupToken),
		listItemsAsc:     p.stmt(qListItemsAsc),
		listItemsDesc:    p.stmt(qListItemsDesc),
		getItem:          p.stmt(qGetItem),
		listReceipts:     p.stmt(qListReceipts),
		getIdempotent:    p.stmt(qGetIdempotent),
		nextTimer:        p.stmt(qNextTimer),
		rt:               prepareRoutingReads(p),
		fl:               prepareFlowReads(p),
	}
	r.all = p.all
	if p.err != nil {
		closeStmts(p.all)
		return nil, p.err
	}
	return r, nil
}

func (r *readStmts) close() error { return closeStmts(r.all) }

// GetInstance implements store.Store.
func (s *Store) GetInstance(ctx context.Context, id string) (store.Instance, error) {
	in, err := scanInstance(s.rd.getInstance.QueryRowContext(ctx, id))
	if err != nil {
		return store.Instance{}, mapErr("get instance", err)
	}
	return in, nil
}

// ListInstances implements store.Store.
func (s *Store) ListInstances(ctx context.Context) ([]store.Instance, error) {
	rows, err := s.rd.listInstances.QueryContext(ctx)
	if err != nil {
		return nil, mapErr("list instances", err)
	}
	ins, err := collect(rows, scanInstance)
	if err != nil {
		return nil, mapErr("list instances", err)
	}
	return ins, nil
}

// GetAccessKey implements store.Store.
func (s *Store) GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error) {
	var k store.AccessKey
	var created int64
	err := s.rd.getAccessKey.QueryRowContext(ctx, accessKeyID).Scan(&k.ID, &k.InstanceID, &k.Secret, &created)
	if err != nil {
		return store.AccessKey{}, mapErr("get access key", err)
	}
	k.CreatedAt = decTime(created)
	return k, nil
}

// GetContactFlow implements store.Store.
func (s *Store) GetContactFlow(ctx context.Context, instanceID, flowID string) (store.ContactFlow, error) {
	return readOne(ctx, "get contact flow", scanFlow, s.rd.fl.getFlow, flowID, instanceID)
}

// GetContact implements store.Store.
func (s *Store) GetContact(ctx context.Context, instanceID, contactID string) (store.Contact, error) {
	c, err := scanContact(s.rd.getContact.QueryRowContext(ctx, contactID, instanceID))
	if err != nil {
		return store.Contact{}, mapErr("get contact", err)
	}
	return c, nil
}

// ListParticipants implements store.Store.
func (s *Store) ListParticipants(ctx context.Context, contactID string) ([]store.Participant, error) {
	rows, err := s.rd.listParticipants.QueryContext(ctx, contactID)
	if err != nil {
		return nil, mapErr("list participants", err)
	}
	ps, err := collect(rows, scanParticipant)
	if err != nil {
		return nil, mapErr("list participants", err)
	}
	return ps, nil
}

// GetParticipant implements store.Store.
func (s *Store) GetParticipant(ctx context.Context, participantID string) (store.Participant, error) {
	p, err := scanParticipant(s.rd.getParticipant.QueryRowContext(ctx, participantID))
	if err != nil {
		return store.Participant{}, mapErr("get participant", err)
	}
	return p, nil
}

// LookupToken implements store.Store.
func (s *Store) LookupToken(ctx context.Context, hash []byte) (store.Token, error) {
	var t store.Token
	var expires, created int64
	err := s.rd.lookupToken.QueryRowContext(ctx, hash).
		Scan(&t.Hash, &t.Kind, &t.InstanceID, &t.ContactID, &t.ParticipantID, &expires, &created)
	if err != nil {
		return store.Token{}, mapErr("lookup token", err)
	}
	t.ExpiresAt = decTime(expires)
	t.CreatedAt = decTime(created)
	return t, nil
}

// ListItems implements store.Store.
func (s *Store) ListItems(ctx context.Context, q store.ItemQuery) ([]store.Item, error) {
	st := s.rd.listItemsAsc
	if q.Descending {
		st = s.rd.listItemsDesc
	}
	after, before, limit := seqBounds(q)
	rows, err := st.QueryContext(ctx, q.ContactID, after, before, limit)
	if err != nil {
		return nil, mapErr("list items", err)
	}
	its, err := collect(rows, scanItem)
	if err != nil {
		return nil, mapErr("list items", err)
	}
	return its, nil
}

// GetItem implements store.Store.
func (s *Store) GetItem(ctx context.Context, contactID, itemID string) (store.Item, error) {
	it, err := scanItem(s.rd.getItem.QueryRowContext(ctx, contactID, itemID))
	if err != nil {
		return store.Item{}, mapErr("get item", err)
	}
	return it, nil
}

// ListReceipts implements store.Store.
func (s *Store) ListReceipts(ctx context.Context, contactID string, messageIDs []string) ([]store.Receipt, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	ids, err := json.Marshal(messageIDs)
	if err != nil {
		return nil, fmt.Errorf("list receipts: %w", err)
	}
	rows, err := s.rd.listReceipts.QueryContext(ctx, contactID, string(ids))
	if err != nil {
		return nil, mapErr("list receipts", err)
	}
	rs, err := collect(rows, scanReceipt)
	if err != nil {
		return nil, mapErr("list receipts", err)
	}
	return rs, nil
}

// GetIdempotent implements store.Store.
func (s *Store) GetIdempotent(ctx context.Context, scope, key string) ([]byte, error) {
	var b []byte
	if err := s.rd.getIdempotent.QueryRowContext(ctx, scope, key).Scan(&b); err != nil {
		return nil, mapErr("get idempotent", err)
	}
	return nonNil(b), nil
}

// ClaimTimers implements store.Store. Claiming writes, so it is a Write:
// the single writer makes the select-and-lease atomic without row locks.
func (s *Store) ClaimTimers(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]store.Timer, error) {
	var claimed []store.Timer
	err := s.Write(ctx, func(t store.Tx) error {
		var err error
		claimed, err = t.(*tx).claimTimers(now, owner, lease, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// NextTimer implements store.Store. It reports when the earliest timer
// can next be claimed: its due time, or for a timer leased to a claimer,
// the end of that lease. A scheduler sleeping until then neither misses a
// timer whose claimer died nor spins on one that is being handled.
func (s *Store) NextTimer(ctx context.Context) (time.Time, bool, error) {
	var at int64
	err := s.rd.nextTimer.QueryRowContext(ctx).Scan(&at)
	switch classify(err) {
	case classNotFound:
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, mapErr("next timer", err)
	}
	return decTime(at), true, nil
}
