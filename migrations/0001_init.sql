-- notifier schema. Times are UTC RFC 3339 text ("2026-06-01T00:00:00Z"),
-- readable in sqlite3 and ordered correctly as text.

-- A credential as the config last described it. Never deleted: one removed
-- from the config becomes inactive, so its history survives.
CREATE TABLE credentials (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    owner             TEXT NOT NULL DEFAULT '',
    rotation_period   TEXT NOT NULL,          -- as a span: "180d"
    expires_at        TEXT,                   -- explicit deadline of the config's cycle
    policy            TEXT NOT NULL,
    config_rotated_at TEXT NOT NULL,          -- the rotated_at the config said at the last sync
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

-- Each rotation starts a cycle. Append-only.
CREATE TABLE rotations (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    rotated_at    TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('config', 'cli', 'http', 'slack')),
    actor         TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL,
    UNIQUE (credential_id, rotated_at)
) STRICT;

-- "Seen, on it" for one cycle. Append-only.
CREATE TABLE acknowledgments (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    rotation_id   INTEGER NOT NULL REFERENCES rotations(id),
    acked_at      TEXT NOT NULL,
    actor         TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL CHECK (source IN ('cli', 'http', 'slack', 'email')),
    delivery_id   INTEGER REFERENCES deliveries(id)
) STRICT;
CREATE INDEX acknowledgments_rotation ON acknowledgments (rotation_id, acked_at);

-- The outbox: one message of one stage (repeat seq) of one cycle to one
-- channel. The unique key makes a tick idempotent. Its status moves
-- pending -> sent | failed | superseded; skipped rows record stages that
-- were never due to go out (missed during downtime, or acknowledged).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    rotation_id     INTEGER NOT NULL REFERENCES rotations(id),
    credential_id   TEXT NOT NULL REFERENCES credentials(id),
    stage           TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'superseded')),
    due_at          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,                     -- set while pending
    sent_at         TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    UNIQUE (rotation_id, stage, channel, seq)
) STRICT;
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_credential ON deliveries (credential_id, status);

-- The history: every reminder sent, skipped or failed, every attempt,
-- rotation, acknowledgment and config change, in order. Append-only.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    type          TEXT NOT NULL,
    credential_id TEXT,
    rotation_id   INTEGER,
    delivery_id   INTEGER,
    stage         TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_time ON events (time);
CREATE INDEX events_credential ON events (credential_id, time);

CREATE TRIGGER rotations_no_update BEFORE UPDATE ON rotations
BEGIN SELECT RAISE(ABORT, 'rotations are append-only'); END;
CREATE TRIGGER rotations_no_delete BEFORE DELETE ON rotations
BEGIN SELECT RAISE(ABORT, 'rotations are append-only'); END;
CREATE TRIGGER acknowledgments_no_update BEFORE UPDATE ON acknowledgments
BEGIN SELECT RAISE(ABORT, 'acknowledgments are append-only'); END;
CREATE TRIGGER acknowledgments_no_delete BEFORE DELETE ON acknowledgments
BEGIN SELECT RAISE(ABORT, 'acknowledgments are append-only'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
-- A credential is retired, never deleted.
CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
BEGIN SELECT RAISE(ABORT, 'credentials are never deleted; they become inactive'); END;
