// Over-committed hosts: used / (total - reserved) above $threshold for vcpu, memory or disk; beyond_ratio = over the allocation ratio too.
// Reserved missing counts as 0, a ratio as 1.0. Commit ratios are rounded to 3 decimals.
// param: threshold = 1.0 -- commit ratio above which a host is listed (1.0 = more than physically present)
MATCH (c:ComputeNode)
WHERE c.vcpus IS NOT NULL OR c.memory_mb IS NOT NULL OR c.disk_gb IS NOT NULL
CALL (c) {
  OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c)
  WHERE i.gone IS NULL
  RETURN sum(coalesce(i.vcpus, 0)) AS vcpu_used, sum(coalesce(i.memory_mb, 0)) AS memory_used,
         sum(coalesce(i.disk_gb, 0)) AS disk_used, count(i) AS instances
}
WITH c, instances, vcpu_used, memory_used, disk_used,
     c.vcpus - coalesce(c.vcpu_reserved, 0) AS vcpu_phys,
     c.memory_mb - coalesce(c.memory_mb_reserved, 0) AS memory_phys,
     c.disk_gb - coalesce(c.disk_gb_reserved, 0) AS disk_phys
WITH c, instances, vcpu_used, memory_used, disk_used, vcpu_phys, memory_phys, disk_phys,
     CASE WHEN vcpu_phys > 0 THEN toFloat(vcpu_used) / vcpu_phys END AS vcpu_commit,
     CASE WHEN memory_phys > 0 THEN toFloat(memory_used) / memory_phys END AS memory_commit,
     CASE WHEN disk_phys > 0 THEN toFloat(disk_used) / disk_phys END AS disk_commit
WHERE vcpu_commit > $threshold OR memory_commit > $threshold OR disk_commit > $threshold
WITH *, reduce(m = 0.0, x IN [vcpu_commit, memory_commit, disk_commit] |
                CASE WHEN x > m THEN x ELSE m END) AS worst
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host, instances,
       round(worst, 3) AS worst_commit, round(vcpu_commit, 3) AS vcpu_commit, round(memory_commit, 3) AS memory_commit,
       round(disk_commit, 3) AS disk_commit,
       coalesce(vcpu_used > vcpu_phys * toFloat(coalesce(c.vcpu_ratio, 1.0))
        OR memory_used > memory_phys * toFloat(coalesce(c.memory_ratio, 1.0))
        OR disk_used > disk_phys * toFloat(coalesce(c.disk_ratio, 1.0)), false) AS beyond_ratio
ORDER BY worst_commit DESC, hypervisor_hostname
