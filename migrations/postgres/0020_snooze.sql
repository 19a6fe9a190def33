-- A snooze is an acknowledgment with an end, as SQLite's migration 0022:
-- snoozed_until is when it ends (the ladder resumes then); NULL for a
-- plain acknowledgment, which lasts the whole cycle, and for every row
-- written before this migration.
ALTER TABLE acknowledgments ADD COLUMN snoozed_until timestamptz;

-- The audit view gets the end as a new last column.
CREATE OR REPLACE VIEW audit_acknowledgments AS
SELECT a.id AS ack_id, a.rotation_id, a.credential_id, a.acked_at, a.actor, a.source, a.note, a.delivery_id, a.recorded_at,
       a.snoozed_until
FROM acknowledgments a;
