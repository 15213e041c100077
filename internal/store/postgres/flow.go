package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/store"
)

// Flows: contact flows, their published versions, and each contact's flow
// state and flow logs.

// Column lists, in the order the scan functions expect them.
const (
	flowVersionCols = `instance_id, flow_id, version, content, created_at`
	flowRunCols     = `contact_id, instance_id, state, updated_at`
	flowLogCols     = `id, instance_id, contact_id, at, record`
)

const (
	// qInsertContactFlow inserts one flow; CreateInstance uses it as is
	// and PutContactFlow turns it into an upsert.
	qInsertContactFlow = `INSERT INTO contact_flows (` + contactFlowCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	qInsertFlowVersion = `INSERT INTO contact_flow_versions (` + flowVersionCols + `)
		VALUES ($1, $2, $3, $4, $5)`
	qListContactFlows = `SELECT ` + contactFlowCols + ` FROM contact_flows
		WHERE instance_id = $1 ORDER BY name`
	// qListFlowLogs walks a range of flow_logs_contact_idx; a NULL limit
	// is LIMIT ALL.
	qListFlowLogs = `SELECT ` + flowLogCols + ` FROM flow_logs
		WHERE contact_id = $1 AND id > $2 AND instance_id = $3 ORDER BY id LIMIT $4`
)

// decTags decodes the JSON object of a flow's tags; it always returns a
// non-nil map so callers can add to it.
func decTags(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" || s == "{}" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode tags: %w", err)
	}
	return m, nil
}

// encTags encodes a flow's tags as a JSON object, "{}" for none.
func encTags(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode tags: %w", err)
	}
	return string(b), nil
}

// flowArgs are the arguments of qInsertContactFlow for f, tied to
// instanceID.
func flowArgs(instanceID string, f store.ContactFlow) ([]any, error) {
	tags, err := encTags(f.Tags)
	if err != nil {
		return nil, err
	}
	return []any{f.ID, instanceID, f.Name, f.Type, f.Description, f.Status, f.State,
		f.Content, f.Version, tags, ts(f.CreatedAt), ts(f.UpdatedAt)}, nil
}

// publishedAt is when the latest version of a new flow was published:
// when the flow was last updated, or else created.
func publishedAt(f store.ContactFlow) time.Time {
	if f.UpdatedAt.IsZero() {
		return f.CreatedAt
	}
	return f.UpdatedAt
}

func scanFlowVersion(row pgx.CollectableRow) (store.FlowVersion, error) {
	var v store.FlowVersion
	err := row.Scan(&v.InstanceID, &v.FlowID, &v.Version, &v.Content, utc{&v.CreatedAt})
	return v, err
}

func scanFlowRun(row pgx.CollectableRow) (store.FlowRun, error) {
	var r store.FlowRun
	err := row.Scan(&r.ContactID, &r.InstanceID, &r.State, utc{&r.UpdatedAt})
	r.State = nonNil(r.State)
	return r, err
}

func scanFlowLog(row pgx.CollectableRow) (store.FlowLog, error) {
	var l store.FlowLog
	err := row.Scan(&l.ID, &l.InstanceID, &l.ContactID, utc{&l.At}, &l.Record)
	l.Record = nonNil(l.Record)
	return l, err
}

// PutContactFlow inserts or replaces a flow. The flow of an ID that
// another instance holds is left alone, and that is ErrDuplicate. The
// upsert runs in a savepoint, as PutResource's does, so that a name taken
// by another flow does not abort the transaction.
func (t *tx) PutContactFlow(f store.ContactFlow) error {
	args, err := flowArgs(f.InstanceID, f)
	if err != nil {
		return wrap("put contact flow", err)
	}
	sp, err := t.tx.Begin(t.ctx)
	if err != nil {
		return wrap("put contact flow", err)
	}
	tag, err := sp.Exec(t.ctx, qInsertContactFlow+`
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,
			description = EXCLUDED.description, status = EXCLUDED.status, state = EXCLUDED.state,
			content = EXCLUDED.content, version = EXCLUDED.version, tags = EXCLUDED.tags,
			created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
		WHERE contact_flows.instance_id = EXCLUDED.instance_id`, args...)
	if err != nil {
		_ = sp.Rollback(t.ctx)
		return wrap("put contact flow", err)
	}
	if err := sp.Commit(t.ctx); err != nil {
		return wrap("put contact flow", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put contact flow")
	}
	return nil
}

// GetContactFlow reads one flow of an instance. It takes no row lock:
// chat starts read the flows their hooks name, and must not queue behind
// one another; flow writers serialise on the instance's routing lock.
func (t *tx) GetContactFlow(instanceID, flowID string) (store.ContactFlow, error) {
	return getContactFlow(t.ctx, t.tx, "", instanceID, flowID)
}

// ListContactFlows lists an instance's flows inside the transaction.
func (t *tx) ListContactFlows(instanceID string) ([]store.ContactFlow, error) {
	return listContactFlows(t.ctx, t.tx, instanceID)
}

// DeleteContactFlow deletes one flow; its versions stay.
func (t *tx) DeleteContactFlow(instanceID, flowID string) error {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM contact_flows WHERE instance_id = $1 AND id = $2`,
		instanceID, flowID)
	if err != nil {
		return wrap("delete contact flow", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delete contact flow")
	}
	return nil
}

// PutFlowVersion inserts a version; an existing one is ErrDuplicate and
// stays as it was.
func (t *tx) PutFlowVersion(v store.FlowVersion) error {
	tag, err := t.tx.Exec(t.ctx, qInsertFlowVersion+` ON CONFLICT DO NOTHING`,
		v.InstanceID, v.FlowID, v.Version, v.Content, ts(v.CreatedAt))
	if err != nil {
		return wrap("put flow version", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put flow version")
	}
	return nil
}

// GetFlowVersion returns one version of a flow inside the transaction.
// Versions never change, so it takes no lock.
func (t *tx) GetFlowVersion(instanceID, flowID string, version int) (store.FlowVersion, error) {
	return getFlowVersion(t.ctx, t.tx, instanceID, flowID, version)
}

// GetFlowRun reads and locks a contact's flow state.
func (t *tx) GetFlowRun(contactID string) (store.FlowRun, error) {
	return getFlowRun(t.ctx, t.tx, forUpdate, contactID)
}

// PutFlowRun inserts or replaces a contact's flow state. The flow state of
// a contact ID that another instance holds is left alone, and that is
// ErrDuplicate.
func (t *tx) PutFlowRun(r store.FlowRun) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO flow_runs (`+flowRunCols+`) VALUES ($1, $2, $3, $4)
		ON CONFLICT (contact_id) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
		WHERE flow_runs.instance_id = EXCLUDED.instance_id`,
		r.ContactID, r.InstanceID, nonNil(r.State), ts(r.UpdatedAt))
	if err != nil {
		return wrap("put flow run", err)
	}
	if tag.RowsAffected() == 0 {
		return duplicate("put flow run")
	}
	return nil
}

