-- Routing: an instance's configuration becomes resources (JSON bodies
-- owned by the domain packages), and routing gets its own state: agents,
-- where each contact stands, the offers made to agents, and the sessions
-- of logged-in users.
--
-- Routing state carries its instance ID without a foreign key, like tokens
-- and timers: the domain keeps it in step with instances and contacts.
-- Times that order rows (rank_at, enqueued_at, offered_at) are NOT NULL,
-- the zero time stored as year 1, so that it sorts first as it does in the
-- embedded driver; other times are NULL for "not yet".

-- +goose Up

CREATE TABLE resources (
    instance_id text NOT NULL REFERENCES instances (id),
    kind        text NOT NULL,
    id          text NOT NULL,
    -- Names compare and sort byte by byte, as in the embedded driver,
    -- whatever the database's default collation.
    name        text COLLATE "C" NOT NULL,
    -- text, not jsonb: the body comes back byte for byte as it was put.
    body        text NOT NULL,
    created_at  timestamptz,
    updated_at  timestamptz,
    PRIMARY KEY (instance_id, kind, id)
);
-- Names are unique per instance and kind: users are found by username.
-- The index also serves ListResources, which returns them by name.
CREATE UNIQUE INDEX resources_name_idx ON resources (instance_id, kind, name);

-- The old tables become resources with the bodies the domain reads. Queues
-- and routing profiles had no unique names; should two of an instance
-- share one, the later gets its ID appended rather than failing the
-- migration.
INSERT INTO resources (instance_id, kind, id, name, body, created_at, updated_at)
SELECT instance_id, 'queue', id, name,
       jsonb_build_object('Id', id, 'Name', name, 'Status', 'ENABLED')::text,
       created_at, created_at
FROM (SELECT q.instance_id, q.id, q.created_at,
             CASE WHEN EXISTS (SELECT 1 FROM queues d
                               WHERE d.instance_id = q.instance_id AND d.name = q.name AND d.id < q.id)
                  THEN q.name || ' (' || q.id || ')' ELSE q.name END AS name
      FROM queues q) AS q;

INSERT INTO resources (instance_id, kind, id, name, body, created_at, updated_at)
SELECT instance_id, 'routing-profile', id, name,
       jsonb_build_object(
           'Id', id,
           'Name', name,
           'DefaultOutboundQueueId', default_queue_id,
           'MediaConcurrencies', jsonb_build_array(jsonb_build_object('Channel', 'CHAT', 'Concurrency', 2)),
           'Queues', jsonb_build_array(jsonb_build_object('QueueId', default_queue_id, 'Channel', 'CHAT',
                                                          'Priority', 1, 'Delay', 0)))::text,
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
       jsonb_build_object(
           'Id', u.id,
           'Username', u.username,
           'PasswordHash', u.password_hash,
           'SecurityProfileIds', jsonb_build_array('00000000-0000-4000-a000-000000000001'),
           'RoutingProfileId', COALESCE((SELECT rp.id FROM routing_profiles rp
                                         WHERE rp.instance_id = u.instance_id
                                         ORDER BY rp.created_at, rp.id LIMIT 1), ''))::text,
       u.created_at, u.created_at
FROM users u;

DROP TABLE users;
DROP TABLE queues;
DROP TABLE routing_profiles;

CREATE TABLE agents (
    instance_id        text NOT NULL,
    user_id            text NOT NULL,
    routing_profile_id text NOT NULL DEFAULT '',
    status_id          text NOT NULL DEFAULT '',
    status_name        text NOT NULL DEFAULT '',
    routable           boolean NOT NULL DEFAULT false,
    status_since       timestamptz,
    last_routed_at     timestamptz,
    chat_slots         integer NOT NULL DEFAULT 0,
    chats_used         integer NOT NULL DEFAULT 0,
    updated_at         timestamptz,
    PRIMARY KEY (instance_id, user_id)
);

