// Resync cleanup: instances the complete poll did not list are deleted,
// unless a notification newer than the poll's start touched them (its
// version or placement_version >= the poll's): nova created or changed them
// after the listing began. A soft tombstone at the poll's version keeps a
// late, older notification from resurrecting them; a newer one may.
// $rows: [{uuid, version}] -- candidates the loader computed from a read
UNWIND $rows AS row
MATCH (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the versions read below are current
WITH row, i
WHERE coalesce(i.version, '') < row.version AND coalesce(i.placement_version, '') < row.version
MERGE (t:InstanceTombstone {uuid: row.uuid})
  ON CREATE SET t.version = row.version, t.final = false, t.recorded_at = datetime()
  ON MATCH SET t.version = CASE WHEN row.version > t.version THEN row.version ELSE t.version END,
               t.recorded_at = datetime()
WITH i
DETACH DELETE i
