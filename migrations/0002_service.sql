-- The long-running service: work proportional to what is due, incremental
-- config sync, claims and one sender.

-- Each credential's current cycle, the config file that defines it, and
-- when its cycle next needs planning (NULL: nothing to do until something
-- changes). A tick reads only the rows whose next action has come.
ALTER TABLE credentials ADD COLUMN file TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN rotation_id INTEGER REFERENCES rotations(id);
ALTER TABLE credentials ADD COLUMN next_action_at TEXT;
UPDATE credentials SET
    rotation_id = (SELECT r.id FROM rotations r WHERE r.credential_id = credentials.id ORDER BY r.rotated_at DESC, r.id DESC LIMIT 1),
    next_action_at = CASE WHEN active = 1 THEN '1970-01-01T00:00:00Z' END;
CREATE INDEX credentials_next_action ON credentials (next_action_at) WHERE active = 1 AND next_action_at IS NOT NULL;
CREATE INDEX credentials_file ON credentials (file, id) WHERE active = 1;

-- Each config file as last synced: an unchanged size and mtime means the
-- file is not read, an unchanged hash that it is not parsed.
CREATE TABLE config_files (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    mod_time  TEXT NOT NULL,
    hash      TEXT NOT NULL,
    synced_at TEXT NOT NULL
) STRICT;

-- What the last sync saw of settings that move deadlines or ladders: the
-- time zone ("timezone") and each policy's fingerprint ("policy:NAME"). A
-- change marks the credentials it touches for planning.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A delivery is claimed, in a committed transaction, before it is sent;
-- only its claimant records the outcome. A crashed claimant's claim
-- expires and the delivery is tried again.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claim_expires_at TEXT;
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_due ON deliveries (channel, next_attempt_at) WHERE status = 'pending';
-- A new reminder supersedes its cycle's older one still pending on the
-- channel: found without reading every pending delivery.
CREATE INDEX deliveries_pending_cycle ON deliveries (rotation_id, channel) WHERE status = 'pending';

-- One `notifier run` holds the lease and renews it; a second refuses or
-- stands by until it expires.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;
