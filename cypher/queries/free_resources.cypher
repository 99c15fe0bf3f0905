// Free resources of every compute node, in one query: (total - reserved) x allocation ratio - used.
// Reserved missing counts as 0, a ratio as 1.0; an unknown total (placeholder) gives null.
MATCH (c:ComputeNode)
CALL (c) {
  OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE i.gone IS NULL
  RETURN {vcpu: sum(coalesce(i.vcpus, 0)), memory: sum(coalesce(i.memory_mb, 0)),
          disk: sum(coalesce(i.disk_gb, 0)), instances: count(i)} AS used
}
WITH c, used,
     (c.vcpus - coalesce(c.vcpu_reserved, 0)) * toFloat(coalesce(c.vcpu_ratio, 1.0)) AS vcpu_capacity,
     (c.memory_mb - coalesce(c.memory_mb_reserved, 0))
       * toFloat(coalesce(c.memory_ratio, 1.0)) AS memory_mb_capacity,
     (c.disk_gb - coalesce(c.disk_gb_reserved, 0)) * toFloat(coalesce(c.disk_ratio, 1.0)) AS disk_gb_capacity
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.uuid AS uuid,
       vcpu_capacity - used.vcpu AS vcpu, memory_mb_capacity - used.memory AS memory,
       disk_gb_capacity - used.disk AS disk,
       vcpu_capacity, memory_mb_capacity, disk_gb_capacity,
       used.vcpu AS vcpu_used, used.memory AS memory_used, used.disk AS disk_used,
       used.instances AS instances
ORDER BY hypervisor_hostname
