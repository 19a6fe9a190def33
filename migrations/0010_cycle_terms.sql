-- A cycle keeps its terms: the deadline, the policy, the rotation period
-- and the time zone in force, fixed when the cycle starts (source
-- 'policy': the config's terms at that moment) and changed only by an
-- appended row (source 'config': a config change while the cycle was
-- open). The latest row of a cycle is in force; the earlier ones are its
-- history, each with when notifier recorded it. Closed cycles get no new
-- rows: a later config never judges them again.
--
-- The cycles that existed before this migration take the terms in force
-- at the migration (source 'migration'): the credential's rotation
-- period, explicit expires_at and policy as last synced, the deadline as
-- audit_cycles computed it then (days of 24 hours in UTC).
CREATE TABLE cycle_terms (
    id              INTEGER PRIMARY KEY,
    rotation_id     INTEGER NOT NULL REFERENCES rotations(id),
    deadline        TEXT NOT NULL,
    policy          TEXT NOT NULL,
    rotation_period TEXT NOT NULL,
    zone            TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('policy', 'config', 'migration')),
    recorded_at     TEXT NOT NULL
) STRICT;
CREATE INDEX cycle_terms_rotation ON cycle_terms (rotation_id, id);

CREATE TRIGGER cycle_terms_no_update BEFORE UPDATE ON cycle_terms
BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END;
CREATE TRIGGER cycle_terms_no_delete BEFORE DELETE ON cycle_terms
BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END;

INSERT INTO cycle_terms (rotation_id, deadline, policy, rotation_period, zone, source, recorded_at)
SELECT v.rotation_id, v.deadline, c.policy, c.rotation_period,
       COALESCE((SELECT s.value FROM sync_state s WHERE s.key = 'timezone'), 'UTC'),
       'migration', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM audit_cycles v JOIN credentials c ON c.id = v.credential_id
WHERE v.deadline IS NOT NULL -- a period too large to add: the credential's config still applies
ORDER BY v.rotation_id;

-- audit_cycles now reads each cycle's terms in force (its latest
-- cycle_terms row) instead of the credential's current config: a closed
-- cycle's deadline, outcome and days_late never change. Same columns,
-- then the cycle's policy and where its deadline came from.
DROP VIEW audit_cycles;
CREATE VIEW audit_cycles AS
WITH cyc AS (
    SELECT r.id, r.credential_id, r.rotated_at, r.source, r.actor,
           LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
    FROM rotations r
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
       (SELECT MIN(a.acked_at) FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id) AS first_acked_at,
       (SELECT a.actor FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id ORDER BY a.acked_at, a.id LIMIT 1) AS first_acked_by,
       policy, deadline_source
FROM judged;
