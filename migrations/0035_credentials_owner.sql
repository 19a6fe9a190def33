-- The console's fleet page and `status --owner` of one owner: the
-- owner's credentials in id order from the page's cursor on, by index,
-- instead of the fleet read by id for the rows of a rare owner.
CREATE INDEX credentials_owner ON credentials (owner, id);
