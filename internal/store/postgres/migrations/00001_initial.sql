-- Initial schema of the PostgreSQL store. Every table lives in the
-- connection's current schema (search_path), so one database can hold
-- several isolated Parley deployments or test runs.
--
-- Conventions: a zero time.Time is stored as NULL where it means "not
-- yet" (expiries and due times are NOT NULL); nil maps and lists are
-- stored as NULL so that nil and empty survive a round trip; optional
-- strings are NOT NULL DEFAULT '' because the records use "" for absent.

-- +goose Up

CREATE TABLE instances (
    -- ord breaks ties between instances created in the same microsecond,
    -- so "oldest first" is stable.
    ord        bigint GENERATED ALWAYS AS IDENTITY,
    id         text PRIMARY KEY,
    alias      text NOT NULL DEFAULT '',
    region     text NOT NULL DEFAULT '',
    created_at timestamptz
);
CREATE INDEX instances_created_idx ON instances (created_at, ord);

CREATE TABLE users (
    id            text PRIMARY KEY,
    instance_id   text NOT NULL REFERENCES instances (id),
    username      text NOT NULL,
    password_hash text NOT NULL DEFAULT '',
    created_at    timestamptz,
    UNIQUE (instance_id, username)
);

CREATE TABLE access_keys (
    id          text PRIMARY KEY,
    instance_id text NOT NULL REFERENCES instances (id),
    secret      text NOT NULL,
    created_at  timestamptz
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

CREATE TABLE contact_flows (
    id          text PRIMARY KEY,
    instance_id text NOT NULL REFERENCES instances (id),
    name        text NOT NULL DEFAULT '',
    type        text NOT NULL DEFAULT '',
    content     text NOT NULL DEFAULT '',
    created_at  timestamptz
);

CREATE TABLE contacts (
    id                          text PRIMARY KEY,
    instance_id                 text NOT NULL REFERENCES instances (id),
    initial_contact_id          text NOT NULL DEFAULT '',
    previous_contact_id         text NOT NULL DEFAULT '',
    related_contact_id          text NOT NULL DEFAULT '',
    continued_from_id           text NOT NULL DEFAULT '',
    channel                     text NOT NULL DEFAULT '',
    initiation_method           text NOT NULL DEFAULT '',
    flow_id                     text NOT NULL DEFAULT '',
    state                       text NOT NULL DEFAULT '',
    attributes                  jsonb,
    segment_attributes          text NOT NULL DEFAULT '',
    customer_id                 text NOT NULL DEFAULT '',
    supported_content_types     text[],
    disconnect_on_customer_exit text[],
    participant_timers          text NOT NULL DEFAULT '',
    chat_duration_ns            bigint NOT NULL DEFAULT 0,
    initiated_at                timestamptz,
    last_updated_at             timestamptz,
    disconnected_at             timestamptz,
    disconnect_reason           text NOT NULL DEFAULT '',
    -- last_seq is bumped by every appended item under the row lock, which
    -- is what makes item sequences gap-free per contact.
    last_seq                    bigint NOT NULL DEFAULT 0
);
CREATE INDEX contacts_instance_idx ON contacts (instance_id);
-- HasContinuation's access path; most contacts continue nothing.
CREATE INDEX contacts_continued_from_idx ON contacts (continued_from_id)
    WHERE continued_from_id <> '';

CREATE TABLE participants (
    -- ord keeps "the order they were added" exact even when CreatedAt ties.
    ord            bigint GENERATED ALWAYS AS IDENTITY,
    id             text PRIMARY KEY,
    contact_id     text NOT NULL REFERENCES contacts (id),
    instance_id    text NOT NULL,
    role           text NOT NULL DEFAULT '',
    display_name   text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT '',
    created_at     timestamptz,
    connected_at   timestamptz,
    left_at        timestamptz,
    last_active_at timestamptz
);
CREATE INDEX participants_contact_idx ON participants (contact_id, ord);

CREATE TABLE tokens (
    hash           bytea PRIMARY KEY,
    kind           text NOT NULL DEFAULT '',
    instance_id    text NOT NULL DEFAULT '',
    contact_id     text NOT NULL DEFAULT '',
    participant_id text NOT NULL DEFAULT '',
    -- Expiry columns are NOT NULL: a zero expiry is stored as year 1 and
    -- so counts as long expired, never as "no expiry".
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz
);
CREATE INDEX tokens_participant_idx ON tokens (participant_id);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE items (
    contact_id     text NOT NULL REFERENCES contacts (id),
    seq            bigint NOT NULL,
    id             text NOT NULL,
    type           text NOT NULL DEFAULT '',
    content_type   text NOT NULL DEFAULT '',
    content        text NOT NULL DEFAULT '',
    participant_id text NOT NULL DEFAULT '',
    display_name   text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT '',
    created_at     timestamptz,
    client_token   text NOT NULL DEFAULT '',
    PRIMARY KEY (contact_id, seq),
    UNIQUE (contact_id, id)
);

CREATE TABLE receipts (
    contact_id   text NOT NULL REFERENCES contacts (id),
    message_id   text NOT NULL,
    recipient_id text NOT NULL,
    delivered_at timestamptz,
    read_at      timestamptz,
    PRIMARY KEY (contact_id, message_id, recipient_id)
);

CREATE TABLE idempotency (
    scope      text NOT NULL,
    key        text NOT NULL,
    result     bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
-- For a future sweeper of expired results.
CREATE INDEX idempotency_expires_idx ON idempotency (expires_at);

CREATE TABLE timers (
    id          text PRIMARY KEY,
    kind        text NOT NULL DEFAULT '',
    instance_id text NOT NULL DEFAULT '',
    contact_id  text NOT NULL DEFAULT '',
    due         timestamptz NOT NULL,
    payload     text NOT NULL DEFAULT '',
    -- A claim is a lease: claimed_until in the past means the claimer died
    -- or stalled, and the timer is up for grabs again.
    claimed_by    text NOT NULL DEFAULT '',
    claimed_until timestamptz,
    -- ready_at is when the timer may next be claimed: its due time, or
    -- the end of the current lease. One index on it serves both
    -- ClaimTimers and NextTimer, and a claimed timer does not make the
    -- scheduler wake up before its lease can lapse.
    ready_at      timestamptz NOT NULL
);
CREATE INDEX timers_ready_idx ON timers (ready_at);
CREATE INDEX timers_contact_idx ON timers (contact_id);

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
