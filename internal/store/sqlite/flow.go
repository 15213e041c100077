package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Flows: contact flows, their published versions, and each contact's flow
// state and flow logs.

const flowCols = `id, instance_id, name, type, description, status, state, content, version, tags,
	created_at, updated_at`

const (
	qInsertFlow = `INSERT INTO contact_flows (` + flowCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qPutFlow replaces by ID; a name taken by another flow of the
	// instance still fails on the unique name, as a duplicate, and the
	// flow of an ID that another instance holds is left alone.
	qPutFlow = qInsertFlow + `
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type,
			description = excluded.description, status = excluded.status, state = excluded.state,
			content = excluded.content, version = excluded.version, tags = excluded.tags,
			created_at = excluded.created_at, updated_at = excluded.updated_at
		WHERE contact_flows.instance_id = excluded.instance_id`
	qGetFlow    = `SELECT ` + flowCols + ` FROM contact_flows WHERE id = ? AND instance_id = ?`
	qListFlows  = `SELECT ` + flowCols + ` FROM contact_flows WHERE instance_id = ? ORDER BY name`
	qDeleteFlow = `DELETE FROM contact_flows WHERE instance_id = ? AND id = ?`
)

const flowVersionCols = `instance_id, flow_id, version, content, created_at`

const (
	qInsertFlowVersion = `INSERT INTO contact_flow_versions (` + flowVersionCols + `) VALUES (?, ?, ?, ?, ?)`
	qGetFlowVersion    = `SELECT ` + flowVersionCols + ` FROM contact_flow_versions
		WHERE instance_id = ? AND flow_id = ? AND version = ?`
)

const flowRunCols = `contact_id, instance_id, state, updated_at`

const (
	// qPutFlowRun never takes over the flow state of another instance's
	// contact, like qPutContactRouting.
	qPutFlowRun = `INSERT INTO flow_runs (` + flowRunCols + `) VALUES (?, ?, ?, ?)
		ON CONFLICT (contact_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
		WHERE flow_runs.instance_id = excluded.instance_id`
	qGetFlowRun    = `SELECT ` + flowRunCols + ` FROM flow_runs WHERE contact_id = ?`
	qDeleteFlowRun = `DELETE FROM flow_runs WHERE contact_id = ?`
)

const flowLogCols = `id, instance_id, contact_id, at, record`

const (
	qAppendFlowLog = `INSERT INTO flow_logs (instance_id, contact_id, at, record) VALUES (?, ?, ?, ?)`
	// qListFlowLogs walks a range of flow_logs_contact; "no limit" is -1.
	qListFlowLogs = `SELECT ` + flowLogCols + ` FROM flow_logs
		WHERE contact_id = ? AND id > ? AND instance_id = ? ORDER BY id LIMIT ?`
)

// flowWriteStmts are the writer's flow statements.
type flowWriteStmts struct {
	insertFlow, putFlow, getFlow, listFlows, deleteFlow *sql.Stmt

	insertFlowVersion, getFlowVersion *sql.Stmt

	putFlowRun, getFlowRun, deleteFlowRun *sql.Stmt

	appendFlowLog *sql.Stmt
}

func prepareFlowWrites(p *prep) flowWriteStmts {
	return flowWriteStmts{
		insertFlow: p.stmt(qInsertFlow),
		putFlow:    p.stmt(qPutFlow),
		getFlow:    p.stmt(qGetFlow),
		listFlows:  p.stmt(qListFlows),
		deleteFlow: p.stmt(qDeleteFlow),

		insertFlowVersion: p.stmt(qInsertFlowVersion),
		getFlowVersion:    p.stmt(qGetFlowVersion),

		putFlowRun:    p.stmt(qPutFlowRun),
		getFlowRun:    p.stmt(qGetFlowRun),
		deleteFlowRun: p.stmt(qDeleteFlowRun),

		appendFlowLog: p.stmt(qAppendFlowLog),
	}
}

