package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/store"
)

// Routing: resources, agents, contact routings, assignments and sessions.

// forUpdate is appended to the single-record reads of a Tx, so that a
// read-modify-write of one record is safe even where a caller does not
// take the routing lock. Lists are not locked: routing holds its lock.
const forUpdate = ` FOR UPDATE`

// Column lists, in the order the scan functions below expect them.
const (
	resourceCols = `instance_id, kind, id, name, body, created_at, updated_at`
	agentCols    = `instance_id, user_id, routing_profile_id, status_id, status_name, routable,
		status_since, last_routed_at, chat_slots, chats_used, updated_at`
	contactRoutingCols = `contact_id, instance_id, state, queue_id, target_user_id, priority,
		rank_at, enqueued_at, dequeued_at, agent_id, previous_agent_id, transfers, updated_at`
	assignmentCols = `id, instance_id, contact_id, user_id, queue_id, state, participant_id,
		offered_at, expires_at, accepted_at, connected_at, acw_started_at, ended_at, updated_at`
	sessionCols = `hash, instance_id, user_id, csrf, created_at, expires_at`
)

// The routing reads whose access path matters, named so that a test can
// check their plans. qListQueued and qCountQueued repeat the predicate of
// the partial index contact_routing_queued_idx, which holds each queue in
// service order; a NULL limit is LIMIT ALL.
const (
	qListResources = `SELECT ` + resourceCols + ` FROM resources
		WHERE instance_id = $1 AND kind = $2 ORDER BY name`
	qListQueued = `SELECT ` + contactRoutingCols + ` FROM contact_routing
		WHERE instance_id = $1 AND queue_id = $2 AND state = 'QUEUED'
		ORDER BY priority, rank_at, contact_id
		LIMIT $3`
	qCountQueued = `SELECT count(*) FROM contact_routing
		WHERE instance_id = $1 AND queue_id = $2 AND state = 'QUEUED'`
	qListContactRoutings = `SELECT ` + contactRoutingCols + ` FROM contact_routing
		WHERE instance_id = $1 AND state = ANY($2)
		ORDER BY enqueued_at, contact_id`
)

