package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Routing: resources, agents, contact routings, assignments and sessions.
// The single writer already serialises every Write, so LockRouting has
// nothing to lock and the reads inside a Tx need no row locks.

const resourceCols = `instance_id, kind, id, name, body, created_at, updated_at`

const (
	qInsertResource = `INSERT INTO resources (` + resourceCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	// qPutResource replaces by key; a name taken by another resource of
	// the kind still fails on the unique name, as a duplicate.
	qPutResource = qInsertResource + `
		ON CONFLICT (instance_id, kind, id) DO UPDATE SET name = excluded.name, body = excluded.body,
			created_at = excluded.created_at, updated_at = excluded.updated_at`
	qGetResource       = `SELECT ` + resourceCols + ` FROM resources WHERE instance_id = ? AND kind = ? AND id = ?`
	qGetResourceByName = `SELECT ` + resourceCols + ` FROM resources WHERE instance_id = ? AND kind = ? AND name = ?`
	qListResources     = `SELECT ` + resourceCols + ` FROM resources WHERE instance_id = ? AND kind = ? ORDER BY name`
	qDeleteResource    = `DELETE FROM resources WHERE instance_id = ? AND kind = ? AND id = ?`
)

const agentCols = `instance_id, user_id, routing_profile_id, status_id, status_name, routable,
	status_since, last_routed_at, chat_slots, chats_used, updated_at`

