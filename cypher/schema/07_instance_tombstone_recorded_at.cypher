CREATE INDEX instance_tombstone_recorded_at IF NOT EXISTS FOR (t:InstanceTombstone) ON (t.recorded_at)
