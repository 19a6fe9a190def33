-- Tamper evidence: every event from here on carries a hash over its
-- canonical content and the previous event's hash (see internal/chain and
-- the README's "Tamper evidence"), computed by the store as it appends.
-- Events written before this migration have no hash: the chain starts at
-- the next event, and `notifier verify` says how many earlier ones it does
-- not cover.
ALTER TABLE events ADD COLUMN hash BLOB;  -- 32 bytes; NULL before the chain

-- One row: where the chain starts, when it was added, and which audit key
-- (an HMAC of it, never the key) its rows are hashed with, NULL for none.
-- The first rotation, acknowledgment and delivery made since: each of them
-- has its event in the chain, which verify checks the tables against.
CREATE TABLE event_chain (
    start_id          INTEGER NOT NULL,
    started_at        TEXT NOT NULL,
    key_id            BLOB,
    first_rotation_id INTEGER NOT NULL,
    first_ack_id      INTEGER NOT NULL,
    first_delivery_id INTEGER NOT NULL
) STRICT;
INSERT INTO event_chain (start_id, started_at, first_rotation_id, first_ack_id, first_delivery_id)
    SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM events), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
        (SELECT COALESCE(MAX(id), 0) + 1 FROM rotations), (SELECT COALESCE(MAX(id), 0) + 1 FROM acknowledgments),
        (SELECT COALESCE(MAX(id), 0) + 1 FROM deliveries);
CREATE TRIGGER event_chain_no_delete BEFORE DELETE ON event_chain
BEGIN SELECT RAISE(ABORT, 'the event chain record is kept'); END;
-- Its key is set once, when a notifier with audit.key first appends.
CREATE TRIGGER event_chain_no_update BEFORE UPDATE ON event_chain
WHEN OLD.key_id IS NOT NULL OR NEW.start_id IS NOT OLD.start_id OR NEW.started_at IS NOT OLD.started_at
    OR NEW.first_rotation_id IS NOT OLD.first_rotation_id OR NEW.first_ack_id IS NOT OLD.first_ack_id
    OR NEW.first_delivery_id IS NOT OLD.first_delivery_id
BEGIN SELECT RAISE(ABORT, 'the event chain record is kept; only its key is set, once'); END;
