-- Tamper evidence: every event from here on carries a hash over its
-- canonical content and the previous event's hash (see internal/chain and
-- the README's "Tamper evidence"), computed by the store as it appends.
-- Events written before this migration have no hash: the chain starts at
-- the next event, and `notifier verify` says how many earlier ones it does
-- not cover.
ALTER TABLE events ADD COLUMN hash BLOB;  -- 32 bytes; NULL before the chain

-- One row: where the chain starts, when it was added, and which audit key
-- (an HMAC of it, never the key) its rows are hashed with, NULL for none.
CREATE TABLE event_chain (
    start_id   INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    key_id     BLOB
) STRICT;
INSERT INTO event_chain (start_id, started_at)
    SELECT COALESCE(MAX(id), 0) + 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM events;
CREATE TRIGGER event_chain_no_delete BEFORE DELETE ON event_chain
BEGIN SELECT RAISE(ABORT, 'the event chain record is kept'); END;
-- Its key is set once, when a notifier with audit.key first appends.
CREATE TRIGGER event_chain_no_update BEFORE UPDATE ON event_chain
WHEN OLD.key_id IS NOT NULL OR NEW.start_id IS NOT OLD.start_id OR NEW.started_at IS NOT OLD.started_at
BEGIN SELECT RAISE(ABORT, 'the event chain record is kept; only its key is set, once'); END;
