-- Indexes for the views at fleet scale, as SQLite's migration 0017: a
-- credential's pending rotation request is read by its id, and whether
-- some current cycle starts after a moment by the rotations' time.
CREATE INDEX rotation_requests_credential ON rotation_requests (credential_id, rotation_id);
CREATE INDEX rotations_time ON rotations (rotated_at);
