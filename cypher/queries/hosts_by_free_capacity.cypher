// Hosts by free capacity, most free first: (total - reserved) x ratio - used, sorted by $by (vcpu, memory or disk).
// Reserved missing counts as 0, a ratio as 1.0; placeholders (unknown capacity) sort last.
// param: by = "memory" -- sort key: vcpu, memory or disk
// param: limit = 50 -- at most this many rows
MATCH (c:ComputeNode)
CALL (c) {
  OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE i.gone IS NULL
  RETURN sum(coalesce(i.vcpus, 0)) AS vcpu_used, sum(coalesce(i.memory_mb, 0)) AS memory_used,
         sum(coalesce(i.disk_gb, 0)) AS disk_used, count(i) AS instances
}
WITH c, instances,
     (c.vcpus - coalesce(c.vcpu_reserved, 0)) * toFloat(coalesce(c.vcpu_ratio, 1.0)) - vcpu_used AS free_vcpu,
     (c.memory_mb - coalesce(c.memory_mb_reserved, 0)) * toFloat(coalesce(c.memory_ratio, 1.0))
       - memory_used AS free_memory_mb,
     (c.disk_gb - coalesce(c.disk_gb_reserved, 0)) * toFloat(coalesce(c.disk_ratio, 1.0))
       - disk_used AS free_disk_gb
WITH c, instances, free_vcpu, free_memory_mb, free_disk_gb,
     CASE $by WHEN 'vcpu' THEN free_vcpu WHEN 'disk' THEN free_disk_gb ELSE free_memory_mb END AS sort_key
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host,
       c.state AS state, c.status AS status, instances,
       free_vcpu, free_memory_mb, free_disk_gb
ORDER BY sort_key IS NULL, sort_key DESC, hypervisor_hostname
LIMIT $limit