// DeleteFlowRun deletes a contact's flow state; a missing one is not an
// error.
func (t *tx) DeleteFlowRun(contactID string) error {
	_, err := t.tx.Exec(t.ctx, `DELETE FROM flow_runs WHERE contact_id = $1`, contactID)
	return wrap("delete flow run", err)
}

// AppendFlowLogs stores flow-log records, one insert each in one
// pipelined batch: each takes the next ID of the identity column in turn,
// so a contact's records are in the order they were appended. Callers
// serialise the writes of one contact (LockContact), so IDs also increase
// from one transaction to the next.
func (t *tx) AppendFlowLogs(logs []store.FlowLog) error {
	if len(logs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, l := range logs {
		b.Queue(`INSERT INTO flow_logs (instance_id, contact_id, at, record) VALUES ($1, $2, $3, $4)`,
			l.InstanceID, l.ContactID, ts(l.At), nonNil(l.Record))
	}
	return wrap("append flow logs", t.tx.SendBatch(t.ctx, b).Close())
}

func getContactFlow(ctx context.Context, q querier, lock, instanceID, flowID string) (store.ContactFlow, error) {
	rows, _ := q.Query(ctx, `SELECT `+contactFlowCols+` FROM contact_flows
		WHERE id = $1 AND instance_id = $2`+lock, flowID, instanceID)
	f, err := pgx.CollectExactlyOneRow(rows, scanContactFlow)
	return f, wrap("get contact flow", err)
}

// ListContactFlows returns the flows of an instance, by name.
func (s *Store) ListContactFlows(ctx context.Context, instanceID string) ([]store.ContactFlow, error) {
	return listContactFlows(ctx, s.pool, instanceID)
}

func listContactFlows(ctx context.Context, q querier, instanceID string) ([]store.ContactFlow, error) {
	rows, _ := q.Query(ctx, qListContactFlows, instanceID)
	fs, err := pgx.CollectRows(rows, scanContactFlow)
	return fs, wrap("list contact flows", err)
}

// GetFlowVersion returns one published version of a flow, even if the
// flow has been deleted since.
func (s *Store) GetFlowVersion(ctx context.Context, instanceID, flowID string, version int) (store.FlowVersion, error) {
	return getFlowVersion(ctx, s.pool, instanceID, flowID, version)
}

func getFlowVersion(ctx context.Context, q querier, instanceID, flowID string, version int) (store.FlowVersion, error) {
	rows, _ := q.Query(ctx, `SELECT `+flowVersionCols+` FROM contact_flow_versions
		WHERE instance_id = $1 AND flow_id = $2 AND version = $3`, instanceID, flowID, version)
	v, err := pgx.CollectExactlyOneRow(rows, scanFlowVersion)
	return v, wrap("get flow version", err)
}

// GetFlowRun returns a contact's flow state.
func (s *Store) GetFlowRun(ctx context.Context, contactID string) (store.FlowRun, error) {
	return getFlowRun(ctx, s.pool, "", contactID)
}

func getFlowRun(ctx context.Context, q querier, lock, contactID string) (store.FlowRun, error) {
	rows, _ := q.Query(ctx, `SELECT `+flowRunCols+` FROM flow_runs WHERE contact_id = $1`+lock, contactID)
	r, err := pgx.CollectExactlyOneRow(rows, scanFlowRun)
	return r, wrap("get flow run", err)
}

// ListFlowLogs returns up to limit (0 or less: all) flow-log records of a
// contact with ID > afterID, oldest first.
func (s *Store) ListFlowLogs(ctx context.Context, instanceID, contactID string, afterID int64, limit int) ([]store.FlowLog, error) {
	var lim any // NULL is LIMIT ALL
	if limit > 0 {
		lim = int64(limit)
	}
	rows, _ := s.pool.Query(ctx, qListFlowLogs, contactID, afterID, instanceID, lim)
	ls, err := pgx.CollectRows(rows, scanFlowLog)
	return ls, wrap("list flow logs", err)
}
