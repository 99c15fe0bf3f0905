// A nova-compute service was deleted: its compute nodes go, and so do the
// instances placed there (nova refuses to delete a service that still
// hosts instances, so any left are stale records).
// The ServiceTombstone {hostname, version} voids every fact about the host
// older than the deletion, whatever order they arrive in:
// - compute nodes of the host not seen since (seen_version) are deleted;
// - instances whose placement there predates it lose their edge, and are
//   marked `gone` (left out of the export, purged with the tombstone) when
//   nothing newer is known about them; an instance.* event newer than the
//   deletion brings them back.
// Runs after service_delete_lock (tombstone recorded, host's nodes and
// instances locked).
// $rows: [{host, version}]
UNWIND $rows AS row
MATCH (st:ServiceTombstone {hostname: row.host})
CALL (row, st) {
  MATCH (i:Instance {host: row.host})
  WHERE coalesce(i.placement_version, '') < st.version
  SET i.gone = CASE WHEN coalesce(i.version, '') < st.version THEN true ELSE null END
  WITH i
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
CALL (row, st) {
  MATCH (c:ComputeNode {hostname: row.host})
  WHERE coalesce(c.seen_version, '') < st.version
  DETACH DELETE c
}
