-- Two times on every record: when it happened (the event's time, the
-- rotation's rotated_at, the acknowledgment's acked_at, which a command's
-- --at may set in the past) and when notifier recorded it (the wall clock
-- of the process that wrote it, UTC at whole seconds, never --at).
--
-- Rows written before this migration get NULL: notifier did not note when
-- it recorded them, and a guess (their own time) would make a back-dated
-- record look like a timely one. NULL is how an auditor tells them apart.
-- (rotations.recorded_at existed already, NOT NULL: before this migration
-- it was the command's time, which --at could set; the rotation's event
-- in events, whose recorded_at is NULL, marks such a row.)
--
-- An event's recorded_at is hashed into the chain: an event with it is
-- encoded in version 2 of the canonical encoding, one without (NULL) in
-- version 1 (see internal/chain and the README's "Tamper evidence"), so
-- the chain written before this migration verifies as it did.
ALTER TABLE events ADD COLUMN recorded_at TEXT;
ALTER TABLE acknowledgments ADD COLUMN recorded_at TEXT;
-- When the delivery's outcome (sent, failed, skipped, superseded) was
-- recorded; NULL while it is pending.
ALTER TABLE deliveries ADD COLUMN recorded_at TEXT;

-- The audit views get the recorded times as new last columns.
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
       a.recorded_at   AS recorded_at
FROM acknowledgments a;

DROP VIEW audit_deliveries;
CREATE VIEW audit_deliveries AS
SELECT d.id            AS delivery_id,
       d.rotation_id   AS rotation_id,
       d.credential_id AS credential_id,
       d.stage         AS stage,
       d.seq           AS seq,
       d.channel       AS channel,
       d.status        AS status,
       d.due_at        AS due_at,
       d.sent_at       AS sent_at,
       d.attempts      AS attempts,
       d.last_error    AS last_error,
       d.created_at    AS created_at,
       d.recorded_at   AS recorded_at
FROM deliveries d;

DROP VIEW audit_events;
CREATE VIEW audit_events AS
SELECT e.id            AS event_id,
       e.time          AS time,
       e.type          AS type,
       e.credential_id AS credential_id,
       e.rotation_id   AS rotation_id,
       e.delivery_id   AS delivery_id,
       e.stage         AS stage,
       e.channel       AS channel,
       e.status        AS status,
       e.actor         AS actor,
       e.detail        AS detail,
       lower(hex(e.hash)) AS hash,  -- the chain (migration 3): '' before it started
       e.recorded_at   AS recorded_at
FROM events e;
