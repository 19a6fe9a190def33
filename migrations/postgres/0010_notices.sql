-- The admins' notices (events of type 'notice', one problem a stage):
-- the open problems are read by problem, not by scanning the history.
CREATE INDEX events_notice ON events (stage, id) WHERE type = 'notice';
