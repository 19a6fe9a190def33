-- Two times on every record, as SQLite's migration 0009: recorded_at is
-- when notifier recorded the row (its wall clock, never --at); NULL for
-- the rows written before this migration, which did not note it (a guess
-- would make a back-dated record look timely). An event's recorded_at is
-- hashed into the chain (canonical encoding version 2); events without it
-- keep verifying under version 1.
ALTER TABLE events ADD COLUMN recorded_at timestamptz;
ALTER TABLE acknowledgments ADD COLUMN recorded_at timestamptz;
-- When the delivery's outcome (sent, failed, skipped, superseded) was
-- recorded; NULL while it is pending.
ALTER TABLE deliveries ADD COLUMN recorded_at timestamptz;

-- The audit views get the recorded times as new last columns.
CREATE OR REPLACE VIEW audit_acknowledgments AS
SELECT a.id AS ack_id, a.rotation_id, a.credential_id, a.acked_at, a.actor, a.source, a.note, a.delivery_id, a.recorded_at
FROM acknowledgments a;

CREATE OR REPLACE VIEW audit_deliveries AS
SELECT d.id AS delivery_id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.status, d.due_at, d.sent_at,
       d.attempts, d.last_error, d.created_at, d.recorded_at
FROM deliveries d;

CREATE OR REPLACE VIEW audit_events AS
SELECT e.id AS event_id, e.time, e.type, e.credential_id, e.rotation_id, e.delivery_id, e.stage, e.channel, e.status, e.actor, e.detail,
       COALESCE(encode(e.hash, 'hex'), '') AS hash,  -- the chain: '' for none
       e.recorded_at
FROM events e;
