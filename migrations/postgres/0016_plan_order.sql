-- As SQLite's migration 0018: the open cycles in the order `notifier
-- plan` reads them, by next action then id, so that a page is handed
-- over without sorting every credential that shares its last moment.
DROP INDEX credentials_next_action;
CREATE INDEX credentials_next_action ON credentials (next_action_at, id) WHERE active AND next_action_at IS NOT NULL;
