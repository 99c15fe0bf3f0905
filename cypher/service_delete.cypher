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
// Runs after service_delete_lock (tombstone recorded).
// Lock, then re-read: each candidate is write-locked first and its host and
// versions are read again, through a fresh lookup by key, only after the
// lock is held. Why: service_delete_lock can only lock what was committed
// when it ran; an instance committed on the host after that (a placement
// older than the tombstone, once the tombstone of an earlier delivery of
// this service.delete exists) is first seen here, unlocked, and a move
// away from the host could commit between that read and the write. Acting
// on the values read before the lock then marked a migrated instance
// `gone` and deleted its new edge (READ COMMITTED: the lock does not
// re-validate the read; the fresh lookup does).
// $rows: [{host, version}]
UNWIND $rows AS row
MATCH (st:ServiceTombstone {hostname: row.host})
CALL (row, st) {
  MATCH (candidate:Instance {host: row.host})
  SET candidate._lock = true REMOVE candidate._lock
  WITH candidate.uuid AS uuid
  MATCH (i:Instance {uuid: uuid})
  USING INDEX i:Instance(uuid)
  WHERE i.host = row.host AND coalesce(i.placement_version, '') < st.version
  SET i.gone = CASE WHEN coalesce(i.version, '') < st.version THEN true ELSE null END
  WITH i
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
CALL (row, st) {
  MATCH (candidate:ComputeNode {hostname: row.host})
  SET candidate._lock = true REMOVE candidate._lock
  WITH candidate.hypervisor_hostname AS name
  MATCH (c:ComputeNode {hypervisor_hostname: name})
  USING INDEX c:ComputeNode(hypervisor_hostname)
  WHERE c.hostname = row.host AND coalesce(c.seen_version, '') < st.version
  DETACH DELETE c
}
