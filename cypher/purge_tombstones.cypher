// Remove tombstones older than $max_age_seconds, at most $limit per call.
MATCH (t)
WHERE (t:InstanceTombstone OR t:ServiceTombstone)
  AND t.recorded_at < datetime() - duration({seconds: $max_age_seconds})
WITH t LIMIT $limit
DELETE t
RETURN count(*) AS purged
