// The one rule that sets a compute node's service status (a nova-compute
// service's, on every node of its host). Rows come from service.* events,
// the resync (one per host, at the poll's version) and fold_status (a
// host-only placeholder's status passed on to the host's real nodes).
// Two aspects with their own versions, because not every source knows both:
// - status (status, disabled_reason, forced_down; service_uuid,
//   availability_zone, last_seen_up kept when the row has none) under
//   service_version, applied when row.version is newer;
// - state (up/down) under state_version, applied when row.state_version is
//   newer: a service.update knows the heartbeat verdict only when it forces
//   the service down (row.state null otherwise: a dead host that gets
//   disabled stays down).
// A host the graph knows no node of gets a host-only placeholder
// (hypervisor_hostname = host) that fold_placeholders merges into the real
// node once one is known. Older than the host's service.delete
// (ServiceTombstone): ignored.
// $rows: [{host, version, status, disabled_reason, forced_down, service_uuid,
//          availability_zone, last_seen_up, state, state_version}]
UNWIND $rows AS row
WITH row, CASE WHEN coalesce(row.state_version, '') > coalesce(row.version, '')
               THEN row.state_version ELSE row.version END AS newest
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, newest, st
WHERE st IS NULL OR newest > st.version
CALL (row) {
  OPTIONAL MATCH (c:ComputeNode {hostname: row.host})
  RETURN count(c) AS known
}
FOREACH (_ IN CASE WHEN known = 0 THEN [1] ELSE [] END |
  MERGE (p:ComputeNode {hypervisor_hostname: row.host})
    ON CREATE SET p.hostname = row.host, p.placeholder = true, p.host_only = true,
                  p.created_at = datetime()
)
WITH row, newest
MATCH (c:ComputeNode {hostname: row.host})
SET c._lock = true REMOVE c._lock  // write lock first: the versions read below are current
SET c.seen_version = CASE WHEN newest > coalesce(c.seen_version, '') THEN newest
                          ELSE c.seen_version END
WITH row, c
CALL (row, c) {
  WITH row, c
  WHERE row.version IS NOT NULL AND row.version > coalesce(c.service_version, '')
  SET c.service_version = row.version,
      c.status = row.status,
      c.disabled_reason = row.disabled_reason,
      c.forced_down = row.forced_down,
      c.service_uuid = coalesce(row.service_uuid, c.service_uuid),
      c.availability_zone = coalesce(row.availability_zone, c.availability_zone),
      c.last_seen_up = coalesce(row.last_seen_up, c.last_seen_up)
}
CALL (row, c) {
  WITH row, c
  WHERE row.state_version IS NOT NULL AND row.state_version > coalesce(c.state_version, '')
  SET c.state_version = row.state_version, c.state = row.state
}
