-- +goose Up
-- Flows: a flow gets the fields of Connect's ContactFlow (description,
-- status, state, version, tags) and unique names; every publish adds an
-- immutable version, which contacts run; a contact's flow state and its
-- flow logs get tables of their own.
--
-- Versions, flow runs and flow logs carry their instance ID without a
-- foreign key, like the routing state: versions outlive a deleted flow
-- for the contacts still running them, and contacts are never deleted.

ALTER TABLE contact_flows ADD COLUMN description TEXT    NOT NULL DEFAULT '';
ALTER TABLE contact_flows ADD COLUMN status      TEXT    NOT NULL DEFAULT 'PUBLISHED';
ALTER TABLE contact_flows ADD COLUMN state       TEXT    NOT NULL DEFAULT 'ACTIVE';
ALTER TABLE contact_flows ADD COLUMN version     INTEGER NOT NULL DEFAULT 1;
ALTER TABLE contact_flows ADD COLUMN tags        TEXT    NOT NULL DEFAULT '{}';
ALTER TABLE contact_flows ADD COLUMN updated_at  INTEGER NOT NULL DEFAULT 0;
UPDATE contact_flows SET updated_at = created_at;

-- Names become unique per instance. Should two flows of an instance share
-- one, the later gets its ID appended rather than failing the migration.
UPDATE contact_flows SET name = name || ' (' || id || ')'
WHERE EXISTS (SELECT 1 FROM contact_flows d
              WHERE d.instance_id = contact_flows.instance_id AND d.name = contact_flows.name
                AND d.id < contact_flows.id);
-- The unique index also serves ListContactFlows, which returns them by
-- name, and replaces the index on instance_id alone.
DROP INDEX contact_flows_instance;
CREATE UNIQUE INDEX contact_flows_name ON contact_flows (instance_id, name);

-- A rowid table, not WITHOUT ROWID: flow content can be large.
CREATE TABLE contact_flow_versions (
    instance_id TEXT    NOT NULL,
    flow_id     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    content     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (instance_id, flow_id, version)
);
-- Every existing flow was what contacts ran: it is published version 1.
INSERT INTO contact_flow_versions (instance_id, flow_id, version, content, created_at)
SELECT instance_id, id, 1, content, created_at FROM contact_flows;

CREATE TABLE flow_runs (
    contact_id  TEXT    PRIMARY KEY,
    instance_id TEXT    NOT NULL,
    state       BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- AUTOINCREMENT: an ID is never reused, even after the newest record of
-- a contact is gone, so a reader's afterID never skips a new one.
CREATE TABLE flow_logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT    NOT NULL,
    contact_id  TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    record      BLOB    NOT NULL
);
CREATE INDEX flow_logs_contact ON flow_logs (contact_id, id);

-- +goose Down
-- Versions, flow runs and flow logs go, and flows lose their new fields.
-- Names made unique stay as they are.
DROP TABLE flow_logs;
DROP TABLE flow_runs;
DROP TABLE contact_flow_versions;
DROP INDEX contact_flows_name;
CREATE INDEX contact_flows_instance ON contact_flows (instance_id);
ALTER TABLE contact_flows DROP COLUMN updated_at;
ALTER TABLE contact_flows DROP COLUMN tags;
ALTER TABLE contact_flows DROP COLUMN version;
ALTER TABLE contact_flows DROP COLUMN state;
ALTER TABLE contact_flows DROP COLUMN status;
ALTER TABLE contact_flows DROP COLUMN description;
