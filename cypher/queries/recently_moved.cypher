// Recently moved instances: placed on another node within the last $minutes minutes (migrate, evacuate, resize, unshelve elsewhere).
// param: minutes = 60 -- how far back to look
MATCH (i:Instance)
WHERE i.moved_at >= datetime() - duration({minutes: $minutes}) AND i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
RETURN i.uuid AS instance, i.name AS name, i.previous_node AS from_node,
       c.hypervisor_hostname AS to_node, toString(i.moved_at) AS moved_at, i.state AS state
ORDER BY moved_at DESC, instance
