// Instances on disabled or down hosts (nova-compute service status disabled or state down), by host.
MATCH (i:Instance)-[:HOSTED_ON]->(c:ComputeNode)
WHERE (c.status = 'disabled' OR c.state = 'down') AND i.gone IS NULL
RETURN c.hypervisor_hostname AS hypervisor_hostname, c.hostname AS host, c.state AS host_state,
       c.status AS host_status, c.disabled_reason AS disabled_reason,
       i.uuid AS instance, i.name AS name, i.state AS state, i.project_id AS project_id
ORDER BY hypervisor_hostname, instance
