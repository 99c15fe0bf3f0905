// Resync: every instance with the attributes a dry run compares and its placement.
MATCH (i:Instance)
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.task_state AS task_state,
       i.vcpus AS vcpus, i.memory_mb AS memory_mb, i.disk_gb AS disk_gb, i.flavor AS flavor,
       i.project_id AS project_id, i.host AS host, i.node AS node
