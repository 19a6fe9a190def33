-- A rotation's announcement is a delivery of its new cycle, not a
-- reminder: audit_cycles, as migration 0015 defines it, but
-- reminders_sent and reminders_failed leave out the stage 'announce'.
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
            ELSE (CAST(strftime('%s', COALESCE(closed_at, judged_at)) AS INTEGER)
                  - CAST(strftime('%s', deadline) AS INTEGER)) / 86400 END AS days_late,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'sent' AND d.stage <> 'announce') AS reminders_sent,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'failed' AND d.stage <> 'announce') AS reminders_failed,
       (SELECT MIN(a.acked_at) FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id AND NOT EXISTS (SELECT 1 FROM retractions x WHERE x.kind = 'acknowledgment' AND x.target_id = a.id)) AS first_acked_at,
       (SELECT a.actor FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id AND NOT EXISTS (SELECT 1 FROM retractions x WHERE x.kind = 'acknowledgment' AND x.target_id = a.id) ORDER BY a.acked_at, a.id LIMIT 1) AS first_acked_by,
       policy, deadline_source
FROM judged;
