-- The console's fleet page and `status --owner` of one owner, as
-- SQLite's migration 0035: the owner's credentials in id order, by index.
CREATE INDEX credentials_owner ON credentials (owner, id);
