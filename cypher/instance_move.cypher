// Place an instance: MERGE the HOSTED_ON edge to its node and DELETE any other.
// $rows: [{uuid, version, host, node}] -- one row per uuid (the writer reduces).
// node null = the compute node of service host `host` (an evacuation names only
// the destination host); when the host has no known node yet, a *host-only
// placeholder* named after the host stands in until fold_placeholders merges
// it into the real node (node_seen, run before, has created the nodes
// and set their seen_version). An unknown node is created as a placeholder
// (placeholder = true, uuid null) for the resync to complete.
// A placement older than its host's service.delete (ServiceTombstone) is
// recorded but gets no edge: the host is gone; `gone` marks an instance
// whose every known fact predates that deletion (export leaves it out).
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t
WHERE t IS NULL OR (NOT t.final AND row.version > t.version)
MERGE (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the version read below is current
WITH row, i
WHERE row.version > coalesce(i.placement_version, '')
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, i, st, (st IS NOT NULL AND st.version > row.version) AS void
WITH row, i, st, void,
     CASE WHEN row.node IS NOT NULL THEN row.node
          ELSE coalesce(head(COLLECT {
                 MATCH (known:ComputeNode {hostname: row.host})
                 RETURN known.hypervisor_hostname
                 ORDER BY coalesce(known.host_only, false), known.hypervisor_hostname
               }), row.host) END AS node
SET i.moved_at = CASE WHEN i.node IS NULL OR i.node = node THEN i.moved_at ELSE datetime() END,
    i.previous_node = CASE WHEN i.node IS NULL OR i.node = node THEN i.previous_node
                           ELSE i.node END
SET i.host = row.host, i.node = node, i.placement_version = row.version,
    i.gone = CASE WHEN void AND coalesce(i.version, '') < st.version THEN true ELSE null END
WITH row, i, void, node
CALL (i, void) {
  WITH i WHERE void
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
CALL (row, i, void, node) {
  WITH row, i, node WHERE NOT void
  MERGE (c:ComputeNode {hypervisor_hostname: node})
    ON CREATE SET c.hostname = row.host, c.placeholder = true,
                  c.host_only = row.node IS NULL, c.created_at = datetime()
  FOREACH (_ IN CASE WHEN row.node IS NOT NULL AND c.host_only THEN [1] ELSE [] END |
    SET c.host_only = false)
  WITH i, c
  CALL (i, c) {
    MATCH (i)-[old:HOSTED_ON]->(other)
    WHERE other <> c
    DELETE old
  }
  MERGE (i)-[:HOSTED_ON]->(c)
}
