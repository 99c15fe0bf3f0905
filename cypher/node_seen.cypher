// Compute nodes named by the batch's placements exist (as placeholders when
// new), whichever placement of an instance ends up winning: the batch keeps
// only each instance's newest move, but every move tells of a node.
// $rows: [{host, node, version, uuid}] -- node null = "the node of this host":
// a host-only placeholder (hypervisor_hostname = host) when the host has none;
// uuid: the instance whose move gave the row its version.
// seen_version (the newest event that showed the node alive) lets a
// service.delete tell stale nodes from nodes seen after it.
// Older than the host's service.delete (ServiceTombstone): ignored.
// A repeated message id with other content: when the instance already holds
// the placement of this very notification (same time and message id: the
// first content, committed) on another host or node, the row is that repeat
// and names no node (no phantom).
UNWIND $rows AS row
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, st
WHERE st IS NULL OR row.version > st.version
OPTIONAL MATCH (held:Instance {uuid: row.uuid})
WITH row, held, coalesce(held.placement_version, '') AS hv
// the notification key: time and message id, the causal rank left out
// (writer.notification_key says why)
WHERE held IS NULL
   OR left(hv, 17) + substring(hv, 19) <> left(row.version, 17) + substring(row.version, 19)
   OR (held.host = row.host AND (row.node IS NULL OR held.node = row.node))
CALL (row) {
  OPTIONAL MATCH (c:ComputeNode {hostname: row.host})
  RETURN count(c) AS known
}
WITH row
WHERE row.node IS NOT NULL OR known = 0
MERGE (c:ComputeNode {hypervisor_hostname: coalesce(row.node, row.host)})
  ON CREATE SET c.hostname = row.host, c.placeholder = true,
                c.host_only = row.node IS NULL, c.created_at = datetime()
SET c._lock = true REMOVE c._lock  // write lock first: the version read below is current
WITH row, c
FOREACH (_ IN CASE WHEN row.node IS NOT NULL AND c.host_only THEN [1] ELSE [] END |
  SET c.host_only = false)
FOREACH (_ IN CASE WHEN row.version > coalesce(c.seen_version, '') THEN [1] ELSE [] END |
  SET c.seen_version = row.version)
