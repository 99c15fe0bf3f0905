// Everything to_watcher_model() needs in one round trip: real compute nodes, then every instance with its node's uuid.
// Placeholder nodes (no uuid yet) are left out: Watcher keys nodes by uuid, so their instances come out unmapped.
// Rows: [kind, values] with values positional (see graphcdm.read.query.WATCHER_NODE_FIELDS / WATCHER_INSTANCE_FIELDS).
MATCH (c:ComputeNode)
WHERE c.uuid IS NOT NULL AND NOT coalesce(c.placeholder, false)
RETURN 'node' AS kind,
       [c.uuid, c.hostname, c.hypervisor_hostname, c.state, c.status, c.disabled_reason,
        coalesce(c.vcpus, 0), coalesce(c.vcpu_reserved, 0), toFloat(coalesce(c.vcpu_ratio, 1.0)),
        coalesce(c.memory_mb, 0), coalesce(c.memory_mb_reserved, 0),
        toFloat(coalesce(c.memory_ratio, 1.0)),
        coalesce(c.disk_gb, 0), coalesce(c.disk_gb_reserved, 0),
        toFloat(coalesce(c.disk_ratio, 1.0))] AS values
UNION ALL
MATCH (i:Instance)
WHERE i.gone IS NULL
OPTIONAL MATCH (i)-[:HOSTED_ON]->(c:ComputeNode)
RETURN 'instance' AS kind,
       [i.uuid, i.name, i.state, coalesce(i.vcpus, 0), coalesce(i.memory_mb, 0),
        coalesce(i.disk_gb, 0), i.metadata, i.project_id, coalesce(i.locked, false),
        i.created_at, i.host, i.node, i.availability_zone,
        CASE WHEN coalesce(c.placeholder, false) THEN null ELSE c.uuid END] AS values
