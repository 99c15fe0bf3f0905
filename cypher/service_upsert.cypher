// A nova-compute service's status onto the compute node(s) of its host;
// a host the graph knows no node of gets a host-only placeholder node
// (hypervisor_hostname = host) that fold_placeholders merges into the real
// node once one is known.
// $rows: [{host, version, status, state, disabled_reason, forced_down,
//          service_uuid, availability_zone, last_seen_up}]
// Older than the host's service.delete (ServiceTombstone): ignored.
UNWIND $rows AS row
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, st
WHERE st IS NULL OR row.version > st.version
CALL (row) {
  OPTIONAL MATCH (c:ComputeNode {hostname: row.host})
  RETURN count(c) AS known
}
FOREACH (_ IN CASE WHEN known = 0 THEN [1] ELSE [] END |
  MERGE (p:ComputeNode {hypervisor_hostname: row.host})
    ON CREATE SET p.hostname = row.host, p.placeholder = true, p.host_only = true,
                  p.created_at = datetime()
)
WITH row
MATCH (c:ComputeNode {hostname: row.host})
SET c._lock = true REMOVE c._lock  // write lock first: the version read below is current
WITH row, c
WHERE row.version > coalesce(c.service_version, '')
SET c.service_version = row.version,
    c.seen_version = CASE WHEN row.version > coalesce(c.seen_version, '') THEN row.version
                          ELSE c.seen_version END,
    c.status = row.status,
    c.state = row.state,
    c.disabled_reason = row.disabled_reason,
    c.forced_down = row.forced_down,
    c.service_uuid = coalesce(row.service_uuid, c.service_uuid),
    c.availability_zone = coalesce(row.availability_zone, c.availability_zone),
    c.last_seen_up = coalesce(row.last_seen_up, c.last_seen_up)
