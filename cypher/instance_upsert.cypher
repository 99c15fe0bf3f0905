// Set instance attributes when the change is newer than what the graph holds.
// $rows: [{uuid, version, host, attrs}] -- one row per uuid (the writer reduces).
// Skipped when a tombstone forbids it: a hard delete always, a soft delete
// when not older than the change; and when the payload's host was deleted
// (service.delete) after the change was emitted.
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, t, st
WHERE (t IS NULL OR (NOT t.final AND row.version > t.version))
  AND (st IS NULL OR row.version > st.version)
MERGE (i:Instance {uuid: row.uuid})
WITH row, i, t
WHERE row.version > coalesce(i.version, '')
SET i += row.attrs, i.version = row.version, i.updated_at = datetime()
WITH t WHERE t IS NOT NULL
DELETE t
