-- The credentials of one owner in id order: the calendar feed's and the
-- views' --owner filter reads them through this index, not the fleet.
CREATE INDEX credentials_owner ON credentials (owner, id);
