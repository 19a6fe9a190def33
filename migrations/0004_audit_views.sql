-- The auditors' views: stable names and columns over the tables, for
-- sqlite3 and BI tools. The tables may change shape in later versions;
-- these views keep their columns (new ones may be added at the end).
-- Every time is UTC RFC 3339 text. The README's "For auditors" section
-- documents every column.

-- Every recorded rotation.
CREATE VIEW audit_rotations AS
SELECT r.id            AS rotation_id,
       r.credential_id AS credential_id,
       c.name          AS credential_name,
       c.owner         AS owner,
       r.rotated_at    AS rotated_at,
       r.source        AS source,
       r.actor         AS actor,
       r.note          AS note,
       r.recorded_at   AS recorded_at
FROM rotations r JOIN credentials c ON c.id = r.credential_id;

-- Every acknowledgment.
CREATE VIEW audit_acknowledgments AS
SELECT a.id            AS ack_id,
       a.rotation_id   AS rotation_id,
       a.credential_id AS credential_id,
       a.acked_at      AS acked_at,
       a.actor         AS actor,
       a.source        AS source,
       a.note          AS note,
       a.delivery_id   AS delivery_id
FROM acknowledgments a;

-- Every reminder of every cycle, one row per stage, repeat and channel,
-- with its final (or current) state; the attempts are in audit_events.
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
       d.created_at    AS created_at
FROM deliveries d;

-- The history, every line.
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
       lower(hex(e.hash)) AS hash  -- the chain (migration 3): '' before it started
FROM events e;

-- One row per cycle: a rotation and the next rotation of the same
-- credential, which closed it. The deadline is the explicit expires_at for
-- the cycle the config records, else rotated_at plus the rotation period
-- (as stored: "180d", "36h0m0s", "1d12h0m0s"), counting days of 24 hours
-- in UTC; `notifier report` counts calendar days in the configured time
-- zone, so in a zone with daylight saving time the two can differ by the
-- change of offset (an hour). outcome and days_late are judged at the
-- moment of the query; `notifier report --at` judges at any moment.
CREATE VIEW audit_cycles AS
WITH cyc AS (
    SELECT r.id, r.credential_id, r.rotated_at, r.source, r.actor,
           LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
    FROM rotations r
), span AS (
    SELECT id, rotation_period, expires_at, config_rotated_at,
           CASE WHEN instr(rotation_period, 'd') > 0
                THEN CAST(substr(rotation_period, 1, instr(rotation_period, 'd') - 1) AS INTEGER) ELSE 0 END AS days,
           substr(rotation_period, instr(rotation_period, 'd') + 1) AS clock
    FROM credentials
), hms AS (
    SELECT id, days,
           CASE WHEN instr(clock, 'h') > 0 THEN CAST(substr(clock, 1, instr(clock, 'h') - 1) AS INTEGER) ELSE 0 END AS h,
           CASE WHEN instr(clock, 'h') > 0 THEN substr(clock, instr(clock, 'h') + 1) ELSE clock END AS ms
    FROM span
), secs AS (
    SELECT id, days,
           h * 3600
           + CASE WHEN instr(ms, 'm') > 0 AND substr(ms, instr(ms, 'm') + 1, 1) != 's'
                  THEN CAST(substr(ms, 1, instr(ms, 'm') - 1) AS INTEGER) * 60 ELSE 0 END
           + CASE WHEN instr(ms, 'm') > 0 AND substr(ms, instr(ms, 'm') + 1, 1) != 's'
                  THEN CAST(CAST(rtrim(substr(ms, instr(ms, 'm') + 1), 's') AS REAL) AS INTEGER)
                  WHEN ms LIKE '%ms' OR ms LIKE '%µs' OR ms LIKE '%us' OR ms LIKE '%ns' THEN 0
                  ELSE CAST(CAST(rtrim(ms, 's') AS REAL) AS INTEGER) END AS clock_seconds
    FROM hms
), judged AS (
    SELECT cyc.id AS rotation_id, cyc.credential_id, c.name, c.owner, c.active, cyc.rotated_at, c.rotation_period,
           CASE WHEN c.expires_at IS NOT NULL AND cyc.rotated_at = c.config_rotated_at THEN c.expires_at
                ELSE strftime('%Y-%m-%dT%H:%M:%SZ', cyc.rotated_at, '+' || secs.days || ' days', '+' || secs.clock_seconds || ' seconds')
           END AS deadline,
           n.rotated_at AS closed_at, n.actor AS rotated_by, n.source AS rotation_source,
           strftime('%Y-%m-%dT%H:%M:%SZ', 'now') AS judged_at
    FROM cyc JOIN credentials c ON c.id = cyc.credential_id
    JOIN secs ON secs.id = cyc.credential_id
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
       (SELECT a.actor FROM acknowledgments a WHERE a.rotation_id = judged.rotation_id ORDER BY a.acked_at, a.id LIMIT 1) AS first_acked_by
FROM judged;

-- notifier report reads the acknowledgments by credential, beside the
-- cycles and the events (events_credential), without sorting them.
CREATE INDEX acknowledgments_credential ON acknowledgments (credential_id, acked_at);