// flowReadStmts are the read pool's flow statements.
type flowReadStmts struct {
	getFlow, listFlows, getFlowVersion, getFlowRun, listFlowLogs *sql.Stmt
}

func prepareFlowReads(p *prep) flowReadStmts {
	return flowReadStmts{
		getFlow:        p.stmt(qGetFlow),
		listFlows:      p.stmt(qListFlows),
		getFlowVersion: p.stmt(qGetFlowVersion),
		getFlowRun:     p.stmt(qGetFlowRun),
		listFlowLogs:   p.stmt(qListFlowLogs),
	}
}

func scanFlow(sc scanner) (store.ContactFlow, error) {
	var f store.ContactFlow
	var tags string
	var created, updated int64
	err := sc.Scan(&f.ID, &f.InstanceID, &f.Name, &f.Type, &f.Description, &f.Status, &f.State,
		&f.Content, &f.Version, &tags, &created, &updated)
	if err != nil {
		return f, err
	}
	if f.Tags, err = decMap(tags); err != nil {
		return f, err
	}
	f.CreatedAt = decTime(created)
	f.UpdatedAt = decTime(updated)
	return f, nil
}

func scanFlowVersion(sc scanner) (store.FlowVersion, error) {
	var v store.FlowVersion
	var created int64
	if err := sc.Scan(&v.InstanceID, &v.FlowID, &v.Version, &v.Content, &created); err != nil {
		return v, err
	}
	v.CreatedAt = decTime(created)
	return v, nil
}

func scanFlowRun(sc scanner) (store.FlowRun, error) {
	var r store.FlowRun
	var updated int64
	if err := sc.Scan(&r.ContactID, &r.InstanceID, &r.State, &updated); err != nil {
		return r, err
	}
	r.State = nonNil(r.State)
	r.UpdatedAt = decTime(updated)
	return r, nil
}

func scanFlowLog(sc scanner) (store.FlowLog, error) {
	var l store.FlowLog
	var at int64
	if err := sc.Scan(&l.ID, &l.InstanceID, &l.ContactID, &at, &l.Record); err != nil {
		return l, err
	}
	l.Record = nonNil(l.Record)
	l.At = decTime(at)
	return l, nil
}

// flowArgs are the insert arguments of f, tied to instanceID.
func flowArgs(instanceID string, f store.ContactFlow) ([]any, error) {
	tags, err := encMap(f.Tags)
	if err != nil {
		return nil, err
	}
	return []any{f.ID, instanceID, f.Name, f.Type, f.Description, f.Status, f.State,
		f.Content, f.Version, tags, encTime(f.CreatedAt), encTime(f.UpdatedAt)}, nil
}

// insertFlow inserts a flow of a new instance and, if it has been
// published, its latest version with its content, published when the flow
// was last updated.
func (t *tx) insertFlow(op, instanceID string, f store.ContactFlow) error {
	args, err := flowArgs(instanceID, f)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := t.exec(op, t.st.fl.insertFlow, args...); err != nil {
		return err
	}
	if f.Version <= 0 {
		return nil
	}
	_, err = t.exec(op+" version", t.st.fl.insertFlowVersion,
		instanceID, f.ID, f.Version, f.Content, encTime(publishedAt(f)))
	return err
}

// publishedAt is when the latest version of a new flow was published:
// when the flow was last updated, or else created.
func publishedAt(f store.ContactFlow) time.Time {
	if f.UpdatedAt.IsZero() {
		return f.CreatedAt
	}
	return f.UpdatedAt
}

// PutContactFlow implements store.Tx. A name taken by another flow is a
// constraint error, which leaves the transaction usable.
func (t *tx) PutContactFlow(f store.ContactFlow) error {
	const op = "put contact flow"
	args, err := flowArgs(f.InstanceID, f)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	res, err := t.exec(op, t.st.fl.putFlow, args...)
	if err != nil {
		return err
	}
	return t.changedOne(op, res)
}

// GetContactFlow implements store.Tx.
func (t *tx) GetContactFlow(instanceID, flowID string) (store.ContactFlow, error) {
	return txOne(t, "get contact flow", scanFlow, t.st.fl.getFlow, flowID, instanceID)
}

