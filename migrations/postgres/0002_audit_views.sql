-- The auditors' views, as SQLite's migration 0004: stable names and
-- columns over the tables, for psql and BI tools (the README's "For
-- auditors" documents every column). Times are timestamptz here.

CREATE VIEW audit_rotations AS
SELECT r.id AS rotation_id, r.credential_id, c.name AS credential_name, c.owner, r.rotated_at, r.source, r.actor, r.note, r.recorded_at
FROM rotations r JOIN credentials c ON c.id = r.credential_id;

CREATE VIEW audit_acknowledgments AS
SELECT a.id AS ack_id, a.rotation_id, a.credential_id, a.acked_at, a.actor, a.source, a.note, a.delivery_id
FROM acknowledgments a;

CREATE VIEW audit_deliveries AS
SELECT d.id AS delivery_id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.status, d.due_at, d.sent_at,
       d.attempts, d.last_error, d.created_at
FROM deliveries d;

CREATE VIEW audit_events AS
SELECT e.id AS event_id, e.time, e.type, e.credential_id, e.rotation_id, e.delivery_id, e.stage, e.channel, e.status, e.actor, e.detail,
       COALESCE(encode(e.hash, 'hex'), '') AS hash  -- the chain: '' for none
FROM events e;

-- One row per cycle, as on SQLite: the deadline is the explicit
-- expires_at for the cycle the config records, else rotated_at plus the
-- rotation period as stored ("180d", "36h0m0s", "1d12h0m0s"), counting
-- days of 24 hours in UTC; outcome and days_late are judged at the moment
-- of the query.
CREATE VIEW audit_cycles AS
WITH cyc AS (
    SELECT r.id, r.credential_id, r.rotated_at, r.source, r.actor,
           LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
    FROM rotations r
), span AS (
    SELECT id,
           COALESCE((regexp_match(rotation_period, '^(\d+)d'))[1]::bigint, 0) AS days,
           COALESCE((regexp_match(rotation_period, '(\d+)h'))[1]::bigint, 0) * 3600
           + COALESCE((regexp_match(rotation_period, '(\d+)m(?!s)'))[1]::bigint, 0) * 60
           + COALESCE(floor((regexp_match(rotation_period, '(?:^|[hmd])([\d.]+)s$'))[1]::numeric)::bigint, 0) AS clock_seconds
    FROM credentials
), judged AS (
    SELECT cyc.id AS rotation_id, cyc.credential_id, c.name, c.owner, c.active, cyc.rotated_at, c.rotation_period,
           CASE WHEN c.expires_at IS NOT NULL AND cyc.rotated_at = c.config_rotated_at THEN c.expires_at
                ELSE cyc.rotated_at + make_interval(days => span.days::int) + make_interval(secs => span.clock_seconds)
           END AS deadline,
           n.rotated_at AS closed_at, n.actor AS rotated_by, n.source AS rotation_source,
           date_trunc('second', now()) AS judged_at
    FROM cyc JOIN credentials c ON c.id = cyc.credential_id
    JOIN span ON span.id = cyc.credential_id
    LEFT JOIN rotations n ON n.id = cyc.next_id
)
SELECT rotation_id, credential_id, name, owner, active, rotated_at, rotation_period, deadline,
       closed_at, rotated_by, rotation_source,
       CASE WHEN closed_at IS NOT NULL AND closed_at < deadline THEN 'on_time'
            WHEN closed_at IS NOT NULL THEN 'late'
            WHEN judged_at < deadline THEN 'open'
            ELSE 'overdue' END AS outcome,
       CASE WHEN COALESCE(closed_at, judged_at) < deadline THEN 0
            ELSE greatest(1, (extract(epoch FROM COALESCE(closed_at, judged_at))::bigint - extract(epoch FROM deadline)::bigint + 86399) / 86400) END AS days_late,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'sent') AS reminders_sent,
       (SELECT COUNT(*) FROM deliveries d WHERE d.rotation_id = judged.rotation_id AND d.status = 'failed') AS reminders_failed,
       (SELECT MIN(a.acked_at) FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id) AS first_acked_at,
       (SELECT a.actor FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id ORDER BY a.acked_at, a.id LIMIT 1) AS first_acked_by
FROM judged;
