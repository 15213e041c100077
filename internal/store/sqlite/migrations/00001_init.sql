-- +goose Up
-- Times are INTEGER unix microseconds in UTC; 0 stands for the zero time.
-- Durations are INTEGER nanoseconds. Lists and maps are JSON text.

CREATE TABLE instances (
    id         TEXT    PRIMARY KEY,
    alias      TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
-- ListInstances returns the oldest first.
CREATE INDEX instances_created ON instances (created_at);

CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    instance_id   TEXT    NOT NULL REFERENCES instances (id),
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (instance_id, username)
);

CREATE TABLE access_keys (
    id          TEXT    PRIMARY KEY,
    instance_id TEXT    NOT NULL REFERENCES instances (id),
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX access_keys_instance ON access_keys (instance_id);

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

CREATE TABLE contact_flows (
    id          TEXT    PRIMARY KEY,
    instance_id TEXT    NOT NULL REFERENCES instances (id),
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX contact_flows_instance ON contact_flows (instance_id);

CREATE TABLE contacts (
    id                          TEXT    PRIMARY KEY,
    instance_id                 TEXT    NOT NULL REFERENCES instances (id),
    initial_contact_id          TEXT    NOT NULL,
    previous_contact_id         TEXT    NOT NULL,
    related_contact_id          TEXT    NOT NULL,
    continued_from_id           TEXT    NOT NULL,
    channel                     TEXT    NOT NULL,
    initiation_method           TEXT    NOT NULL,
    flow_id                     TEXT    NOT NULL,
    state                       TEXT    NOT NULL,
    attributes                  TEXT    NOT NULL,
    segment_attributes          TEXT    NOT NULL,
    customer_id                 TEXT    NOT NULL,
    supported_content_types     TEXT    NOT NULL,
    disconnect_on_customer_exit TEXT    NOT NULL,
    participant_timers          TEXT    NOT NULL,
    chat_duration_ns            INTEGER NOT NULL,
    initiated_at                INTEGER NOT NULL,
    last_updated_at             INTEGER NOT NULL,
    disconnected_at             INTEGER NOT NULL,
    disconnect_reason           TEXT    NOT NULL,
    last_seq                    INTEGER NOT NULL
);
CREATE INDEX contacts_instance ON contacts (instance_id);
-- HasContinuation; most contacts continue nothing, so index only those that do.
CREATE INDEX contacts_continued_from ON contacts (continued_from_id) WHERE continued_from_id <> '';

-- The implicit rowid keeps insertion order, which ListParticipants returns.
CREATE TABLE participants (
    id             TEXT    PRIMARY KEY,
    contact_id     TEXT    NOT NULL REFERENCES contacts (id),
    instance_id    TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    connected_at   INTEGER NOT NULL,
    left_at        INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL
);
CREATE INDEX participants_contact ON participants (contact_id);

CREATE TABLE tokens (
    hash           BLOB    PRIMARY KEY,
    kind           TEXT    NOT NULL,
    instance_id    TEXT    NOT NULL,
    contact_id     TEXT    NOT NULL,
    participant_id TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_participant ON tokens (participant_id);
CREATE INDEX tokens_expires ON tokens (expires_at);

-- A rowid table, not WITHOUT ROWID: message content can be large, and big
-- rows would bloat a clustered key's b-tree.
CREATE TABLE items (
    contact_id     TEXT    NOT NULL REFERENCES contacts (id),
    seq            INTEGER NOT NULL,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    content        TEXT    NOT NULL,
    participant_id TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    client_token   TEXT    NOT NULL,
    UNIQUE (contact_id, seq),
    UNIQUE (contact_id, id)
);

CREATE TABLE receipts (
    contact_id   TEXT    NOT NULL REFERENCES contacts (id),
    message_id   TEXT    NOT NULL,
    recipient_id TEXT    NOT NULL,
    delivered_at INTEGER NOT NULL,
    read_at      INTEGER NOT NULL,
    PRIMARY KEY (contact_id, message_id, recipient_id)
) WITHOUT ROWID;

CREATE TABLE idempotency (
    scope      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    result     BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_expires ON idempotency (expires_at);

-- ready_at is when the timer may next be claimed: its due time, or the end
-- of the current claim's lease. One index on it serves both ClaimTimers and
-- NextTimer.
CREATE TABLE timers (
    id            TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL,
    instance_id   TEXT    NOT NULL,
    contact_id    TEXT    NOT NULL,
    due           INTEGER NOT NULL,
    payload       TEXT    NOT NULL,
    claimed_by    TEXT    NOT NULL,
    claimed_until INTEGER NOT NULL,
    ready_at      INTEGER NOT NULL
);
CREATE INDEX timers_ready ON timers (ready_at);
CREATE INDEX timers_contact ON timers (contact_id);

-- +goose Down
DROP TABLE timers;
DROP TABLE idempotency;
DROP TABLE receipts;
DROP TABLE items;
DROP TABLE tokens;
DROP TABLE participants;
DROP TABLE contacts;
DROP TABLE contact_flows;
DROP TABLE routing_profiles;
DROP TABLE queues;
DROP TABLE access_keys;
DROP TABLE users;
DROP TABLE instances;
