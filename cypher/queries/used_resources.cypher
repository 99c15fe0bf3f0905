// Resources used on every compute node, in one query: sums over hosted instances, every state counting.
MATCH (c:ComputeNode)
CALL (c) {
  OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE i.gone IS NULL
  RETURN sum(coalesce(i.vcpus, 0)) AS vcpu, sum(coalesce(i.memory_mb, 0)) AS memory,
         sum(coalesce(i.disk_gb, 0)) AS disk, count(i) AS instances
}
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.uuid AS uuid,
       vcpu, memory, disk, instances
ORDER BY hypervisor_hostname
