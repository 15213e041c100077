-- +goose Up
-- A hidden participant (a supervisor monitoring silently) reads the chat
-- but nobody sees them join, leave or write.
ALTER TABLE participants ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE participants DROP COLUMN hidden;
