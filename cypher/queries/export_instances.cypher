// Every live instance with the node its HOSTED_ON edge points to, for `graphcdm export`.
MATCH (i:Instance)
WHERE i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.task_state AS task_state,
       i.vcpus AS vcpus, i.memory_mb AS memory_mb, i.disk_gb AS disk_gb,
       i.flavor AS flavor, i.project_id AS project_id,
       CASE WHEN c IS NULL THEN null
            ELSE {hostname: c.hostname, hypervisor_hostname: c.hypervisor_hostname} END AS hosted_on
ORDER BY uuid
