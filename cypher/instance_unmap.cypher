// The instance runs nowhere (shelve-offloaded, not scheduled): drop its edge.
// $rows: [{uuid, version}] -- one row per uuid (the writer reduces).
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t
WHERE t IS NULL OR (NOT t.final AND row.version > t.version)
MERGE (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the version read below is current
WITH row, i
WHERE row.version > coalesce(i.placement_version, '')
SET i.moved_at = CASE WHEN i.node IS NULL THEN i.moved_at ELSE datetime() END,
    i.previous_node = coalesce(i.node, i.previous_node)
SET i.host = null, i.node = null, i.placement_version = row.version, i.gone = null
WITH i
CALL (i) {
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
