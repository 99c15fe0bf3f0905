// Compute nodes for `graphcdm viz`: state, service status and vCPU capacity (for colour and size).
// param: limit = 5000 -- at most this many nodes
MATCH (c:ComputeNode)
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS hostname, c.uuid AS uuid,
       c.state AS state, c.status AS status, coalesce(c.placeholder, false) AS placeholder,
       c.vcpus AS vcpus, c.memory_mb AS memory_mb, c.availability_zone AS availability_zone
ORDER BY hypervisor_hostname
LIMIT $limit