const (
	qPutAgent = `INSERT INTO agents (` + agentCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET routing_profile_id = excluded.routing_profile_id,
			status_id = excluded.status_id, status_name = excluded.status_name, routable = excluded.routable,
			status_since = excluded.status_since, last_routed_at = excluded.last_routed_at,
			chat_slots = excluded.chat_slots, chats_used = excluded.chats_used, updated_at = excluded.updated_at`
	qGetAgent   = `SELECT ` + agentCols + ` FROM agents WHERE instance_id = ? AND user_id = ?`
	qListAgents = `SELECT ` + agentCols + ` FROM agents WHERE instance_id = ? ORDER BY user_id`
)

const contactRoutingCols = `contact_id, instance_id, state, queue_id, target_user_id, priority,
	rank_at, enqueued_at, dequeued_at, agent_id, previous_agent_id, transfers, updated_at`

const (
	// qPutContactRouting never takes over the routing of another
	// instance's contact: the update's WHERE leaves it alone, and no row
	// changes.
	qPutContactRouting = `INSERT INTO contact_routing (` + contactRoutingCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (contact_id) DO UPDATE SET state = excluded.state, queue_id = excluded.queue_id,
			target_user_id = excluded.target_user_id, priority = excluded.priority, rank_at = excluded.rank_at,
			enqueued_at = excluded.enqueued_at, dequeued_at = excluded.dequeued_at, agent_id = excluded.agent_id,
			previous_agent_id = excluded.previous_agent_id, transfers = excluded.transfers,
			updated_at = excluded.updated_at
		WHERE contact_routing.instance_id = excluded.instance_id`
	qGetContactRouting = `SELECT ` + contactRoutingCols + ` FROM contact_routing WHERE contact_id = ? AND instance_id = ?`
	// qListQueued and qCountQueued repeat the predicate of the partial
	// index contact_routing_queued, so they walk a range of it; "no limit"
	// is -1.
	qListQueued = `SELECT ` + contactRoutingCols + ` FROM contact_routing
		WHERE instance_id = ? AND queue_id = ? AND state = 'QUEUED'
		ORDER BY priority, rank_at, contact_id LIMIT ?`
	qCountQueued = `SELECT COUNT(*) FROM contact_routing
		WHERE instance_id = ? AND queue_id = ? AND state = 'QUEUED'`
	// qListContactRoutings takes the states as one JSON array, like
	// qListReceipts.
	qListContactRoutings = `SELECT ` + contactRoutingCols + ` FROM contact_routing
		WHERE instance_id = ? AND state IN (SELECT value FROM json_each(?))
		ORDER BY enqueued_at, contact_id`
)

const assignmentCols = `id, instance_id, contact_id, user_id, queue_id, state, participant_id,
	offered_at, expires_at, accepted_at, connected_at, acw_started_at, ended_at, updated_at`

const (
	qPutAssignment = `INSERT INTO assignments (` + assignmentCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, user_id = excluded.user_id,
			queue_id = excluded.queue_id, state = excluded.state, participant_id = excluded.participant_id,
			offered_at = excluded.offered_at, expires_at = excluded.expires_at,
			accepted_at = excluded.accepted_at, connected_at = excluded.connected_at,
			acw_started_at = excluded.acw_started_at, ended_at = excluded.ended_at,
			updated_at = excluded.updated_at
		WHERE assignments.instance_id = excluded.instance_id`
	qGetAssignment = `SELECT ` + assignmentCols + ` FROM assignments WHERE id = ? AND instance_id = ?`
)

// Each shape of an AssignmentQuery has a statement of its own, so that
// each is planned on its index: a filter that switches on its argument,
// such as "(? IS NULL OR user_id = ?)", would leave SQLite one plan for
// all of them. activeAssignments repeats
// the predicate of the partial index assignments_user_active word for
// word, as SQLite requires to use it.
const (
	assignmentByUser    = 1 << iota // filters on UserID
	assignmentByContact             // filters on ContactID
	assignmentActive                // only the states that hold a slot
	assignmentShapes    = 1 << iota // how many shapes there are
)

const activeAssignments = `state IN ('OFFERED', 'CONNECTED', 'ACW')`

// qListAssignments is the statement of one shape.
func qListAssignments(shape int) string {
	var b strings.Builder
	b.WriteString(`SELECT ` + assignmentCols + ` FROM assignments WHERE instance_id = ?`)
	if shape&assignmentByUser != 0 {
		b.WriteString(` AND user_id = ?`)
	}
	if shape&assignmentByContact != 0 {
		b.WriteString(` AND contact_id = ?`)
	}
	if shape&assignmentActive != 0 {
		b.WriteString(` AND ` + activeAssignments)
	}
	b.WriteString(` ORDER BY offered_at, id`)
	return b.String()
}

// assignmentShape returns q's shape and the arguments of its statement.
func assignmentShape(q store.AssignmentQuery) (int, []any) {
	shape, args := 0, []any{q.InstanceID}
	if q.UserID != "" {
		shape |= assignmentByUser
		args = append(args, q.UserID)
	}
	if q.ContactID != "" {
		shape |= assignmentByContact
		args = append(args, q.ContactID)
	}
	if q.Active {
		shape |= assignmentActive
	}
	return shape, args
}

const sessionCols = `hash, instance_id, user_id, csrf, created_at, expires_at`

const (
	qInsertSession         = `INSERT INTO sessions (` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	qLookupSession         = `SELECT ` + sessionCols + ` FROM sessions WHERE hash = ?`
	qDeleteSession         = `DELETE FROM sessions WHERE hash = ?`
	qDeleteUserSessions    = `DELETE FROM sessions WHERE instance_id = ? AND user_id = ?`
	qDeleteExpiredSessions = `DELETE FROM sessions WHERE expires_at < ?`
)

// routingWriteStmts are the writer's routing statements.
type routingWriteStmts struct {
	insertResource, putResource, getResource, getResourceByName, listResources, deleteResource *sql.Stmt

	putAgent, getAgent, listAgents *sql.Stmt

	putContactRouting, getContactRouting, listQueued, countQueued *sql.Stmt

	putAssignment, getAssignment *sql.Stmt
	listAssignments              [assignmentShapes]*sql.Stmt

	insertSession, deleteSession, deleteUserSessions, deleteExpiredSessions *sql.Stmt
}

func prepareRoutingWrites(p *prep) routingWriteStmts {
	w := routingWriteStmts{
		insertResource:    p.stmt(qInsertResource),
		putResource:       p.stmt(qPutResource),
		getResource:       p.stmt(qGetResource),
		getResourceByName: p.stmt(qGetResourceByName),
		listResources:     p.stmt(qListResources),
		deleteResource:    p.stmt(qDeleteResource),

		putAgent:   p.stmt(qPutAgent),
		getAgent:   p.stmt(qGetAgent),
		listAgents: p.stmt(qListAgents),

		putContactRouting: p.stmt(qPutContactRouting),
		getContactRouting: p.stmt(qGetContactRouting),
		listQueued:        p.stmt(qListQueued),
		countQueued:       p.stmt(qCountQueued),

		putAssignment: p.stmt(qPutAssignment),
		getAssignment: p.stmt(qGetAssignment),

		insertSession:         p.stmt(qInsertSession),
		deleteSession:         p.stmt(qDeleteSession),
		deleteUserSessions:    p.stmt(qDeleteUserSessions),
		deleteExpiredSessions: p.stmt(qDeleteExpiredSessions),
	}
	for shape := range w.listAssignments {
		w.listAssignments[shape] = p.stmt(qListAssignments(shape))
	}
	return w
}

// routingReadStmts are the read pool's routing statements.
type routingReadStmts struct {
	getResource, getResourceByName, listResources *sql.Stmt

	getAgent, listAgents *sql.Stmt

	getContactRouting, listContactRoutings *sql.Stmt

	listAssignments [assignmentShapes]*sql.Stmt

	lookupSession *sql.Stmt
}

func prepareRoutingReads(p *prep) routingReadStmts {
	r := routingReadStmts{
		getResource:         p.stmt(qGetResource),
		getResourceByName:   p.stmt(qGetResourceByName),
		listResources:       p.stmt(qListResources),
		getAgent:            p.stmt(qGetAgent),
		listAgents:          p.stmt(qListAgents),
		getContactRouting:   p.stmt(qGetContactRouting),
		listContactRoutings: p.stmt(qListContactRoutings),
		lookupSession:       p.stmt(qLookupSession),
	}
	for shape := range r.listAssignments {
		r.listAssignments[shape] = p.stmt(qListAssignments(shape))
	}
	return r
}

func scanResource(sc scanner) (store.Resource, error) {
	var r store.Resource
	var created, updated int64
	if err := sc.Scan(&r.InstanceID, &r.Kind, &r.ID, &r.Name, &r.Body, &created, &updated); err != nil {
		return r, err
	}
	r.CreatedAt = decTime(created)
	r.UpdatedAt = decTime(updated)
	return r, nil
}

func scanAgent(sc scanner) (store.Agent, error) {
	var a store.Agent
	var since, routed, updated int64
	err := sc.Scan(&a.InstanceID, &a.UserID, &a.RoutingProfileID, &a.StatusID, &a.StatusName, &a.Routable,
		&since, &routed, &a.ChatSlots, &a.ChatsUsed, &updated)
	if err != nil {
		return a, err
	}
	a.StatusSince = decTime(since)
	a.LastRoutedAt = decTime(routed)
	a.UpdatedAt = decTime(updated)
	return a, nil
}

func scanContactRouting(sc scanner) (store.ContactRouting, error) {
	var r store.ContactRouting
	var rank, enqueued, dequeued, updated int64
	err := sc.Scan(&r.ContactID, &r.InstanceID, &r.State, &r.QueueID, &r.TargetUserID, &r.Priority,
		&rank, &enqueued, &dequeued, &r.AgentID, &r.PreviousAgentID, &r.Transfers, &updated)
	if err != nil {
		return r, err
	}
	r.RankAt = decTime(rank)
	r.EnqueuedAt = decTime(enqueued)
	r.DequeuedAt = decTime(dequeued)
	r.UpdatedAt = decTime(updated)
	return r, nil
}

func scanAssignment(sc scanner) (store.Assignment, error) {
	var a store.Assignment
	var offered, expires, accepted, connected, acw, ended, updated int64
	err := sc.Scan(&a.ID, &a.InstanceID, &a.ContactID, &a.UserID, &a.QueueID, &a.State, &a.ParticipantID,
		&offered, &expires, &accepted, &connected, &acw, &ended, &updated)
	if err != nil {
		return a, err
	}
	a.OfferedAt = decTime(offered)
	a.ExpiresAt = decTime(expires)
	a.AcceptedAt = decTime(accepted)
	a.ConnectedAt = decTime(connected)
	a.ACWStartedAt = decTime(acw)
	a.EndedAt = decTime(ended)
	a.UpdatedAt = decTime(updated)
	return a, nil
}

func scanSession(sc scanner) (store.Session, error) {
	var s store.Session
	var created, expires int64
	if err := sc.Scan(&s.Hash, &s.InstanceID, &s.UserID, &s.CSRF, &created, &expires); err != nil {
		return s, err
	}
	s.CreatedAt = decTime(created)
	s.ExpiresAt = decTime(expires)
	return s, nil
}

// resourceArgs are the insert arguments of r. The body is bound as text,
// which keeps its bytes and lets the JSON functions read it.
func resourceArgs(instanceID string, r store.Resource) []any {
	return []any{instanceID, r.Kind, r.ID, r.Name, string(r.Body), encTime(r.CreatedAt), encTime(r.UpdatedAt)}
}

// txOne runs a one-row query inside the writer's transaction.
func txOne[T any](t *tx, op string, scan func(scanner) (T, error), st *sql.Stmt, args ...any) (T, error) {
	var zero T
	if err := t.usable(); err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	v, err := scan(st.QueryRowContext(bg, args...))
	if err != nil {
		return zero, t.fail(op, err)
	}
	return v, nil
}

// txAll runs a query inside the writer's transaction and scans every row.
func txAll[T any](t *tx, op string, scan func(scanner) (T, error), st *sql.Stmt, args ...any) ([]T, error) {
	if err := t.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := st.QueryContext(bg, args...)
	if err != nil {
		return nil, t.fail(op, err)
	}
	vs, err := collect(rows, scan)
	if err != nil {
		return nil, t.fail(op, err)
	}
	return vs, nil
}

// LockRouting implements store.Tx. The single writer already excludes
// every other Write, so there is nothing left to lock.
func (t *tx) LockRouting(string) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("lock routing: %w", err)
	}
	return nil
}

// PutResource implements store.Tx. A name taken by another resource is a
// constraint error, which leaves the transaction usable.
func (t *tx) PutResource(r store.Resource) error {
	_, err := t.exec("put resource", t.st.rt.putResource, resourceArgs(r.InstanceID, r)...)
	return err
}

// GetResource implements store.Tx.
func (t *tx) GetResource(instanceID, kind, id string) (store.Resource, error) {
	return txOne(t, "get resource", scanResource, t.st.rt.getResource, instanceID, kind, id)
}

// GetResourceByName implements store.Tx.
func (t *tx) GetResourceByName(instanceID, kind, name string) (store.Resource, error) {
	return txOne(t, "get resource by name", scanResource, t.st.rt.getResourceByName, instanceID, kind, name)
}

// ListResources implements store.Tx.
func (t *tx) ListResources(instanceID, kind string) ([]store.Resource, error) {
	return txAll(t, "list resources", scanResource, t.st.rt.listResources, instanceID, kind)
}

// DeleteResource implements store.Tx.
func (t *tx) DeleteResource(instanceID, kind, id string) error {
	const op = "delete resource"
	res, err := t.exec(op, t.st.rt.deleteResource, instanceID, kind, id)
	if err != nil {
		return err
	}
	return t.affected(op, res)
}

// PutAgent implements store.Tx.
func (t *tx) PutAgent(a store.Agent) error {
	_, err := t.exec("put agent", t.st.rt.putAgent,
		a.InstanceID, a.UserID, a.RoutingProfileID, a.StatusID, a.StatusName, a.Routable,
		encTime(a.StatusSince), encTime(a.LastRoutedAt), a.ChatSlots, a.ChatsUsed, encTime(a.UpdatedAt))
	return err
}

// GetAgent implements store.Tx.
func (t *tx) GetAgent(instanceID, userID string) (store.Agent, error) {
	return txOne(t, "get agent", scanAgent, t.st.rt.getAgent, instanceID, userID)
}

// ListAgents implements store.Tx.
func (t *tx) ListAgents(instanceID string) ([]store.Agent, error) {
	return txAll(t, "list agents", scanAgent, t.st.rt.listAgents, instanceID)
}

// PutContactRouting implements store.Tx. The routing of a contact ID that
// another instance holds is not replaced: that is ErrDuplicate.
func (t *tx) PutContactRouting(r store.ContactRouting) error {
	const op = "put contact routing"
	res, err := t.exec(op, t.st.rt.putContactRouting,
		r.ContactID, r.InstanceID, r.State, r.QueueID, r.TargetUserID, r.Priority,
		encTime(r.RankAt), encTime(r.EnqueuedAt), encTime(r.DequeuedAt),
		r.AgentID, r.PreviousAgentID, r.Transfers, encTime(r.UpdatedAt))
	if err != nil {
		return err
	}
	return t.changedOne(op, res)
}

// GetContactRouting implements store.Tx.
func (t *tx) GetContactRouting(instanceID, contactID string) (store.ContactRouting, error) {
	return txOne(t, "get contact routing", scanContactRouting, t.st.rt.getContactRouting, contactID, instanceID)
}

// ListQueued implements store.Tx. A limit of 0 or less means no limit.
func (t *tx) ListQueued(instanceID string, limits map[string]int) (map[string][]store.ContactRouting, error) {
	out := make(map[string][]store.ContactRouting, len(limits))
	for queueID, limit := range limits {
		if limit <= 0 {
			limit = -1
		}
		rs, err := txAll(t, "list queued", scanContactRouting, t.st.rt.listQueued, instanceID, queueID, limit)
		if err != nil {
			return nil, err
		}
		out[queueID] = rs
	}
	return out, nil
}

// CountQueued implements store.Tx.
func (t *tx) CountQueued(instanceID, queueID string) (int, error) {
	return txOne(t, "count queued", scanInt, t.st.rt.countQueued, instanceID, queueID)
}

// PutAssignment implements store.Tx. An assignment ID that another
// instance holds is not replaced: that is ErrDuplicate.
func (t *tx) PutAssignment(a store.Assignment) error {
	const op = "put assignment"
	res, err := t.exec(op, t.st.rt.putAssignment,
		a.ID, a.InstanceID, a.ContactID, a.UserID, a.QueueID, a.State, a.ParticipantID,
		encTime(a.OfferedAt), encTime(a.ExpiresAt), encTime(a.AcceptedAt), encTime(a.ConnectedAt),
		encTime(a.ACWStartedAt), encTime(a.EndedAt), encTime(a.UpdatedAt))
	if err != nil {
		return err
	}
	return t.changedOne(op, res)
}

// GetAssignment implements store.Tx.
func (t *tx) GetAssignment(instanceID, id string) (store.Assignment, error) {
	return txOne(t, "get assignment", scanAssignment, t.st.rt.getAssignment, id, instanceID)
}

// ListAssignments implements store.Tx.
func (t *tx) ListAssignments(q store.AssignmentQuery) ([]store.Assignment, error) {
	shape, args := assignmentShape(q)
	return txAll(t, "list assignments", scanAssignment, t.st.rt.listAssignments[shape], args...)
}

// InsertSession implements store.Tx.
func (t *tx) InsertSession(s store.Session) error {
	_, err := t.exec("insert session", t.st.rt.insertSession,
		s.Hash, s.InstanceID, s.UserID, s.CSRF, encTime(s.CreatedAt), encTime(s.ExpiresAt))
	return err
}

// DeleteSession implements store.Tx.
func (t *tx) DeleteSession(hash []byte) error {
	_, err := t.exec("delete session", t.st.rt.deleteSession, hash)
	return err
}

// DeleteUserSessions implements store.Tx.
func (t *tx) DeleteUserSessions(instanceID, userID string) error {
	_, err := t.exec("delete user sessions", t.st.rt.deleteUserSessions, instanceID, userID)
	return err
}

// DeleteExpiredSessions implements store.Tx.
func (t *tx) DeleteExpiredSessions(before time.Time) (int, error) {
	const op = "delete expired sessions"
	res, err := t.exec(op, t.st.rt.deleteExpiredSessions, encTime(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.fail(op, err)
	}
	return int(n), nil
}

// changedOne returns ErrDuplicate when an upsert changed no row: the key
// belongs to another instance.
func (t *tx) changedOne(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w (the ID belongs to another instance)", op, store.ErrDuplicate)
	}
	return nil
}

func scanInt(sc scanner) (int, error) {
	var n int
	err := sc.Scan(&n)
	return n, err
}

// readOne runs a one-row query on the read pool.
func readOne[T any](ctx context.Context, op string, scan func(scanner) (T, error), st *sql.Stmt, args ...any) (T, error) {
	v, err := scan(st.QueryRowContext(ctx, args...))
	if err != nil {
		var zero T
		return zero, mapErr(op, err)
	}
	return v, nil
}

// readAll runs a query on the read pool and scans every row.
func readAll[T any](ctx context.Context, op string, scan func(scanner) (T, error), st *sql.Stmt, args ...any) ([]T, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	vs, err := collect(rows, scan)
	if err != nil {
		return nil, mapErr(op, err)
	}
	return vs, nil
}

// GetResource implements store.Store.
func (s *Store) GetResource(ctx context.Context, instanceID, kind, id string) (store.Resource, error) {
	return readOne(ctx, "get resource", scanResource, s.rd.rt.getResource, instanceID, kind, id)
}

// GetResourceByName implements store.Store.
func (s *Store) GetResourceByName(ctx context.Context, instanceID, kind, name string) (store.Resource, error) {
	return readOne(ctx, "get resource by name", scanResource, s.rd.rt.getResourceByName, instanceID, kind, name)
}

// ListResources implements store.Store.
func (s *Store) ListResources(ctx context.Context, instanceID, kind string) ([]store.Resource, error) {
	return readAll(ctx, "list resources", scanResource, s.rd.rt.listResources, instanceID, kind)
}

// GetAgent implements store.Store.
func (s *Store) GetAgent(ctx context.Context, instanceID, userID string) (store.Agent, error) {
	return readOne(ctx, "get agent", scanAgent, s.rd.rt.getAgent, instanceID, userID)
}

// ListAgents implements store.Store.
func (s *Store) ListAgents(ctx context.Context, instanceID string) ([]store.Agent, error) {
	return readAll(ctx, "list agents", scanAgent, s.rd.rt.listAgents, instanceID)
}

// GetContactRouting implements store.Store.
func (s *Store) GetContactRouting(ctx context.Context, instanceID, contactID string) (store.ContactRouting, error) {
	return readOne(ctx, "get contact routing", scanContactRouting, s.rd.rt.getContactRouting, contactID, instanceID)
}

// ListContactRoutings implements store.Store.
func (s *Store) ListContactRoutings(ctx context.Context, instanceID string, states []string) ([]store.ContactRouting, error) {
	if len(states) == 0 {
		return nil, nil
	}
	js, err := json.Marshal(states)
	if err != nil {
		return nil, fmt.Errorf("list contact routings: %w", err)
	}
	return readAll(ctx, "list contact routings", scanContactRouting, s.rd.rt.listContactRoutings, instanceID, string(js))
}

// ListAssignments implements store.Store.
func (s *Store) ListAssignments(ctx context.Context, q store.AssignmentQuery) ([]store.Assignment, error) {
	shape, args := assignmentShape(q)
	return readAll(ctx, "list assignments", scanAssignment, s.rd.rt.listAssignments[shape], args...)
}

// LookupSession implements store.Store.
func (s *Store) LookupSession(ctx context.Context, hash []byte) (store.Session, error) {
	return readOne(ctx, "lookup session", scanSession, s.rd.rt.lookupSession, hash)
}
