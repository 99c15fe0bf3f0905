// Empty hosts (candidates for power saving): real compute nodes that host no instance.
MATCH (c:ComputeNode)
WHERE NOT coalesce(c.placeholder, false) AND NOT EXISTS { (i:Instance)-[:HOSTED_ON]->(c) WHERE i.gone IS NULL }
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host, c.state AS state,
       c.status AS status, c.availability_zone AS availability_zone,
       c.vcpus AS vcpus, c.memory_mb AS memory_mb, c.disk_gb AS disk_gb
ORDER BY hypervisor_hostname
