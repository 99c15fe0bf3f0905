CREATE INDEX service_tombstone_recorded_at IF NOT EXISTS FOR (t:ServiceTombstone) ON (t.recorded_at)
