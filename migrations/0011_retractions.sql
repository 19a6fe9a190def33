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
