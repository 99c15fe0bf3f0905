// Resync: a compute node's MEMBER_OF edges become exactly its aggregates.
// $rows: [{hypervisor_hostname, aggregate_ids}] -- every node of the snapshot
UNWIND $rows AS row
MATCH (c:ComputeNode {hypervisor_hostname: row.hypervisor_hostname})
CALL (row, c) {
  MATCH (c)-[m:MEMBER_OF]->(a:Aggregate)
  WHERE NOT a.id IN row.aggregate_ids
  DELETE m
}
CALL (row, c) {
  UNWIND row.aggregate_ids AS id
  MATCH (a:Aggregate {id: id})
  MERGE (c)-[:MEMBER_OF]->(a)
}
