// Place an instance: MERGE the HOSTED_ON edge to its node and DELETE any other.
// $rows: [{uuid, version, host, node}]; node null = the node of service host
// `host` (evacuation names only the destination host). An unknown node is
// created as a placeholder (placeholder = true, uuid null) for resync to complete.
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, t, st
WHERE (t IS NULL OR (NOT t.final AND row.version > t.version))
  AND (st IS NULL OR row.version > st.version)
MERGE (i:Instance {uuid: row.uuid})
WITH row, i
WHERE row.version > coalesce(i.placement_version, '')
CALL (row) {
  OPTIONAL MATCH (known:ComputeNode {hostname: row.host})
  RETURN known.hypervisor_hostname AS known_node
  ORDER BY known.placeholder, known_node
  LIMIT 1
}
WITH row, i, coalesce(row.node, known_node, row.host) AS node
MERGE (c:ComputeNode {hypervisor_hostname: node})
  ON CREATE SET c.hostname = row.host, c.placeholder = true, c.created_at = datetime()
SET i.moved_at = CASE WHEN i.node IS NULL OR i.node = node THEN i.moved_at ELSE datetime() END,
    i.previous_node = CASE WHEN i.node IS NULL OR i.node = node THEN i.previous_node ELSE i.node END
SET i.host = row.host, i.node = node, i.placement_version = row.version
WITH i, c
CALL (i, c) {
  MATCH (i)-[old:HOSTED_ON]->(other)
  WHERE other <> c
  DELETE old
}
MERGE (i)-[:HOSTED_ON]->(c)
