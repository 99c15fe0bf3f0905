// Instances for `graphcdm viz`, with the node they are hosted on (null when unmapped); `gone` ones left out.
// param: limit = 5000 -- at most this many instances
MATCH (i:Instance)
WHERE i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.vcpus AS vcpus,
       i.memory_mb AS memory_mb, i.project_id AS project_id, c.hypervisor_hostname AS hosted_on
ORDER BY uuid
LIMIT $limit
