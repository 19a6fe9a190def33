-- The history in its order (time, then id) by one index: a view reads it
-- a page at a time from a (time, id) keyset, the events at a time after
-- an id and then the later times, each by this index (SQLite's
-- events_time holds the id after the time already: its rowid).
CREATE INDEX events_time_id ON events (time, id);
