// Resync: every instance with the attributes a dry run compares and its placement.
MATCH (i:Instance)
RETURN i.uuid AS uuid, i.name AS name, i.state AS state, i.task_state AS task_state,
       i.vcpus AS vcpus, i.memory_mb AS memory_mb, i.root_gb AS root_gb,
       i.ephemeral_gb AS ephemeral_gb, i.swap_mb AS swap_mb,
       i.boot_from_volume AS boot_from_volume, i.flavor AS flavor,
       i.project_id AS project_id, i.host AS host, i.node AS node
