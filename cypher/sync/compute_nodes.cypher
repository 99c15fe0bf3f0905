// Resync: upsert compute nodes from the nova API (hypervisors + placement).
// Capacities and identity always apply (no notification carries them);
// the service status is not written here but by service_upsert (the one
// status rule), with the resync's ServiceUpsert rows at the poll's version. A node whose
// host has a ServiceTombstone newer than the poll is not brought back.
// Placeholders (by name or host-only with the same key) are completed:
// placeholder = false; other host-only placeholders are folded afterwards
// (GraphWriter.fold_placeholders). A stale node holding the same uuid under
// another name loses the uuid (unique) before this one takes it.
// $rows: [{uuid, hostname, hypervisor_hostname, vcpus, vcpu_reserved, vcpu_ratio,
//          memory_mb, memory_mb_reserved, memory_ratio, disk_gb, disk_gb_reserved,
//          disk_ratio, hypervisor_type, version, ...}] (the status fields of the
//          row are the drift's)
UNWIND $rows AS row
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.hostname})
WITH row, st
WHERE st IS NULL OR row.version > st.version
CALL (row) {
  MATCH (old:ComputeNode {uuid: row.uuid})
  WHERE old.hypervisor_hostname <> row.hypervisor_hostname
  REMOVE old.uuid
}
MERGE (c:ComputeNode {hypervisor_hostname: row.hypervisor_hostname})
  ON CREATE SET c.created_at = datetime()
SET c._lock = true REMOVE c._lock  // write lock first: the version read below is current
SET c.uuid = row.uuid, c.hostname = row.hostname,
    c.vcpus = row.vcpus, c.vcpu_reserved = row.vcpu_reserved, c.vcpu_ratio = row.vcpu_ratio,
    c.memory_mb = row.memory_mb, c.memory_mb_reserved = row.memory_mb_reserved,
    c.memory_ratio = row.memory_ratio,
    c.disk_gb = row.disk_gb, c.disk_gb_reserved = row.disk_gb_reserved,
    c.disk_ratio = row.disk_ratio, c.hypervisor_type = row.hypervisor_type,
    c.placeholder = false, c.host_only = false, c.synced_at = datetime(),
    c.seen_version = CASE WHEN row.version > coalesce(c.seen_version, '') THEN row.version
                          ELSE c.seen_version END
