-- Rotation dates read from AWS: a credential's source: (a Parameter Store
-- parameter or a Secrets Manager secret) and the versions seen of it.

-- Where AWS keeps the secret, as the config last said (source: and aws:);
-- NULL kind for none. None of it is a secret: names, a region, an
-- endpoint URL without credentials.
ALTER TABLE credentials ADD COLUMN source_kind TEXT CHECK (source_kind IN ('ssm', 'secretsmanager'));
ALTER TABLE credentials ADD COLUMN source_name TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN source_region TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN source_endpoint TEXT NOT NULL DEFAULT '';
CREATE INDEX credentials_source ON credentials (id) WHERE source_kind IS NOT NULL AND active = 1;

-- Every version of a source that a sync has seen, once: a version seen
-- again changes nothing, so each records at most one rotation. rotation_id
-- is the rotation it recorded, NULL when it was not newer than the latest
-- one. The value is never stored, nor any hash of it.
CREATE TABLE source_versions (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    source        TEXT NOT NULL CHECK (source IN ('ssm', 'secretsmanager')),
    source_name   TEXT NOT NULL,
    version       TEXT NOT NULL,
    version_at    TEXT NOT NULL,
    rotation_id   INTEGER REFERENCES rotations(id),
    recorded_at   TEXT NOT NULL,
    UNIQUE (credential_id, source, source_name, version)
) STRICT;

CREATE TRIGGER source_versions_no_update BEFORE UPDATE ON source_versions
BEGIN SELECT RAISE(ABORT, 'source versions are append-only'); END;
CREATE TRIGGER source_versions_no_delete BEFORE DELETE ON source_versions
BEGIN SELECT RAISE(ABORT, 'source versions are append-only'); END;

-- Every probe of an SP-API credential's client secret (its refresh token
-- exchanged at the LWA token endpoint): when, and what Amazon said. The
-- detail is redacted; no secret or token is stored.
CREATE TABLE lwa_probes (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    rotation_id   INTEGER NOT NULL REFERENCES rotations(id),
    probed_at     TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'rejected', 'failed')),
    detail        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX lwa_probes_credential ON lwa_probes (credential_id, probed_at);

CREATE TRIGGER lwa_probes_no_update BEFORE UPDATE ON lwa_probes
BEGIN SELECT RAISE(ABORT, 'probes are append-only'); END;
CREATE TRIGGER lwa_probes_no_delete BEFORE DELETE ON lwa_probes
BEGIN SELECT RAISE(ABORT, 'probes are append-only'); END;

-- Every request to Amazon to rotate an SP-API client secret (`notifier
-- rotate --via-amazon`): when, by whom, what Amazon answered (redacted),
-- and whether the rotation API itself was called, which its rate limit
-- (one call a minute per application) counts across restarts. The
-- rotation is recorded when the new-secret notification arrives.
CREATE TABLE rotation_requests (
    id            INTEGER PRIMARY KEY,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    rotation_id   INTEGER NOT NULL REFERENCES rotations(id),
    client_id     TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('requested', 'refused', 'failed')),
    called        INTEGER NOT NULL CHECK (called IN (0, 1)),
    actor         TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX rotation_requests_client ON rotation_requests (client_id, requested_at);

CREATE TRIGGER rotation_requests_no_update BEFORE UPDATE ON rotation_requests
BEGIN SELECT RAISE(ABORT, 'rotation requests are append-only'); END;
CREATE TRIGGER rotation_requests_no_delete BEFORE DELETE ON rotation_requests
BEGIN SELECT RAISE(ABORT, 'rotation requests are append-only'); END;