// qInsertResource inserts one resource; CreateInstance uses it as is and
// PutResource turns it into an upsert.
const qInsertResource = `INSERT INTO resources (` + resourceCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`

// resourceArgs are the arguments of qInsertResource for r, tied to
// instanceID.
func resourceArgs(instanceID string, r store.Resource) []any {
	return []any{instanceID, r.Kind, r.ID, r.Name, string(r.Body), ts(r.CreatedAt), ts(r.UpdatedAt)}
}

func scanResource(row pgx.CollectableRow) (store.Resource, error) {
	var r store.Resource
	var body string
	err := row.Scan(&r.InstanceID, &r.Kind, &r.ID, &r.Name, &body, utc{&r.CreatedAt}, utc{&r.UpdatedAt})
	r.Body = []byte(body)
	return r, err
}

func scanAgent(row pgx.CollectableRow) (store.Agent, error) {
	var a store.Agent
	err := row.Scan(&a.InstanceID, &a.UserID, &a.RoutingProfileID, &a.StatusID, &a.StatusName, &a.Routable,
		utc{&a.StatusSince}, utc{&a.LastRoutedAt}, &a.ChatSlots, &a.ChatsUsed, utc{&a.UpdatedAt})
	return a, err
}

func scanContactRouting(row pgx.CollectableRow) (store.ContactRouting, error) {
	var r store.ContactRouting
	err := row.Scan(&r.ContactID, &r.InstanceID, &r.State, &r.QueueID, &r.TargetUserID, &r.Priority,
		utc{&r.RankAt}, utc{&r.EnqueuedAt}, utc{&r.DequeuedAt}, &r.AgentID, &r.PreviousAgentID,
		&r.Transfers, utc{&r.UpdatedAt})
	return r, err
}

func scanAssignment(row pgx.CollectableRow) (store.Assignment, error) {
	var a store.Assignment
	err := row.Scan(&a.ID, &a.InstanceID, &a.ContactID, &a.UserID, &a.QueueID, &a.State, &a.ParticipantID,
		utc{&a.OfferedAt}, utc{&a.ExpiresAt}, utc{&a.AcceptedAt}, utc{&a.ConnectedAt},
		utc{&a.ACWStartedAt}, utc{&a.EndedAt}, utc{&a.UpdatedAt})
	return a, err
}

func scanSession(row pgx.CollectableRow) (store.Session, error) {
	var s store.Session
	err := row.Scan(&s.Hash, &s.InstanceID, &s.UserID, &s.CSRF, utc{&s.CreatedAt}, utc{&s.ExpiresAt})
	return s, err
}

// LockRouting takes the instance's routing lock until the transaction
// ends. The key includes the schema, so deployments in different schemas
// of one database do not wait for each other.
func (t *tx) LockRouting(instanceID string) error {
	_, err := t.tx.Exec(t.ctx, `SELECT pg_advisory_xact_lock(
		hashtextextended('parley.routing.' || COALESCE(current_schema(), '') || '.' || $1, 0))`, instanceID)
	return wrap("lock routing", err)
}

// PutResource inserts or replaces a resource. The upsert runs in a
// savepoint: a name taken by another resource, perhaps by a transaction
// committing at this moment, can only be detected as a unique violation,
// and the savepoint keeps that from aborting the transaction.
func (t *tx) PutResource(r store.Resource) error {
	sp, err := t.tx.Begin(t.ctx)
	if err != nil {
		return wrap("put resource", err)
	}
	_, err = sp.Exec(t.ctx, qInsertResource+`
		ON CONFLICT (instance_id, kind, id) DO UPDATE SET name = EXCLUDED.name, body = EXCLUDED.body,
			created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
		resourceArgs(r.InstanceID, r)...)
	if err != nil {
		_ = sp.Rollback(t.ctx)
		return wrap("put resource", err)
	}
	return wrap("put resource", sp.Commit(t.ctx))
}

// GetResource reads and locks one resource.
func (t *tx) GetResource(instanceID, kind, id string) (store.Resource, error) {
	return getResource(t.ctx, t.tx, forUpdate, instanceID, kind, id)
}

// GetResourceByName reads and locks the resource of a kind with a name.
func (t *tx) GetResourceByName(instanceID, kind, name string) (store.Resource, error) {
	return getResourceByName(t.ctx, t.tx, forUpdate, instanceID, kind, name)
}

// ListResources lists the resources of a kind inside the transaction.
func (t *tx) ListResources(instanceID, kind string) ([]store.Resource, error) {
	return listResources(t.ctx, t.tx, instanceID, kind)
}

