-- Amazon's stated deadline is a change of the cycle's terms, as SQLite's
-- migration 0016: a cycle_terms row with source 'amazon' and, in the new
-- column reference, the notification's id ('' for the other sources).
-- cycle_deadlines stays the raw, append-only record of every deadline
-- Amazon stated.
ALTER TABLE cycle_terms DROP CONSTRAINT cycle_terms_source_check;
ALTER TABLE cycle_terms ADD CONSTRAINT cycle_terms_source_check CHECK (source IN ('policy', 'config', 'migration', 'amazon'));
ALTER TABLE cycle_terms ADD COLUMN reference text NOT NULL DEFAULT '';

-- Each open cycle whose latest statement differs from its terms in force
-- gets a row (source 'amazon') with that deadline, the other terms as in
-- force, the statement's reference and recorded_at. No history event is
-- added: the notification's own event is already in the history.
INSERT INTO cycle_terms (rotation_id, deadline, policy, rotation_period, zone, source, recorded_at, reference)
SELECT t.rotation_id, cd.deadline, t.policy, t.rotation_period, t.zone, 'amazon', cd.recorded_at, cd.reference
FROM credentials c
JOIN LATERAL (SELECT * FROM cycle_terms t2 WHERE t2.rotation_id = c.rotation_id ORDER BY t2.id DESC LIMIT 1) t ON true
JOIN LATERAL (SELECT * FROM cycle_deadlines cd2 WHERE cd2.rotation_id = c.rotation_id ORDER BY cd2.id DESC LIMIT 1) cd ON true
WHERE cd.deadline <> t.deadline
ORDER BY t.rotation_id;
