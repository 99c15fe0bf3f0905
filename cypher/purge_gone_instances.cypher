// Remove instances marked `gone` (their host's service was deleted after
// everything known about them) whose ServiceTombstone is older than
// $max_age_seconds: purge_tombstones is about to drop it, and without it
// the mark could no longer be re-derived. At most $limit per call.
MATCH (st:ServiceTombstone)
WHERE st.recorded_at < datetime() - duration({seconds: $max_age_seconds})
MATCH (i:Instance {host: st.hostname})
WHERE i.gone
WITH i LIMIT $limit
DETACH DELETE i
RETURN count(*) AS purged
