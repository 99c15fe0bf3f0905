// Every compute node, sorted by its key, for `graphcdm export`.
MATCH (c:ComputeNode)
RETURN c.uuid AS uuid, c.hostname AS hostname, c.hypervisor_hostname AS hypervisor_hostname,
       c.state AS state, c.status AS status, c.disabled_reason AS disabled_reason,
       c.vcpus AS vcpus, c.memory_mb AS memory_mb, c.disk_gb AS disk_gb,
       coalesce(c.placeholder, false) AS placeholder
ORDER BY hypervisor_hostname
