// Resources used on node $hypervisor_hostname: sums over its hosted instances, every state counting (Watcher's get_node_used_resources).
// param: hypervisor_hostname = null -- nova's node name
MATCH (c:ComputeNode {hypervisor_hostname: $hypervisor_hostname})
CALL (c) {
  OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE i.gone IS NULL
  RETURN sum(coalesce(i.vcpus, 0)) AS vcpu, sum(coalesce(i.memory_mb, 0)) AS memory,
         sum(coalesce(i.disk_gb, 0)) AS disk, count(i) AS instances
}
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.uuid AS uuid,
       vcpu, memory, disk, instances
