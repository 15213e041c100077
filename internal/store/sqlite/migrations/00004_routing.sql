-- +goose Up
-- Routing: an instance's configuration becomes resources (JSON bodies
-- owned by the domain packages), and routing gets its own state: agents,
-- where each contact stands, the offers made to agents, and the sessions
-- of logged-in users.
--
-- Routing state carries its instance ID without a foreign key, like tokens
-- and timers: the domain keeps it in step with instances and contacts.

CREATE TABLE resources (
    instance_id TEXT    NOT NULL REFERENCES instances (id),
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (instance_id, kind, id)
) WITHOUT ROWID;
-- Names are unique per instance and kind: users are found by username.
-- The index also serves ListResources, which returns them by name.
CREATE UNIQUE INDEX resources_name ON resources (instance_id, kind, name);

-- The old tables become resources with the bodies the domain reads. Queues
-- and routing profiles had no unique names; should two of an instance
-- share one, the later gets its ID appended rather than failing the
-- migration.
INSERT INTO resources (instance_id, kind, id, name, body, created_at, updated_at)
SELECT instance_id, 'queue', id, name,
       json_object('Id', id, 'Name', name, 'Status', 'ENABLED'),
       created_at, created_at
FROM (SELECT q.instance_id, q.id, q.created_at,
             CASE WHEN EXISTS (SELECT 1 FROM queues d
                               WHERE d.instance_id = q.instance_id AND d.name = q.name AND d.id < q.id)
                  THEN q.name || ' (' || q.id || ')' ELSE q.name END AS name
      FROM queues q) AS q;

INSERT INTO resources (instance_id, kind, id, name, body, created_at, updated_at)
SELECT instance_id, 'routing-profile', id, name,
       json_object(
           'Id', id,
           'Name', name,
           'DefaultOutboundQueueId', default_queue_id,
           'MediaConcurrencies', json_array(json_object('Channel', 'CHAT', 'Concurrency', 2)),
           'Queues', json_array(json_object('QueueId', default_queue_id, 'Channel', 'CHAT',
                                            'Priority', 1, 'Delay', 0))),
       created_at, created_at
FROM (SELECT rp.instance_id, rp.id, rp.default_queue_id, rp.created_at,
             CASE WHEN EXISTS (SELECT 1 FROM routing_profiles d
                               WHERE d.instance_id = rp.instance_id AND d.name = rp.name AND d.id < rp.id)
                  THEN rp.name || ' (' || rp.id || ')' ELSE rp.name END AS name
      FROM routing_profiles rp) AS rp;

-- Users had neither a routing profile nor a security profile: they get the
-- instance's oldest routing profile and the built-in security profile,
-- whose ID is fixed.
INSERT INTO resources (instance_id, kind, id, name, body, created_at, updated_at)
SELECT u.instance_id, 'user', u.id, u.username,
       json_object(
           'Id', u.id,
           'Username', u.username,
           'PasswordHash', u.password_hash,
           'SecurityProfileIds', json_array('00000000-0000-4000-a000-000000000001'),
           'RoutingProfileId', COALESCE((SELECT rp.id FROM routing_profiles rp
                                         WHERE rp.instance_id = u.instance_id
                                         ORDER BY rp.created_at, rp.id LIMIT 1), '')),
       u.created_at, u.created_at
FROM users u;

DROP TABLE users;
DROP TABLE queues;
DROP TABLE routing_profiles;

CREATE TABLE agents (
    instance_id        TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    routing_profile_id TEXT    NOT NULL,
    status_id          TEXT    NOT NULL,
    status_name        TEXT    NOT NULL,
    routable           INTEGER NOT NULL,
    status_since       INTEGER NOT NULL,
    last_routed_at     INTEGER NOT NULL,
    chat_slots         INTEGER NOT NULL,
    chats_used         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (instance_id, user_id)
) WITHOUT ROWID;

CREATE TABLE contact_routing (
    contact_id        TEXT    PRIMARY KEY,
    instance_id       TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    queue_id          TEXT    NOT NULL,
    target_user_id    TEXT    NOT NULL,
    priority          INTEGER NOT NULL,
    rank_at           INTEGER NOT NULL,
    enqueued_at       INTEGER NOT NULL,
    dequeued_at       INTEGER NOT NULL,
    agent_id          TEXT    NOT NULL,
    previous_agent_id TEXT    NOT NULL,
    transfers         TEXT    NOT NULL,
    updated_at        INTEGER NOT NULL
);
-- ListQueued and CountQueued: a queue's waiting contacts in service order,
-- a range of this index. Only queued contacts are in it, so contacts that
-- left routing long ago cost nothing.
CREATE INDEX contact_routing_queued ON contact_routing (instance_id, queue_id, priority, rank_at, contact_id)
    WHERE state = 'QUEUED';
-- ListContactRoutings by state.
CREATE INDEX contact_routing_state ON contact_routing (instance_id, state, enqueued_at, contact_id);

CREATE TABLE assignments (
    id             TEXT    PRIMARY KEY,
    instance_id    TEXT    NOT NULL,
    contact_id     TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    queue_id       TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    participant_id TEXT    NOT NULL,
    offered_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    accepted_at    INTEGER NOT NULL,
    connected_at   INTEGER NOT NULL,
    acw_started_at INTEGER NOT NULL,
    ended_at       INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- An agent's assignments pile up over time while only a handful are
-- active, so the active ones have an index of their own.
CREATE INDEX assignments_user ON assignments (instance_id, user_id, offered_at, id);
CREATE INDEX assignments_user_active ON assignments (instance_id, user_id, offered_at, id)
    WHERE state IN ('OFFERED', 'CONNECTED', 'ACW');
CREATE INDEX assignments_contact ON assignments (instance_id, contact_id, offered_at, id);

CREATE TABLE sessions (
    hash        BLOB    PRIMARY KEY,
    instance_id TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (instance_id, user_id);

-- +goose Down
-- Routing state goes; users, queues and routing profiles come back from
-- their resources with the fields the old tables had. Other resources are
-- lost.
DROP TABLE sessions;
DROP TABLE assignments;
DROP TABLE contact_routing;
DROP TABLE agents;

CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    instance_id   TEXT    NOT NULL REFERENCES instances (id),
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (instance_id, username)
);

CREATE TABLE queues (
    id          TEXT    PRIMARY KEY,
    instance_id TEXT    NOT NULL REFERENCES instances (id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX queues_instance ON queues (instance_id);

CREATE TABLE routing_profiles (
    id               TEXT    PRIMARY KEY,
    instance_id      TEXT    NOT NULL REFERENCES instances (id),
    name             TEXT    NOT NULL,
    default_queue_id TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX routing_profiles_instance ON routing_profiles (instance_id);

-- IDs were unique across instances in the old tables; should two instances
-- share one, the first stays.
INSERT OR IGNORE INTO users (id, instance_id, username, password_hash, created_at)
SELECT id, instance_id, name, COALESCE(json_extract(body, '$.PasswordHash'), ''), created_at
FROM resources WHERE kind = 'user';

INSERT OR IGNORE INTO queues (id, instance_id, name, created_at)
SELECT id, instance_id, name, created_at
FROM resources WHERE kind = 'queue';

INSERT OR IGNORE INTO routing_profiles (id, instance_id, name, default_queue_id, created_at)
SELECT id, instance_id, name, COALESCE(json_extract(body, '$.DefaultOutboundQueueId'), ''), created_at
FROM resources WHERE kind = 'routing-profile';

DROP TABLE resources;