CREATE TABLE contact_routing (
    contact_id        text PRIMARY KEY,
    instance_id       text NOT NULL,
    state             text NOT NULL DEFAULT '',
    queue_id          text NOT NULL DEFAULT '',
    target_user_id    text NOT NULL DEFAULT '',
    priority          integer NOT NULL DEFAULT 0,
    rank_at           timestamptz NOT NULL,
    enqueued_at       timestamptz NOT NULL,
    dequeued_at       timestamptz,
    agent_id          text NOT NULL DEFAULT '',
    previous_agent_id text NOT NULL DEFAULT '',
    transfers         text NOT NULL DEFAULT '',
    updated_at        timestamptz
);
-- ListQueued and CountQueued: a queue's waiting contacts in service order,
-- a range of this index. Only queued contacts are in it, so contacts that
-- left routing long ago cost nothing.
CREATE INDEX contact_routing_queued_idx ON contact_routing (instance_id, queue_id, priority, rank_at, contact_id)
    WHERE state = 'QUEUED';
-- ListContactRoutings by state.
CREATE INDEX contact_routing_state_idx ON contact_routing (instance_id, state, enqueued_at, contact_id);

CREATE TABLE assignments (
    id             text PRIMARY KEY,
    instance_id    text NOT NULL,
    contact_id     text NOT NULL DEFAULT '',
    user_id        text NOT NULL DEFAULT '',
    queue_id       text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT '',
    participant_id text NOT NULL DEFAULT '',
    offered_at     timestamptz NOT NULL,
    expires_at     timestamptz,
    accepted_at    timestamptz,
    connected_at   timestamptz,
    acw_started_at timestamptz,
    ended_at       timestamptz,
    updated_at     timestamptz
);
-- An agent's assignments pile up over time while only a handful are
-- active, so the active ones have an index of their own.
CREATE INDEX assignments_user_idx ON assignments (instance_id, user_id, offered_at, id);
CREATE INDEX assignments_user_active_idx ON assignments (instance_id, user_id, offered_at, id)
    WHERE state IN ('OFFERED', 'CONNECTED', 'ACW');
CREATE INDEX assignments_contact_idx ON assignments (instance_id, contact_id, offered_at, id);

CREATE TABLE sessions (
    hash        bytea PRIMARY KEY,
    instance_id text NOT NULL,
    user_id     text NOT NULL,
    csrf        text NOT NULL DEFAULT '',
    created_at  timestamptz,
    -- As for tokens, a zero expiry is year 1: long expired.
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_user_idx ON sessions (instance_id, user_id);

-- +goose Down
-- Routing state goes; users, queues and routing profiles come back from
-- their resources with the fields the old tables had. Other resources are
-- lost.

DROP TABLE sessions;
DROP TABLE assignments;
DROP TABLE contact_routing;
DROP TABLE agents;

CREATE TABLE users (
    id            text PRIMARY KEY,
    instance_id   text NOT NULL REFERENCES instances (id),
    username      text NOT NULL,
    password_hash text NOT NULL DEFAULT '',
    created_at    timestamptz,
    UNIQUE (instance_id, username)
);

CREATE TABLE queues (
    id          text PRIMARY KEY,
    instance_id text NOT NULL REFERENCES instances (id),
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz
);

CREATE TABLE routing_profiles (
    id               text PRIMARY KEY,
    instance_id      text NOT NULL REFERENCES instances (id),
    name             text NOT NULL DEFAULT '',
    default_queue_id text NOT NULL DEFAULT '',
    created_at       timestamptz
);

-- IDs were unique across instances in the old tables; should two instances
-- share one, the first stays.
INSERT INTO users (id, instance_id, username, password_hash, created_at)
SELECT id, instance_id, name, COALESCE(body::jsonb ->> 'PasswordHash', ''), created_at
FROM resources WHERE kind = 'user'
ON CONFLICT DO NOTHING;

INSERT INTO queues (id, instance_id, name, created_at)
SELECT id, instance_id, name, created_at
FROM resources WHERE kind = 'queue'
ON CONFLICT DO NOTHING;

INSERT INTO routing_profiles (id, instance_id, name, default_queue_id, created_at)
SELECT id, instance_id, name, COALESCE(body::jsonb ->> 'DefaultOutboundQueueId', ''), created_at
FROM resources WHERE kind = 'routing-profile'
ON CONFLICT DO NOTHING;

DROP TABLE resources;
