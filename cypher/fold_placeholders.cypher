// Fold host-only placeholders into the real compute node of their host.
// A host-only placeholder (host_only = true, hypervisor_hostname = host)
// stands in for a host whose node name no event has told yet (evacuation
// names only the destination host; service.* names only the host). Once a
// node of that host is known, the placeholder's instances move to it (the
// smallest hypervisor_hostname when there are several, as instance_write
// chooses) and it goes; its service status was passed on just before by
// service_upsert with the rows fold_status read (the one status rule).
// The result is the one an ordered stream gives.
// No parameters; run at the end of each batch that may have created nodes.
MATCH (p:ComputeNode {host_only: true})
WITH p, COLLECT {
  MATCH (c:ComputeNode {hostname: p.hostname})
  WHERE c <> p AND NOT coalesce(c.host_only, false)
  RETURN c ORDER BY c.hypervisor_hostname
} AS real
WHERE size(real) > 0
WITH p, head(real) AS target
CALL (p, target) {
  MATCH (i:Instance)-[old:HOSTED_ON]->(p)
  DELETE old
  MERGE (i)-[:HOSTED_ON]->(target)
  SET i.node = target.hypervisor_hostname
}
SET target.seen_version = CASE WHEN coalesce(p.seen_version, '') > coalesce(target.seen_version, '')
                               THEN p.seen_version ELSE target.seen_version END
DETACH DELETE p
RETURN count(*) AS folded
