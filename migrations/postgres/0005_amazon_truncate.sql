-- The deadlines Amazon stated and its notifications refuse TRUNCATE as
-- well, as every other append-only table does (TRUNCATE bypasses their
-- row triggers).
CREATE TRIGGER cycle_deadlines_no_truncate BEFORE TRUNCATE ON cycle_deadlines
    FOR EACH STATEMENT EXECUTE FUNCTION notifier_refuse('cycle deadlines are append-only');
CREATE TRIGGER amazon_notifications_no_truncate BEFORE TRUNCATE ON amazon_notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifier_refuse('notifications are append-only');
