-- The deadline of each credential's current cycle, beside the credential:
-- the latest cycle_terms row of the rotation credentials.rotation_id
-- points at (NULL for a cycle without terms: a cycle from before
-- migration 0010 whose period was too large to add). The console's fleet
-- sorted by deadline and its state filters (ok, due, overdue: deadline
-- ranges) read it by index. It is kept true by the triggers below, on
-- every write that changes a credential's current cycle (rotation_id:
-- a rotation recorded or retracted) or appends terms to it (a deadline
-- changed by the config or by Amazon), whichever path writes them.
ALTER TABLE credentials ADD COLUMN deadline TEXT;

UPDATE credentials SET deadline = (SELECT t.deadline FROM cycle_terms t
    WHERE t.rotation_id = credentials.rotation_id ORDER BY t.id DESC LIMIT 1)
WHERE rotation_id IS NOT NULL;

CREATE INDEX credentials_deadline ON credentials (deadline, id);
CREATE INDEX credentials_active_deadline ON credentials (deadline, id) WHERE active;
CREATE INDEX credentials_retired ON credentials (deadline, id) WHERE NOT active;
CREATE INDEX credentials_retired_id ON credentials (id) WHERE NOT active;
CREATE INDEX credentials_owner_deadline ON credentials (owner, deadline, id);

CREATE TRIGGER credentials_deadline_of_terms AFTER INSERT ON cycle_terms
BEGIN
    UPDATE credentials SET deadline = NEW.deadline
    WHERE id = (SELECT r.credential_id FROM rotations r WHERE r.id = NEW.rotation_id) AND rotation_id = NEW.rotation_id;
END;

CREATE TRIGGER credentials_deadline_of_cycle AFTER UPDATE OF rotation_id ON credentials
WHEN NEW.rotation_id IS NOT OLD.rotation_id
BEGIN
    UPDATE credentials SET deadline = (SELECT t.deadline FROM cycle_terms t
        WHERE t.rotation_id = NEW.rotation_id ORDER BY t.id DESC LIMIT 1)
    WHERE id = NEW.id;
END;

CREATE TRIGGER credentials_deadline_of_new AFTER INSERT ON credentials
WHEN NEW.rotation_id IS NOT NULL
BEGIN
    UPDATE credentials SET deadline = (SELECT t.deadline FROM cycle_terms t
        WHERE t.rotation_id = NEW.rotation_id ORDER BY t.id DESC LIMIT 1)
    WHERE id = NEW.id;
END;
