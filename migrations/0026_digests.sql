-- A channel's digest: one row per channel and scheduled moment, the
-- outbox that makes a digest sent once across ticks, processes and
-- restarts; claimed and retried as a delivery is.
CREATE TABLE digests (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL,
    scheduled_at     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    created_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    sent_at          TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    claimed_by       TEXT,
    claim_expires_at TEXT,
    UNIQUE (channel, scheduled_at)
) STRICT;
