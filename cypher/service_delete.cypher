// A nova-compute service was deleted: remove its compute nodes and the
// instances they host (nova refuses to delete a service that still hosts
// instances, so any left here are stale), and leave a tombstone so that
// older events about that host cannot bring them back. A newer
// service.create removes the tombstone.
// $rows: [{host, version}]
UNWIND $rows AS row
OPTIONAL MATCH (c:ComputeNode {hostname: row.host})
WITH row, collect(c) AS nodes
WHERE all(c IN nodes WHERE row.version > coalesce(c.service_version, ''))
MERGE (st:ServiceTombstone {hostname: row.host})
  ON CREATE SET st.version = row.version, st.recorded_at = datetime()
  ON MATCH SET st.version = CASE WHEN row.version > st.version THEN row.version ELSE st.version END,
               st.recorded_at = datetime()
WITH row, nodes
UNWIND nodes AS c
CALL (c, row) {
  MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE coalesce(i.placement_version, '') < row.version
  DETACH DELETE i
}
DETACH DELETE c