// ListContactFlows implements store.Tx.
func (t *tx) ListContactFlows(instanceID string) ([]store.ContactFlow, error) {
	return txAll(t, "list contact flows", scanFlow, t.st.fl.listFlows, instanceID)
}

// DeleteContactFlow implements store.Tx. The flow's versions stay.
func (t *tx) DeleteContactFlow(instanceID, flowID string) error {
	const op = "delete contact flow"
	res, err := t.exec(op, t.st.fl.deleteFlow, instanceID, flowID)
	if err != nil {
		return err
	}
	return t.affected(op, res)
}

// PutFlowVersion implements store.Tx. An existing version is a constraint
// error, which leaves the transaction usable.
func (t *tx) PutFlowVersion(v store.FlowVersion) error {
	_, err := t.exec("put flow version", t.st.fl.insertFlowVersion,
		v.InstanceID, v.FlowID, v.Version, v.Content, encTime(v.CreatedAt))
	return err
}

// GetFlowVersion implements store.Tx.
func (t *tx) GetFlowVersion(instanceID, flowID string, version int) (store.FlowVersion, error) {
	return txOne(t, "get flow version", scanFlowVersion, t.st.fl.getFlowVersion, instanceID, flowID, version)
}

// GetFlowRun implements store.Tx.
func (t *tx) GetFlowRun(contactID string) (store.FlowRun, error) {
	return txOne(t, "get flow run", scanFlowRun, t.st.fl.getFlowRun, contactID)
}

// PutFlowRun implements store.Tx. The flow state of a contact ID that
// another instance holds is not replaced: that is ErrDuplicate.
func (t *tx) PutFlowRun(r store.FlowRun) error {
	const op = "put flow run"
	res, err := t.exec(op, t.st.fl.putFlowRun, r.ContactID, r.InstanceID, nonNil(r.State), encTime(r.UpdatedAt))
	if err != nil {
		return err
	}
	return t.changedOne(op, res)
}

// DeleteFlowRun implements store.Tx.
func (t *tx) DeleteFlowRun(contactID string) error {
	_, err := t.exec("delete flow run", t.st.fl.deleteFlowRun, contactID)
	return err
}

// AppendFlowLogs implements store.Tx. Each record gets the next ID of the
// table, so a contact's records are in the order they were appended.
func (t *tx) AppendFlowLogs(logs []store.FlowLog) error {
	for _, l := range logs {
		if _, err := t.exec("append flow logs", t.st.fl.appendFlowLog,
			l.InstanceID, l.ContactID, encTime(l.At), nonNil(l.Record)); err != nil {
			return err
		}
	}
	return nil
}

// ListContactFlows implements store.Store.
func (s *Store) ListContactFlows(ctx context.Context, instanceID string) ([]store.ContactFlow, error) {
	return readAll(ctx, "list contact flows", scanFlow, s.rd.fl.listFlows, instanceID)
}

// GetFlowVersion implements store.Store.
func (s *Store) GetFlowVersion(ctx context.Context, instanceID, flowID string, version int) (store.FlowVersion, error) {
	return readOne(ctx, "get flow version", scanFlowVersion, s.rd.fl.getFlowVersion, instanceID, flowID, version)
}

// GetFlowRun implements store.Store.
func (s *Store) GetFlowRun(ctx context.Context, contactID string) (store.FlowRun, error) {
	return readOne(ctx, "get flow run", scanFlowRun, s.rd.fl.getFlowRun, contactID)
}

// ListFlowLogs implements store.Store. A limit of 0 or less means no
// limit.
func (s *Store) ListFlowLogs(ctx context.Context, instanceID, contactID string, afterID int64, limit int) ([]store.FlowLog, error) {
	if limit <= 0 {
		limit = -1
	}
	return readAll(ctx, "list flow logs", scanFlowLog, s.rd.fl.listFlowLogs, contactID, afterID, instanceID, limit)
}
