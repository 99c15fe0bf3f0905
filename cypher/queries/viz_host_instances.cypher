// The instances hosted on one host's nodes for `graphcdm viz --host`.
// param: host = null -- service host name or hypervisor hostname
// param: limit = 5000 -- at most this many instances
CALL () {
  MATCH (c:ComputeNode {hostname: $host}) RETURN c
  UNION
  MATCH (c:ComputeNode {hypervisor_hostname: $host}) RETURN c
}
MATCH (i:Instance)-[:HOSTED_ON]->(c)
WHERE i.gone IS NULL
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.vcpus AS vcpus,
       i.memory_mb AS memory_mb, i.project_id AS project_id, c.hypervisor_hostname AS hosted_on
ORDER BY uuid
LIMIT $limit
