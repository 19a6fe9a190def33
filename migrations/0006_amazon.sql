-- Amazon SP-API notifications: deadlines and rotations learned from Amazon.

-- rotations.source gains the sources that AWS and Amazon report: 'sp-api'
-- (an SP-API new-secret notification), and 'ssm' and 'secretsmanager' for
-- the Parameter Store and Secrets Manager sources to come, so that they
-- need no second rebuild. SQLite cannot alter a CHECK: the table is
-- rebuilt, in this migration's transaction. Credentials, deliveries and
-- acknowledgments refer to rotations(id); with foreign keys on, dropping
-- the table would count every referring row as a violation, so the checks
-- are deferred to the commit, by which time every row is back under the
-- same id (SQLite counts a violation repaired when the parent row is
-- inserted again). The append-only triggers go with the old table and are
-- created again; the table has no index but its UNIQUE key.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE rotations_0006 AS SELECT id, credential_id, rotated_at, source, actor, note, recorded_at FROM rotations;
DROP TRIGGER rotations_no_update;
DROP TRIGGER rotations_no_delete;
DROP TABLE rotations;
CREATE TABLE rotations (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    rotated_at    TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('config', 'cli', 'http', 'slack', 'sp-api', 'ssm', 'secretsmanager')),
    actor         TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL,
    UNIQUE (credential_id, rotated_at)
) STRICT;
INSERT INTO rotations (id, credential_id, rotated_at, source, actor, note, recorded_at)
    SELECT id, credential_id, rotated_at, source, actor, note, recorded_at FROM rotations_0006 ORDER BY id;
DROP TABLE rotations_0006;
CREATE TRIGGER rotations_no_update BEFORE UPDATE ON rotations
BEGIN SELECT RAISE(ABORT, 'rotations are append-only'); END;
CREATE TRIGGER rotations_no_delete BEFORE DELETE ON rotations
BEGIN SELECT RAISE(ABORT, 'rotations are append-only'); END;

-- The LWA client id of an SP-API credential (lwa.client_id in the config):
-- how a notification finds its credential. Not a secret.
ALTER TABLE credentials ADD COLUMN lwa_client_id TEXT;
CREATE INDEX credentials_lwa_client ON credentials (lwa_client_id) WHERE lwa_client_id IS NOT NULL;

-- A cycle's deadline as Amazon states it (an expiry or new-secret
-- notification), overriding the one the config implies. Append-only: the
-- latest row of a cycle wins, the earlier ones are its history.
CREATE TABLE cycle_deadlines (
    id           INTEGER PRIMARY KEY,
    rotation_id  INTEGER NOT NULL REFERENCES rotations(id),
    deadline     TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('sp-api')),
    reference    TEXT NOT NULL DEFAULT '',   -- the notification id
    recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX cycle_deadlines_rotation ON cycle_deadlines (rotation_id, id);

-- Every SP-API notification handled, once: a notification id seen again
-- (SQS delivers at least once) changes nothing. credential_id is NULL for
-- a client id no credential has. The new secret is never stored.
CREATE TABLE amazon_notifications (
    notification_id TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    credential_id   TEXT REFERENCES credentials(id),
    event_time      TEXT NOT NULL,
    received_at     TEXT NOT NULL
) STRICT;

CREATE TRIGGER cycle_deadlines_no_update BEFORE UPDATE ON cycle_deadlines
BEGIN SELECT RAISE(ABORT, 'cycle deadlines are append-only'); END;
CREATE TRIGGER cycle_deadlines_no_delete BEFORE DELETE ON cycle_deadlines
BEGIN SELECT RAISE(ABORT, 'cycle deadlines are append-only'); END;
CREATE TRIGGER amazon_notifications_no_update BEFORE UPDATE ON amazon_notifications
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;
CREATE TRIGGER amazon_notifications_no_delete BEFORE DELETE ON amazon_notifications
BEGIN SELECT RAISE(ABORT, 'notifications are append-only'); END;
