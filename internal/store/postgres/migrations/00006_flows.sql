-- Flows: a flow gets the fields of Connect's ContactFlow (description,
-- status, state, version, tags) and unique names; every publish adds an
-- immutable version, which contacts run; a contact's flow state and its
-- flow logs get tables of their own.
--
-- Versions, flow runs and flow logs carry their instance ID without a
-- foreign key, like the routing state: versions outlive a deleted flow
-- for the contacts still running them, and contacts are never deleted.

-- +goose Up

ALTER TABLE contact_flows
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN status      text NOT NULL DEFAULT 'PUBLISHED',
    ADD COLUMN state       text NOT NULL DEFAULT 'ACTIVE',
    ADD COLUMN version     integer NOT NULL DEFAULT 1,
    -- text, not jsonb, as in the embedded driver: a JSON object of tags.
    ADD COLUMN tags        text NOT NULL DEFAULT '{}',
    ADD COLUMN updated_at  timestamptz;
UPDATE contact_flows SET updated_at = created_at;

-- Names become unique per instance, and compare and sort byte by byte as
-- in the embedded driver. Should two flows of an instance share one, the
-- later gets its ID appended rather than failing the migration.
ALTER TABLE contact_flows ALTER COLUMN name TYPE text COLLATE "C";
UPDATE contact_flows f SET name = f.name || ' (' || f.id || ')'
WHERE EXISTS (SELECT 1 FROM contact_flows d
              WHERE d.instance_id = f.instance_id AND d.name = f.name AND d.id < f.id);
-- The unique index also serves ListContactFlows, which returns them by
-- name.
CREATE UNIQUE INDEX contact_flows_name_idx ON contact_flows (instance_id, name);

CREATE TABLE contact_flow_versions (
    instance_id text NOT NULL,
    flow_id     text NOT NULL,
    version     integer NOT NULL,
    content     text NOT NULL DEFAULT '',
    created_at  timestamptz,
    PRIMARY KEY (instance_id, flow_id, version)
);
-- Every existing flow was what contacts ran: it is published version 1.
INSERT INTO contact_flow_versions (instance_id, flow_id, version, content, created_at)
SELECT instance_id, id, 1, content, created_at FROM contact_flows;

CREATE TABLE flow_runs (
    contact_id  text PRIMARY KEY,
    instance_id text NOT NULL,
    state       bytea NOT NULL,
    updated_at  timestamptz
);

CREATE TABLE flow_logs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id text NOT NULL,
    contact_id  text NOT NULL,
    at          timestamptz,
    record      bytea NOT NULL
);
CREATE INDEX flow_logs_contact_idx ON flow_logs (contact_id, id);

-- +goose Down
-- Versions, flow runs and flow logs go, and flows lose their new fields.
-- Names made unique stay as they are.

DROP TABLE flow_logs;
DROP TABLE flow_runs;
DROP TABLE contact_flow_versions;
DROP INDEX contact_flows_name_idx;
ALTER TABLE contact_flows ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE contact_flows
    DROP COLUMN updated_at,
    DROP COLUMN tags,
    DROP COLUMN version,
    DROP COLUMN state,
    DROP COLUMN status,
    DROP COLUMN description;
