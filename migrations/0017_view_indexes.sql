-- Indexes for the views at fleet scale (status streams, a page at a
-- time): a credential's pending rotation request is read by its id, and
-- whether some current cycle starts after a moment by the rotations'
-- time.
CREATE INDEX rotation_requests_credential ON rotation_requests (credential_id, rotation_id);
CREATE INDEX rotations_time ON rotations (rotated_at);
