-- The tables of 0003 refuse TRUNCATE as well, as the other append-only
-- tables do (TRUNCATE bypasses their row triggers); and the index that
-- RecordProbe's count of a cycle's rejected probes reads.
CREATE TRIGGER source_versions_no_truncate BEFORE TRUNCATE ON source_versions
    FOR EACH STATEMENT EXECUTE FUNCTION notifier_refuse('source versions are append-only');
CREATE TRIGGER lwa_probes_no_truncate BEFORE TRUNCATE ON lwa_probes
    FOR EACH STATEMENT EXECUTE FUNCTION notifier_refuse('probes are append-only');
CREATE TRIGGER rotation_requests_no_truncate BEFORE TRUNCATE ON rotation_requests
    FOR EACH STATEMENT EXECUTE FUNCTION notifier_refuse('rotation requests are append-only');
CREATE INDEX lwa_probes_rotation ON lwa_probes (rotation_id) WHERE outcome = 'rejected';
