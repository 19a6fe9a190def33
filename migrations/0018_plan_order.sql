-- `notifier plan` reads the open cycles a page at a time in the order of
-- their next action, then id: an index in that whole order hands each
-- page over without sorting it. With next_action_at alone, SQLite read
-- and sorted every credential sharing a page's last moment (a fleet
-- synced at once shares few) to find where the next page starts.
DROP INDEX credentials_next_action;
CREATE INDEX credentials_next_action ON credentials (next_action_at, id) WHERE active = 1 AND next_action_at IS NOT NULL;
