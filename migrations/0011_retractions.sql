-- Corrections, not edits: a mistaken rotation or acknowledgment is
-- retracted by a row here (who, why, when it happened, when notifier
-- recorded it); the retracted record stays, marked. Append-only.
CREATE TABLE retractions (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    kind          TEXT NOT NULL CHECK (kind IN ('rotation', 'acknowledgment')),
    target_id     INTEGER NOT NULL,   -- rotations.id or acknowledgments.id, as kind says
    retracted_at  TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason != ''),
    recorded_at   TEXT NOT NULL,
    UNIQUE (kind, target_id)
) STRICT;
CREATE TRIGGER retractions_no_update BEFORE UPDATE ON retractions
BEGIN SELECT RAISE(ABORT, 'retractions are append-only'); END;
CREATE TRIGGER retractions_no_delete BEFORE DELETE ON retractions
BEGIN SELECT RAISE(ABORT, 'retractions are append-only'); END;

-- audit_rotations gains, at the end, the retraction of a retracted
-- rotation (NULL for the others).
DROP VIEW audit_rotations;
CREATE VIEW audit_rotations AS
SELECT r.id            AS rotation_id,
       r.credential_id AS credential_id,
       c.name          AS credential_name,
       c.owner         AS owner,
       r.rotated_at    AS rotated_at,
       r.source        AS source,
       r.actor         AS actor,
       r.note          AS note,
       r.recorded_at   AS recorded_at,
       x.retracted_at  AS retracted_at,
       x.id            AS retraction_id
FROM rotations r JOIN credentials c ON c.id = r.credential_id
LEFT JOIN retractions x ON x.kind = 'rotation' AND x.target_id = r.id;

-- Every retraction.
CREATE VIEW audit_retractions AS
SELECT x.id            AS retraction_id,
       x.credential_id AS credential_id,
       x.kind          AS kind,
       x.target_id     AS target_id,
       x.retracted_at  AS retracted_at,
       x.actor         AS actor,
       x.reason        AS reason,
       x.recorded_at   AS recorded_at
FROM retractions x;

-- audit_cycles, as migration 0010 defines it (each cycle judged by its own
-- terms), but a retracted rotation
-- neither starts nor closes a cycle and a retracted acknowledgment is not
-- the first: the cycles `notifier report` shows.
DROP VIEW audit_cycles;
CREATE VIEW audit_cycles AS
WITH cyc AS (
    SELECT r.id, r.credential_id, r.rotated_at, r.source, r.actor,
           LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
    FROM rotations r
    WHERE NOT EXISTS (SELECT 1 FROM retractions x WHERE x.kind = 'rotation' AND x.target_id = r.id)
), terms AS (
    SELECT t.rotation_id, t.deadline, t.policy, t.rotation_period, t.source
    FROM cycle_terms t
    WHERE t.id = (SELECT MAX(t2.id) FROM cycle_terms t2 WHERE t2.rotation_id = t.rotation_id)
), judged AS (
    SELECT cyc.id AS rotation_id, cyc.credential_id, c.name, c.owner, c.active, cyc.rotated_at,
           t.rotation_period, t.deadline, t.policy, t.source AS deadline_source,
           n.rotated_at AS closed_at, n.actor AS rotated_by, n.source AS rotation_source,
           strftime('%Y-%m-%dT%H:%M:%SZ', 'now') AS judged_at
    FROM cyc JOIN credentials c ON c.id = cyc.credential_id
    LEFT JOIN terms t ON t.rotation_id = cyc.id
    LEFT JOIN rotations n ON n.id = cyc.next_id
)
SELECT rotation_id, credential_id, name, owner, active, rotated_at, rotation_period, deadline,
       closed_at, rotated_by, rotation_source,
       CASE WHEN closed_at IS NOT NULL AND closed_at < deadline THEN 'on_time'
            WHEN closed_at IS NOT NULL THEN 'late'
            WHEN judged_at < deadline THEN 'open'
            ELSE 'overdue' END AS outcome,
       CASE WHEN COALESCE(closed_at, judged_at) < deadline THEN 0
            ELSE max(1, (CAST(strftime('%s', COALESCE(closed_at, judged_at)) AS INTEGER)
                         - CAST(strftime('%s', deadline) AS INTEGER) + 86399) / 86400) END AS days_late,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'sent') AS reminders_sent,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'failed') AS reminders_failed,
       (SELECT MIN(a.acked_at) FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id AND NOT EXISTS (SELECT 1 FROM retractions x WHERE x.kind = 'acknowledgment' AND x.target_id = a.id)) AS first_acked_at,
       (SELECT a.actor FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id AND NOT EXISTS (SELECT 1 FROM retractions x WHERE x.kind = 'acknowledgment' AND x.target_id = a.id) ORDER BY a.acked_at, a.id LIMIT 1) AS first_acked_by,
       policy, deadline_source
FROM judged;
