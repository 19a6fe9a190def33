-- Amazon's stated deadline is a change of the cycle's terms: when an
-- SP-API notification states a deadline for the open cycle that differs
-- from the one in force, a cycle_terms row is appended with source
-- 'amazon' and, in the new column reference, the notification's id (''
-- for the other sources). cycle_deadlines stays what it was: the raw,
-- append-only record of every deadline Amazon stated, applied or not.
--
-- SQLite cannot alter a CHECK: the table is rebuilt, in this migration's
-- transaction, every row under its id. Nothing refers to cycle_terms by
-- a foreign key; audit_cycles reads it by name and is unchanged (its
-- deadline_source now says 'amazon' for such a cycle).
CREATE TEMP TABLE cycle_terms_0016 AS
    SELECT id, rotation_id, deadline, policy, rotation_period, zone, source, recorded_at FROM cycle_terms;
DROP TRIGGER cycle_terms_no_update;
DROP TRIGGER cycle_terms_no_delete;
DROP TABLE cycle_terms;
CREATE TABLE cycle_terms (
    id              INTEGER PRIMARY KEY,
    rotation_id     INTEGER NOT NULL REFERENCES rotations(id),
    deadline        TEXT NOT NULL,
    policy          TEXT NOT NULL,
    rotation_period TEXT NOT NULL,
    zone            TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('policy', 'config', 'migration', 'amazon')),
    recorded_at     TEXT NOT NULL,
    reference       TEXT NOT NULL DEFAULT ''   -- source 'amazon': the notification id
) STRICT;
INSERT INTO cycle_terms (id, rotation_id, deadline, policy, rotation_period, zone, source, recorded_at)
    SELECT id, rotation_id, deadline, policy, rotation_period, zone, source, recorded_at FROM cycle_terms_0016 ORDER BY id;
DROP TABLE cycle_terms_0016;
CREATE INDEX cycle_terms_rotation ON cycle_terms (rotation_id, id);
CREATE TRIGGER cycle_terms_no_update BEFORE UPDATE ON cycle_terms
BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END;
CREATE TRIGGER cycle_terms_no_delete BEFORE DELETE ON cycle_terms
BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END;

-- Before this migration a stated deadline overrode the terms without
-- changing them: the report and audit_cycles read the terms, status and
-- planning the statement. Each open cycle (a credential's current one)
-- whose latest statement differs from its terms in force gets a row
-- (source 'amazon') with that deadline, the other terms as in force, the
-- statement's reference, and the statement's recorded_at: the terms moved
-- when notifier recorded what Amazon said. No history event is added
-- here (the chain is appended by notifier only): the notification's own
-- event, "deadline A -> B, as Amazon states", is already in the history.
INSERT INTO cycle_terms (rotation_id, deadline, policy, rotation_period, zone, source, recorded_at, reference)
SELECT t.rotation_id, cd.deadline, t.policy, t.rotation_period, t.zone, 'amazon', cd.recorded_at, cd.reference
FROM credentials c
JOIN cycle_terms t ON t.rotation_id = c.rotation_id
    AND t.id = (SELECT MAX(t2.id) FROM cycle_terms t2 WHERE t2.rotation_id = c.rotation_id)
JOIN cycle_deadlines cd ON cd.rotation_id = c.rotation_id
    AND cd.id = (SELECT MAX(cd2.id) FROM cycle_deadlines cd2 WHERE cd2.rotation_id = c.rotation_id)
WHERE cd.deadline <> t.deadline
ORDER BY t.rotation_id;
