// The instance runs nowhere (shelve-offloaded, not scheduled): drop its edge.
// $rows: [{uuid, version}]
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t
WHERE t IS NULL OR (NOT t.final AND row.version > t.version)
MERGE (i:Instance {uuid: row.uuid})
WITH row, i
WHERE row.version > coalesce(i.placement_version, '')
SET i.host = null, i.node = null, i.placement_version = row.version
WITH i
CALL (i) {
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
