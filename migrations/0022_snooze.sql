-- A snooze is an acknowledgment with an end: snoozed_until is when it
-- ends (the ladder resumes then); NULL for a plain acknowledgment, which
-- lasts the whole cycle, and for every row written before this migration.
ALTER TABLE acknowledgments ADD COLUMN snoozed_until TEXT;

-- The audit view gets the end as a new last column.
DROP VIEW audit_acknowledgments;
CREATE VIEW audit_acknowledgments AS
SELECT a.id            AS ack_id,
       a.rotation_id   AS rotation_id,
       a.credential_id AS credential_id,
       a.acked_at      AS acked_at,
       a.actor         AS actor,
       a.source        AS source,
       a.note          AS note,
       a.delivery_id   AS delivery_id,
       a.recorded_at   AS recorded_at,
       a.snoozed_until AS snoozed_until
FROM acknowledgments a;
