-- +goose Up
-- A hidden participant (a supervisor monitoring silently) reads the chat
-- but nobody sees them join, leave or write.
ALTER TABLE participants ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE participants DROP COLUMN hidden;
