-- +goose Up
-- The number of active chat contacts of each instance, kept in step by the
-- chat service, so a start can be refused over the instance's limit
-- without counting contacts.
ALTER TABLE instances ADD COLUMN active_chats INTEGER NOT NULL DEFAULT 0;
UPDATE instances SET active_chats =
    (SELECT COUNT(*) FROM contacts WHERE contacts.instance_id = instances.id AND contacts.state = 'ACTIVE');

-- +goose Down
ALTER TABLE instances DROP COLUMN active_chats;
