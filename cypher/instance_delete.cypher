// Delete instances and leave tombstones so that late, older events cannot
// resurrect them. A hard delete (final) always applies; a soft delete only
// when newer than everything the graph holds for the instance (nova's
// soft_delete, and the resync's cleanup of an instance the poll lacks).
// A final delete carrying the time and message id of what the instance
// already holds (writer.notification_key: the rank left out) is a repeated
// message id with other content: the first content won, it is ignored.
// $rows: [{uuid, version, final}]
UNWIND $rows AS row
OPTIONAL MATCH (i:Instance {uuid: row.uuid})
FOREACH (_ IN CASE WHEN i IS NULL THEN [] ELSE [1] END |
  SET i._lock = true REMOVE i._lock)  // write lock first: the versions read below are current
WITH row, i,
     CASE WHEN coalesce(i.version, '') > coalesce(i.placement_version, '')
          THEN coalesce(i.version, '') ELSE coalesce(i.placement_version, '') END AS held
WHERE (row.final AND left(row.version, 17) + substring(row.version, 19) <> left(held, 17) + substring(held, 19)) OR row.version > held
MERGE (t:InstanceTombstone {uuid: row.uuid})
  ON CREATE SET t.version = row.version, t.final = row.final, t.recorded_at = datetime()
  ON MATCH SET t.final = t.final OR row.final,
               t.version = CASE WHEN row.version > t.version THEN row.version ELSE t.version END,
               t.recorded_at = datetime()
WITH i
DETACH DELETE i
