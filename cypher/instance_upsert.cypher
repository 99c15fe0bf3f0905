// Set instance attributes when the change is newer than what the graph holds.
// $rows: [{uuid, version, attrs}] -- one row per uuid (the writer reduces).
// Skipped when a tombstone forbids it: a hard delete always, a soft delete
// when not older than the change (a newer change is a restore: the soft
// tombstone goes). Attributes do not depend on the host, so a deleted
// service does not block them; they only clear `gone` when newer than the
// deletion of the instance's last known host.
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t
WHERE t IS NULL OR (NOT t.final AND row.version > t.version)
MERGE (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the version read below is current
WITH row, i, t
WHERE row.version > coalesce(i.version, '')
SET i += row.attrs, i.version = row.version, i.updated_at = datetime()
WITH i, t
CALL (i) {
  WITH i WHERE i.gone
  OPTIONAL MATCH (st:ServiceTombstone {hostname: i.host})
  WITH i, st
  WHERE st IS NULL OR st.version < i.version
  SET i.gone = null
}
WITH t WHERE t IS NOT NULL
DELETE t