// DeleteResource deletes one resource.
func (t *tx) DeleteResource(instanceID, kind, id string) error {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM resources WHERE instance_id = $1 AND kind = $2 AND id = $3`,
		instanceID, kind, id)
	if err != nil {
		return wrap("delete resource", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete resource")
	}
	return nil
}

// PutAgent inserts or replaces the routing state of a user.
func (t *tx) PutAgent(a store.Agent) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO agents (`+agentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (instance_id, user_id) DO UPDATE SET routing_profile_id = EXCLUDED.routing_profile_id,
			status_id = EXCLUDED.status_id, status_name = EXCLUDED.status_name, routable = EXCLUDED.routable,
			status_since = EXCLUDED.status_since, last_routed_at = EXCLUDED.last_routed_at,
			chat_slots = EXCLUDED.chat_slots, chats_used = EXCLUDED.chats_used, updated_at = EXCLUDED.updated_at`,
		a.InstanceID, a.UserID, a.RoutingProfileID, a.StatusID, a.StatusName, a.Routable,
		ts(a.StatusSince), ts(a.LastRoutedAt), a.ChatSlots, a.ChatsUsed, ts(a.UpdatedAt))
	return wrap("put agent", err)
}

// GetAgent reads and locks the routing state of a user.
func (t *tx) GetAgent(instanceID, userID string) (store.Agent, error) {
	return getAgent(t.ctx, t.tx, forUpdate, instanceID, userID)
}

// ListAgents lists an instance's agents without locking them: callers
// hold the routing lock.
func (t *tx) ListAgents(instanceID string) ([]store.Agent, error) {
	return listAgents(t.ctx, t.tx, instanceID)
}

// PutContactRouting inserts or replaces a contact's routing. The routing
// of a contact ID that another instance holds is left alone, and that is
// ErrDuplicate.
func (t *tx) PutContactRouting(r store.ContactRouting) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO contact_routing (`+contactRoutingCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (contact_id) DO UPDATE SET state = EXCLUDED.state, queue_id = EXCLUDED.queue_id,
			target_user_id = EXCLUDED.target_user_id, priority = EXCLUDED.priority, rank_at = EXCLUDED.rank_at,
			enqueued_at = EXCLUDED.enqueued_at, dequeued_at = EXCLUDED.dequeued_at, agent_id = EXCLUDED.agent_id,
			previous_agent_id = EXCLUDED.previous_agent_id, transfers = EXCLUDED.transfers,
			updated_at = EXCLUDED.updated_at
		WHERE contact_routing.instance_id = EXCLUDED.instance_id`,
		r.ContactID, r.InstanceID, r.State, r.QueueID, r.TargetUserID, r.Priority,
		r.RankAt, r.EnqueuedAt, ts(r.DequeuedAt), r.AgentID, r.PreviousAgentID, r.Transfers, ts(r.UpdatedAt))
	if err != nil {
		return wrap("put contact routing", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put contact routing")
	}
	return nil
}

// GetContactRouting reads and locks a contact's routing.
func (t *tx) GetContactRouting(instanceID, contactID string) (store.ContactRouting, error) {
	return getContactRouting(t.ctx, t.tx, forUpdate, instanceID, contactID)
}

// ListQueued returns the heads of several queues in service order, all
// queries sent as one pipelined batch.
func (t *tx) ListQueued(instanceID string, limits map[string]int) (map[string][]store.ContactRouting, error) {
	queues := make([]string, 0, len(limits))
	b := &pgx.Batch{}
	for queueID, limit := range limits {
		var lim any // NULL is LIMIT ALL
		if limit > 0 {
			lim = int64(limit)
		}
		queues = append(queues, queueID)
		b.Queue(qListQueued, instanceID, queueID, lim)
	}
	out := make(map[string][]store.ContactRouting, len(limits))
	if len(queues) == 0 {
		return out, nil
	}
	br := t.tx.SendBatch(t.ctx, b)
	for _, queueID := range queues {
		rows, _ := br.Query()
		rs, err := pgx.CollectRows(rows, scanContactRouting)
		if err != nil {
			_ = br.Close()
			return nil, wrap("list queued", err)
		}
		out[queueID] = rs
	}
	return out, wrap("list queued", br.Close())
}

// CountQueued counts the contacts queued in a queue.
func (t *tx) CountQueued(instanceID, queueID string) (int, error) {
	var n int
	err := t.tx.QueryRow(t.ctx, qCountQueued, instanceID, queueID).Scan(&n)
	return n, wrap("count queued", err)
}

// PutAssignment inserts or replaces an assignment. An assignment ID that
// another instance holds is left alone, and that is ErrDuplicate.
func (t *tx) PutAssignment(a store.Assignment) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO assignments (`+assignmentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO UPDATE SET contact_id = EXCLUDED.contact_id, user_id = EXCLUDED.user_id,
			queue_id = EXCLUDED.queue_id, state = EXCLUDED.state, participant_id = EXCLUDED.participant_id,
			offered_at = EXCLUDED.offered_at, expires_at = EXCLUDED.expires_at,
			accepted_at = EXCLUDED.accepted_at, connected_at = EXCLUDED.connected_at,
			acw_started_at = EXCLUDED.acw_started_at, ended_at = EXCLUDED.ended_at,
			updated_at = EXCLUDED.updated_at
		WHERE assignments.instance_id = EXCLUDED.instance_id`,
		a.ID, a.InstanceID, a.ContactID, a.UserID, a.QueueID, a.State, a.ParticipantID,
		a.OfferedAt, ts(a.ExpiresAt), ts(a.AcceptedAt), ts(a.ConnectedAt),
		ts(a.ACWStartedAt), ts(a.EndedAt), ts(a.UpdatedAt))
	if err != nil {
		return wrap("put assignment", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put assignment")
	}
	return nil
}

// GetAssignment reads and locks one assignment of an instance.
func (t *tx) GetAssignment(instanceID, id string) (store.Assignment, error) {
	rows, _ := t.tx.Query(t.ctx, `SELECT `+assignmentCols+` FROM assignments
		WHERE id = $1 AND instance_id = $2`+forUpdate, id, instanceID)
	a, err := pgx.CollectExactlyOneRow(rows, scanAssignment)
	return a, wrap("get assignment", err)
}

// ListAssignments lists assignments inside the transaction.
func (t *tx) ListAssignments(q store.AssignmentQuery) ([]store.Assignment, error) {
	return listAssignments(t.ctx, t.tx, q)
}

// InsertSession stores a session.
func (t *tx) InsertSession(s store.Session) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		s.Hash, s.InstanceID, s.UserID, s.CSRF, ts(s.CreatedAt), s.ExpiresAt)
	if err != nil {
		return wrap("insert session", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("insert session")
	}
	return nil
}

// DeleteSession deletes a session; a missing one is not an error.
func (t *tx) DeleteSession(hash []byte) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return wrap("delete session", err)
}

// DeleteUserSessions deletes every session of a user.
func (t *tx) DeleteUserSessions(instanceID, userID string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM sessions WHERE instance_id = $1 AND user_id = $2`, instanceID, userID)
	return wrap("delete user sessions", err)
}

