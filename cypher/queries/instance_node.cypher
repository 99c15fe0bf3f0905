// The compute node instance $uuid is hosted on; no row when unknown or unmapped (Watcher's get_node_by_instance_uuid).
// param: uuid = null -- instance uuid
MATCH (i:Instance {uuid: $uuid})-[:HOSTED_ON]->(c:ComputeNode)
WHERE i.gone IS NULL
RETURN c.uuid AS uuid, c.hostname AS hostname, c.hypervisor_hostname AS hypervisor_hostname,
       c.state AS state, c.status AS status, c.disabled_reason AS disabled_reason,
       c.availability_zone AS availability_zone, coalesce(c.placeholder, false) AS placeholder,
       c.vcpus AS vcpus, coalesce(c.vcpu_reserved, 0) AS vcpu_reserved,
       toFloat(coalesce(c.vcpu_ratio, 1.0)) AS vcpu_ratio,
       c.memory_mb AS memory_mb, coalesce(c.memory_mb_reserved, 0) AS memory_mb_reserved,
       toFloat(coalesce(c.memory_ratio, 1.0)) AS memory_ratio,
       c.disk_gb AS disk_gb, coalesce(c.disk_gb_reserved, 0) AS disk_gb_reserved,
       toFloat(coalesce(c.disk_ratio, 1.0)) AS disk_ratio,
       COLLECT { MATCH (c)-[:MEMBER_OF]->(a:Aggregate) RETURN a.name ORDER BY a.name } AS aggregates
