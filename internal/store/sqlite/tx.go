package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// writeStmts are prepared on the writer's connection, so they run inside
// whatever transaction and savepoint the writer has open.
type writeStmts struct {
	insertInstance, insertKey *sql.Stmt

	getContact, insertContact, updateContact, hasContinuation, addActiveChats *sql.Stmt

	insertParticipant, updateParticipant, listParticipants, getParticipant *sql.Stmt

	insertToken, deleteTokens, deleteExpiredTokens *sql.Stmt

	appendItem, setLastSeq, getItem *sql.Stmt

	putReceipt, getReceipt *sql.Stmt

	getIdempotent, putIdempotent, deleteExpiredIdempotent *sql.Stmt

	putTimer, deleteTimer, deleteContactTimers, claimTimers *sql.Stmt

	rt routingWriteStmts
	fl flowWriteStmts

	all []*sql.Stmt
}

func prepareWrites(ctx context.Context, conn *sql.Conn) (*writeStmts, error) {
	p := &prep{ctx: ctx, p: conn}
	w := &writeStmts{
		insertInstance: p.stmt(qInsertInstance),
		insertKey:      p.stmt(qInsertKey),

		getContact:      p.stmt(qGetContact),
		insertContact:   p.stmt(qInsertContact),
		updateContact:   p.stmt(qUpdateContact),
		hasContinuation: p.stmt(qHasContinuation),
		addActiveChats:  p.stmt(qAddActiveChats),

		insertParticipant: p.stmt(qInsertParticipant),
		updateParticipant: p.stmt(qUpdateParticipant),
		listParticipants:  p.stmt(qListParticipants),
		getParticipant:    p.stmt(qGetParticipant),

		insertToken:         p.stmt(qInsertToken),
		deleteTokens:        p.stmt(qDeleteTokens),
		deleteExpiredTokens: p.stmt(qDeleteExpiredTokens),

		appendItem: p.stmt(qAppendItem),
		setLastSeq: p.stmt(qSetLastSeq),
		getItem:    p.stmt(qGetItem),

		putReceipt: p.stmt(qPutReceipt),
		getReceipt: p.stmt(qGetReceipt),

		getIdempotent:           p.stmt(qGetIdempotent),
		putIdempotent:           p.stmt(qPutIdempotent),
		deleteExpiredIdempotent: p.stmt(qDeleteExpiredIdempotent),

		putTimer:            p.stmt(qPutTimer),
		deleteTimer:         p.stmt(qDeleteTimer),
		deleteContactTimers: p.stmt(qDeleteContactTimers),
		claimTimers:         p.stmt(qClaimTimers),

		rt: prepareRoutingWrites(p),
		fl: prepareFlowWrites(p),
	}
	w.all = p.all
	if p.err != nil {
		closeStmts(p.all)
		return nil, p.err
	}
	return w, nil
}

// tx is the store.Tx handed to one Write's fn. It runs on the writer
// goroutine, inside that Write's savepoint.
type tx struct {
	st *writeStmts
	// failed is set by the first error that may have cost the whole
	// transaction; the writer then rolls this Write back whatever fn
	// returns, and every later call fails fast so nothing can run
	// outside a transaction.
	failed error
	// ended is set when fn has returned; a Tx kept beyond that is a bug.
	ended bool
}

var _ store.Tx = (*tx)(nil)

var errTxEnded = errors.New("sqlite: Tx used after its Write returned")

// bg is the context of statements inside a transaction. Cancelling a
// statement interrupts the whole connection, which may roll back the
// transaction shared by a group commit, so callers' contexts stop at the
// queue (see Store.Write) and never reach the database.
var bg = context.Background()

// usable reports why the tx may not run another statement.
func (t *tx) usable() error {
	if t.ended {
		return errTxEnded
	}
	if t.failed != nil {
		return fmt.Errorf("earlier statement failed: %w", t.failed)
	}
	return nil
}

// fail maps err and remembers it if it may have broken the transaction.
func (t *tx) fail(op string, err error) error {
	if classify(err) == classFatal && t.failed == nil {
		t.failed = err
	}
	return mapErr(op, err)
}

