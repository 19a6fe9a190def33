-- As SQLite's migration 0031: the deadline of each credential's current
-- cycle (its latest cycle_terms row; NULL for a cycle without terms),
-- for the console's fleet sorted by deadline and its state filters,
-- kept true by triggers on every write that changes the current cycle
-- or appends terms to it.
ALTER TABLE credentials ADD COLUMN deadline TIMESTAMPTZ;

UPDATE credentials c SET deadline = (SELECT t.deadline FROM cycle_terms t
    WHERE t.rotation_id = c.rotation_id ORDER BY t.id DESC LIMIT 1)
WHERE c.rotation_id IS NOT NULL;

CREATE INDEX credentials_deadline ON credentials (deadline, id);
CREATE INDEX credentials_active_deadline ON credentials (deadline, id) WHERE active;
CREATE INDEX credentials_retired ON credentials (deadline, id) WHERE NOT active;
CREATE INDEX credentials_retired_id ON credentials (id) WHERE NOT active;
CREATE INDEX credentials_owner_deadline ON credentials (owner, deadline, id);

CREATE FUNCTION notifier_deadline_of_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rotation_id IS NULL THEN
        NEW.deadline := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.rotation_id IS DISTINCT FROM OLD.rotation_id THEN
        NEW.deadline := (SELECT t.deadline FROM cycle_terms t
            WHERE t.rotation_id = NEW.rotation_id ORDER BY t.id DESC LIMIT 1);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER credentials_deadline_of_cycle BEFORE INSERT OR UPDATE OF rotation_id ON credentials
    FOR EACH ROW EXECUTE FUNCTION notifier_deadline_of_cycle();

CREATE FUNCTION notifier_deadline_of_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE credentials SET deadline = NEW.deadline
    WHERE id = (SELECT r.credential_id FROM rotations r WHERE r.id = NEW.rotation_id) AND rotation_id = NEW.rotation_id;
    RETURN NULL;
END $$;
CREATE TRIGGER credentials_deadline_of_terms AFTER INSERT ON cycle_terms
    FOR EACH ROW EXECUTE FUNCTION notifier_deadline_of_terms();
