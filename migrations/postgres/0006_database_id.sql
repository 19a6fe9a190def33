-- The database's id: random, made once when the database is created (or
-- first migrated), never changed. Ack links are signed over it, so that a
-- link issued by one database is refused by another, even one recreated
-- with the same ack_secret. notifier copy-db carries it: a copy is the
-- same database.
INSERT INTO sync_state (key, value) VALUES ('database_id', replace(gen_random_uuid()::text, '-', ''));