func (t *tx) exec(op string, st *sql.Stmt, args ...any) (sql.Result, error) {
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	res, err := st.ExecContext(bg, args...)
	if err != nil {
		return nil, t.fail(op, err)
	}
	return res, nil
}

// affected returns ErrNotFound when a statement changed no row.
func (t *tx) affected(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// CreateInstance implements store.Tx.
func (t *tx) CreateInstance(ni store.NewInstance) error {
	const op = "create instance"
	in := ni.Instance
	if _, err := t.exec(op, t.st.insertInstance, in.ID, in.Alias, in.Region, encTime(in.CreatedAt)); err != nil {
		return err
	}
	k := ni.AccessKey
	if _, err := t.exec(op+": access key", t.st.insertKey, k.ID, in.ID, k.Secret, encTime(k.CreatedAt)); err != nil {
		return err
	}
	for _, r := range ni.Resources {
		if _, err := t.exec(op+": resource", t.st.rt.insertResource, resourceArgs(in.ID, r)...); err != nil {
			return err
		}
	}
	for _, f := range ni.Flows {
		if err := t.insertFlow(op+": flow", in.ID, f); err != nil {
			return err
		}
	}
	return nil
}

// LockContact implements store.Tx. With a single writer, every Write
// already excludes all others, so the read is the lock.
func (t *tx) LockContact(instanceID, contactID string) (store.Contact, error) {
	const op = "lock contact"
	if err := t.usable(); err != nil {
		return store.Contact{}, fmt.Errorf("%s: %w", op, err)
	}
	c, err := scanContact(t.st.getContact.QueryRowContext(bg, contactID, instanceID))
	if err != nil {
		return store.Contact{}, t.fail(op, err)
	}
	return c, nil
}

// InsertContact implements store.Tx.
func (t *tx) InsertContact(c store.Contact) error {
	const op = "insert contact"
	if c.LastSeq != 0 {
		return fmt.Errorf("%s: LastSeq must be 0, got %d", op, c.LastSeq)
	}
	attrs, err := encMap(c.Attributes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	types, err := encList(c.SupportedContentTypes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	exit, err := encList(c.DisconnectOnCustomerExit)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = t.exec(op, t.st.insertContact,
		c.ID, c.InstanceID, c.InitialContactID, c.PreviousContactID, c.RelatedContactID,
		c.ContinuedFromID, c.Channel, c.InitiationMethod, c.FlowID, c.State, attrs, c.SegmentAttributes,
		c.CustomerID, types, exit, c.ParticipantTimers,
		int64(c.ChatDuration), encTime(c.InitiatedAt), encTime(c.LastUpdatedAt), encTime(c.DisconnectedAt),
		c.DisconnectReason)
	return err
}

// UpdateContact implements store.Tx.
func (t *tx) UpdateContact(c store.Contact) error {
	const op = "update contact"
	attrs, err := encMap(c.Attributes)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	res, err := t.exec(op, t.st.updateContact,
		c.State, attrs, encTime(c.DisconnectedAt), c.DisconnectReason, encTime(c.LastUpdatedAt),
		c.ParticipantTimers, c.ID, c.InstanceID)
	if err != nil {
		return err
	}
	return t.affected(op, res)
}

// HasContinuation implements store.Tx.
func (t *tx) HasContinuation(sourceContactID string) (bool, error) {
	const op = "has continuation"
	if err := t.usable(); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	var ok bool
	if err := t.st.hasContinuation.QueryRowContext(bg, sourceContactID).Scan(&ok); err != nil {
		return false, t.fail(op, err)
	}
	return ok, nil
}

// AddActiveChats implements store.Tx.
func (t *tx) AddActiveChats(instanceID string, delta int) (int, error) {
	const op = "add active chats"
	if err := t.usable(); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	var n int
	if err := t.st.addActiveChats.QueryRowContext(bg, delta, instanceID).Scan(&n); err != nil {
		return 0, t.fail(op, err)
	}
	return n, nil
}

// InsertParticipant implements store.Tx.
func (t *tx) InsertParticipant(p store.Participant) error {
	_, err := t.exec("insert participant", t.st.insertParticipant,
		p.ID, p.ContactID, p.InstanceID, p.Role, p.DisplayName, p.State,
		encTime(p.CreatedAt), encTime(p.ConnectedAt), encTime(p.LeftAt), encTime(p.LastActiveAt), p.Hidden)
	return err
}

// UpdateParticipant implements store.Tx.
func (t *tx) UpdateParticipant(p store.Participant) error {
	const op = "update participant"
	res, err := t.exec(op, t.st.updateParticipant,
		p.State, encTime(p.ConnectedAt), encTime(p.LeftAt), encTime(p.LastActiveAt), p.Hidden, p.ID)
	if err != nil {
		return err
	}
	return t.affected(op, res)
}

// ListParticipants implements store.Tx.
func (t *tx) ListParticipants(contactID string) ([]store.Participant, error) {
	const op = "list participants"
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := t.st.listParticipants.QueryContext(bg, contactID)
	if err != nil {
		return nil, t.fail(op, err)
	}
	ps, err := collect(rows, scanParticipant)
	if err != nil {
		return nil, t.fail(op, err)
	}
	return ps, nil
}

// GetParticipant implements store.Tx.
func (t *tx) GetParticipant(participantID string) (store.Participant, error) {
	const op = "get participant"
	if err := t.usable(); err != nil {
		return store.Participant{}, fmt.Errorf("%s: %w", op, err)
	}
	p, err := scanParticipant(t.st.getParticipant.QueryRowContext(bg, participantID))
	if err != nil {
		return store.Participant{}, t.fail(op, err)
	}
	return p, nil
}

// InsertToken implements store.Tx.
func (t *tx) InsertToken(tk store.Token) error {
	_, err := t.exec("insert token", t.st.insertToken,
		tk.Hash, tk.Kind, tk.InstanceID, tk.ContactID, tk.ParticipantID,
		encTime(tk.ExpiresAt), encTime(tk.CreatedAt))
	return err
}

// DeleteTokens implements store.Tx.
func (t *tx) DeleteTokens(participantID string) error {
	_, err := t.exec("delete tokens", t.st.deleteTokens, participantID)
	return err
}

// DeleteExpiredTokens implements store.Tx.
func (t *tx) DeleteExpiredTokens(before time.Time) (int, error) {
	const op = "delete expired tokens"
	res, err := t.exec(op, t.st.deleteExpiredTokens, encTime(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.fail(op, err)
	}
	return int(n), nil
}

// AppendItem implements store.Tx.
func (t *tx) AppendItem(it store.Item) (int64, error) {
	const op = "append item"
	if err := t.usable(); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	var seq int64
	err := t.st.appendItem.QueryRowContext(bg,
		it.ID, it.Type, it.ContentType, it.Content, it.ParticipantID, it.DisplayName, it.Role,
		encTime(it.CreatedAt), it.ClientToken, it.ContactID).Scan(&seq)
	if err != nil {
		// No row back means no contact.
		return 0, t.fail(op, err)
	}
	if _, err := t.exec(op, t.st.setLastSeq, seq, it.ContactID); err != nil {
		return 0, err
	}
	return seq, nil
}

// GetItem implements store.Tx.
func (t *tx) GetItem(contactID, itemID string) (store.Item, error) {
	const op = "get item"
	if err := t.usable(); err != nil {
		return store.Item{}, fmt.Errorf("%s: %w", op, err)
	}
	it, err := scanItem(t.st.getItem.QueryRowContext(bg, contactID, itemID))
	if err != nil {
		return store.Item{}, t.fail(op, err)
	}
	return it, nil
}

// PutReceipt implements store.Tx.
func (t *tx) PutReceipt(r store.Receipt) error {
	_, err := t.exec("put receipt", t.st.putReceipt,
		r.ContactID, r.MessageID, r.RecipientID, encTime(r.DeliveredAt), encTime(r.ReadAt))
	return err
}

// GetReceipt implements store.Tx.
func (t *tx) GetReceipt(contactID, messageID, recipientID string) (store.Receipt, error) {
	const op = "get receipt"
	if err := t.usable(); err != nil {
		return store.Receipt{}, fmt.Errorf("%s: %w", op, err)
	}
	r, err := scanReceipt(t.st.getReceipt.QueryRowContext(bg, contactID, messageID, recipientID))
	if err != nil {
		return store.Receipt{}, t.fail(op, err)
	}
	return r, nil
}

// GetIdempotent implements store.Tx.
func (t *tx) GetIdempotent(scope, key string) ([]byte, error) {
	const op = "get idempotent"
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var b []byte
	if err := t.st.getIdempotent.QueryRowContext(bg, scope, key).Scan(&b); err != nil {
		return nil, t.fail(op, err)
	}
	return nonNil(b), nil
}

// PutIdempotent implements store.Tx. A key already recorded is
// ErrDuplicate: the first result stands, so a racing retry cannot
// overwrite it.
func (t *tx) PutIdempotent(scope, key string, result []byte, expires time.Time) error {
	_, err := t.exec("put idempotent", t.st.putIdempotent, scope, key, nonNil(result), encTime(expires))
	return err
}

// DeleteExpiredIdempotent implements store.Tx.
func (t *tx) DeleteExpiredIdempotent(before time.Time) (int, error) {
	const op = "delete expired idempotent"
	res, err := t.exec(op, t.st.deleteExpiredIdempotent, encTime(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.fail(op, err)
	}
	return int(n), nil
}

// PutTimer implements store.Tx.
func (t *tx) PutTimer(tm store.Timer) error {
	due := encTime(tm.Due)
	_, err := t.exec("put timer", t.st.putTimer,
		tm.ID, tm.Kind, tm.InstanceID, tm.ContactID, due, tm.Payload, due)
	return err
}

// DeleteTimer implements store.Tx.
func (t *tx) DeleteTimer(id string) error {
	_, err := t.exec("delete timer", t.st.deleteTimer, id)
	return err
}

// DeleteContactTimers implements store.Tx.
func (t *tx) DeleteContactTimers(contactID string) error {
	if contactID == "" {
		// Timers that belong to no contact share the empty ID; they are
		// nobody's to delete in bulk.
		return nil
	}
	_, err := t.exec("delete contact timers", t.st.deleteContactTimers, contactID)
	return err
}

// claimTimers backs Store.ClaimTimers, run as a Write of its own.
func (t *tx) claimTimers(now time.Time, owner string, lease time.Duration, limit int) ([]store.Timer, error) {
	const op = "claim timers"
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if limit <= 0 {
		return nil, nil
	}
	until := encTime(now.Add(lease))
	rows, err := t.st.claimTimers.QueryContext(bg, owner, until, until, encTime(now), limit)
	if err != nil {
		return nil, t.fail(op, err)
	}
	ts, err := collect(rows, func(sc scanner) (store.Timer, error) {
		var tm store.Timer
		var due int64
		if err := sc.Scan(&tm.ID, &tm.Kind, &tm.InstanceID, &tm.ContactID, &due, &tm.Payload); err != nil {
			return tm, err
		}
		tm.Due = decTime(due)
		return tm, nil
	})
	if err != nil {
		return nil, t.fail(op, err)
	}
	// RETURNING comes in no promised order; callers get the earliest first.
	slices.SortFunc(ts, func(a, b store.Timer) int { return a.Due.Compare(b.Due) })
	return ts, nil
}

// nonNil keeps an empty result distinct from SQL NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// seqBounds turns an ItemQuery into the always-bounded arguments of the
// list statements.
func seqBounds(q store.ItemQuery) (after, before, limit int64) {
	after, before, limit = q.AfterSeq, q.BeforeSeq, int64(q.Limit)
	if after < 0 {
		after = 0
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	if limit <= 0 {
		limit = -1
	}
	return after, before, limit
}
