-- +goose Up
-- An instance alias names one instance, as in Connect. Beyond that, the
-- unique index makes first-start bootstrap safe when several nodes start
-- at once on an empty database: only one "parley" instance can be created.
CREATE UNIQUE INDEX instances_alias_unique ON instances (alias) WHERE alias <> '';

-- +goose Down
DROP INDEX instances_alias_unique;
