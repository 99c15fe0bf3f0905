// The compute nodes of one host for `graphcdm viz --host`: by service host or hypervisor hostname.
// param: host = null -- service host name or hypervisor hostname
CALL () {
  MATCH (c:ComputeNode {hostname: $host}) RETURN c
  UNION
  MATCH (c:ComputeNode {hypervisor_hostname: $host}) RETURN c
}
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS hostname, c.uuid AS uuid,
       c.state AS state, c.status AS status, coalesce(c.placeholder, false) AS placeholder,
       c.vcpus AS vcpus, c.memory_mb AS memory_mb, c.availability_zone AS availability_zone
ORDER BY hypervisor_hostname
