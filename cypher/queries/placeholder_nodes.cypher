// Placeholder nodes awaiting resync: known only from notifications (no uuid, no capacity), with what they host.
MATCH (c:ComputeNode)
WHERE c.placeholder = true
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host,
       c.state AS state, c.status AS status, toString(c.created_at) AS created_at,
       COUNT { (i:Instance)-[:HOSTED_ON]->(c) WHERE i.gone IS NULL } AS instances
ORDER BY hypervisor_hostname
