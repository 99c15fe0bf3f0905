// Resync: every compute node with the properties the resync writes, for the drift and cleanup.
MATCH (c:ComputeNode)
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.uuid AS uuid, c.hostname AS hostname,
       c.state AS state, c.status AS status, c.disabled_reason AS disabled_reason,
       c.vcpus AS vcpus, c.vcpu_reserved AS vcpu_reserved, c.vcpu_ratio AS vcpu_ratio,
       c.memory_mb AS memory_mb, c.memory_mb_reserved AS memory_mb_reserved,
       c.memory_ratio AS memory_ratio, c.disk_gb AS disk_gb,
       c.disk_gb_reserved AS disk_gb_reserved, c.disk_ratio AS disk_ratio,
       c.availability_zone AS availability_zone, c.hypervisor_type AS hypervisor_type,
       coalesce(c.placeholder, false) AS placeholder
