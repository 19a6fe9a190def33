-- As SQLite's migration 0030: the credentials of one owner in id order,
-- for the calendar feed's and the views' --owner filter.
CREATE INDEX credentials_owner ON credentials (owner, id);