// DeleteExpiredSessions deletes sessions that expired before the given
// time.
func (t *tx) DeleteExpiredSessions(before time.Time) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM sessions WHERE expires_at < $1`, before)
	if err != nil {
		return 0, wrap("delete expired sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// GetResource returns one resource of an instance.
func (s *Store) GetResource(ctx context.Context, instanceID, kind, id string) (store.Resource, error) {
	return getResource(ctx, s.pool, "", instanceID, kind, id)
}

func getResource(ctx context.Context, q querier, lock, instanceID, kind, id string) (store.Resource, error) {
	rows, _ := q.Query(ctx, `SELECT `+resourceCols+` FROM resources
		WHERE instance_id = $1 AND kind = $2 AND id = $3`+lock, instanceID, kind, id)
	r, err := pgx.CollectExactlyOneRow(rows, scanResource)
	return r, wrap("get resource", err)
}

// GetResourceByName returns the resource of a kind with this name.
func (s *Store) GetResourceByName(ctx context.Context, instanceID, kind, name string) (store.Resource, error) {
	return getResourceByName(ctx, s.pool, "", instanceID, kind, name)
}

func getResourceByName(ctx context.Context, q querier, lock, instanceID, kind, name string) (store.Resource, error) {
	rows, _ := q.Query(ctx, `SELECT `+resourceCols+` FROM resources
		WHERE instance_id = $1 AND kind = $2 AND name = $3`+lock, instanceID, kind, name)
	r, err := pgx.CollectExactlyOneRow(rows, scanResource)
	return r, wrap("get resource by name", err)
}

// ListResources returns the resources of one kind, by name.
func (s *Store) ListResources(ctx context.Context, instanceID, kind string) ([]store.Resource, error) {
	return listResources(ctx, s.pool, instanceID, kind)
}

func listResources(ctx context.Context, q querier, instanceID, kind string) ([]store.Resource, error) {
	rows, _ := q.Query(ctx, qListResources, instanceID, kind)
	rs, err := pgx.CollectRows(rows, scanResource)
	return rs, wrap("list resources", err)
}

// GetAgent returns the routing state of a user.
func (s *Store) GetAgent(ctx context.Context, instanceID, userID string) (store.Agent, error) {
	return getAgent(ctx, s.pool, "", instanceID, userID)
}

func getAgent(ctx context.Context, q querier, lock, instanceID, userID string) (store.Agent, error) {
	rows, _ := q.Query(ctx, `SELECT `+agentCols+` FROM agents
		WHERE instance_id = $1 AND user_id = $2`+lock, instanceID, userID)
	a, err := pgx.CollectExactlyOneRow(rows, scanAgent)
	return a, wrap("get agent", err)
}

// ListAgents returns the routing state of every agent of an instance, by
// user ID.
func (s *Store) ListAgents(ctx context.Context, instanceID string) ([]store.Agent, error) {
	return listAgents(ctx, s.pool, instanceID)
}

func listAgents(ctx context.Context, q querier, instanceID string) ([]store.Agent, error) {
	rows, _ := q.Query(ctx, `SELECT `+agentCols+` FROM agents WHERE instance_id = $1 ORDER BY user_id`, instanceID)
	as, err := pgx.CollectRows(rows, scanAgent)
	return as, wrap("list agents", err)
}

// GetContactRouting returns where a contact stands in routing.
func (s *Store) GetContactRouting(ctx context.Context, instanceID, contactID string) (store.ContactRouting, error) {
	return getContactRouting(ctx, s.pool, "", instanceID, contactID)
}

func getContactRouting(ctx context.Context, q querier, lock, instanceID, contactID string) (store.ContactRouting, error) {
	rows, _ := q.Query(ctx, `SELECT `+contactRoutingCols+` FROM contact_routing
		WHERE contact_id = $1 AND instance_id = $2`+lock, contactID, instanceID)
	r, err := pgx.CollectExactlyOneRow(rows, scanContactRouting)
	return r, wrap("get contact routing", err)
}

// ListContactRoutings returns the contacts of an instance in the given
// routing states, oldest enqueue first.
func (s *Store) ListContactRoutings(ctx context.Context, instanceID string, states []string) ([]store.ContactRouting, error) {
	if len(states) == 0 {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, qListContactRoutings, instanceID, states)
	rs, err := pgx.CollectRows(rows, scanContactRouting)
	return rs, wrap("list contact routings", err)
}

// ListAssignments returns the assignments q selects.
func (s *Store) ListAssignments(ctx context.Context, q store.AssignmentQuery) ([]store.Assignment, error) {
	return listAssignments(ctx, s.pool, q)
}

func listAssignments(ctx context.Context, db querier, q store.AssignmentQuery) ([]store.Assignment, error) {
	query, args := assignmentQuery(q)
	rows, _ := db.Query(ctx, query, args...)
	as, err := pgx.CollectRows(rows, scanAssignment)
	return as, wrap("list assignments", err)
}

// assignmentQuery writes out only the filters q uses, rather than one
// statement that switches them on and off with its arguments: each shape
// then gets a plan on its own index, and the active ones the partial index
// assignments_user_active_idx, whose predicate the query repeats.
func assignmentQuery(q store.AssignmentQuery) (string, []any) {
	var b strings.Builder
	args := []any{q.InstanceID}
	b.WriteString(`SELECT ` + assignmentCols + ` FROM assignments WHERE instance_id = $1`)
	if q.UserID != "" {
		args = append(args, q.UserID)
		b.WriteString(` AND user_id = $` + strconv.Itoa(len(args)))
	}
	if q.ContactID != "" {
		args = append(args, q.ContactID)
		b.WriteString(` AND contact_id = $` + strconv.Itoa(len(args)))
	}
	if q.Active {
		b.WriteString(` AND state IN ('OFFERED', 'CONNECTED', 'ACW')`)
	}
	b.WriteString(` ORDER BY offered_at, id`)
	return b.String(), args
}

// LookupSession returns the session with this hash, whatever its expiry.
func (s *Store) LookupSession(ctx context.Context, hash []byte) (store.Session, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions WHERE hash = $1`, hash)
	ss, err := pgx.CollectExactlyOneRow(rows, scanSession)
	return ss, wrap("lookup session", err)
}
