// A project's spread across hosts and availability zones: instances, vcpus and memory per host, with each host's zone and aggregates.
// param: project_id = null -- the project (tenant) id
MATCH (i:Instance {project_id: $project_id})
WHERE i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
WITH c, collect(i) AS instances
RETURN coalesce(c.availability_zone, instances[0].availability_zone) AS availability_zone,
       c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host,
       CASE WHEN c IS NULL THEN [] ELSE
         COLLECT { MATCH (c)-[:MEMBER_OF]->(a:Aggregate) RETURN a.name ORDER BY a.name } END AS aggregates,
       size(instances) AS instances,
       reduce(s = 0, x IN instances | s + coalesce(x.vcpus, 0)) AS vcpus,
       reduce(s = 0, x IN instances | s + coalesce(x.memory_mb, 0)) AS memory_mb
ORDER BY availability_zone, hypervisor_hostname
