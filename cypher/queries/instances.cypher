// Every instance, mapped or not, with the node it is hosted on (Watcher's get_all_instances).
MATCH (i:Instance)
WHERE i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.task_state AS task_state,
       i.power_state AS power_state, i.vcpus AS vcpus, i.memory_mb AS memory_mb, i.disk_gb AS disk_gb,
       i.flavor AS flavor, i.project_id AS project_id, i.user_id AS user_id,
       coalesce(i.locked, false) AS locked, i.availability_zone AS availability_zone,
       i.created_at AS created_at, i.metadata AS metadata, i.host AS host, i.node AS node,
       toString(i.moved_at) AS moved_at, i.previous_node AS previous_node,
       c.hypervisor_hostname AS hosted_on, c.uuid AS hosted_on_uuid
ORDER BY uuid
