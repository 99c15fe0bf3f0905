// Everything to_watcher_model() needs in one round trip: the compute nodes Watcher's nova
// collector would model, then every instance hosted on one of them with its node's uuid.
// Left out, as Watcher 17's NovaModelBuilder leaves them out: ironic nodes
// (hypervisor_type 'ironic', _compute_node_future) with their instances; instances on no
// node (shelved-offloaded, building, error without host: it lists instances host by host);
// vm_state 'deleted'. Also left out: placeholder nodes (no uuid yet, and Watcher keys nodes
// by uuid) with their instances, and gone instances (docs/ARCHITECTURE.md, Graph model).
// Rows: [kind, values] with values positional (see graphcdm.read.query.WATCHER_NODE_FIELDS /
// WATCHER_INSTANCE_FIELDS).
MATCH (c:ComputeNode)
WHERE c.uuid IS NOT NULL AND NOT coalesce(c.placeholder, false)
  AND coalesce(c.hypervisor_type, '') <> 'ironic'
RETURN 'node' AS kind,
       [c.uuid, c.hostname, c.hypervisor_hostname, c.state, c.status, c.disabled_reason,
        coalesce(c.vcpus, 0), coalesce(c.vcpu_reserved, 0), toFloat(coalesce(c.vcpu_ratio, 1.0)),
        coalesce(c.memory_mb, 0), coalesce(c.memory_mb_reserved, 0),
        toFloat(coalesce(c.memory_ratio, 1.0)),
        coalesce(c.disk_gb, 0), coalesce(c.disk_gb_reserved, 0),
        toFloat(coalesce(c.disk_ratio, 1.0))] AS values
UNION ALL
MATCH (i:Instance)-[:HOSTED_ON]->(c:ComputeNode)
WHERE i.gone IS NULL AND coalesce(i.state, '') <> 'deleted'
  AND c.uuid IS NOT NULL AND NOT coalesce(c.placeholder, false)
  AND coalesce(c.hypervisor_type, '') <> 'ironic'
RETURN 'instance' AS kind,
       [i.uuid, i.name, i.state, coalesce(i.vcpus, 0), coalesce(i.memory_mb, 0),
        coalesce(i.disk_gb, 0), i.metadata, i.project_id, coalesce(i.locked, false),
        i.created_at, i.host, i.node, i.pinned_availability_zone, i.flavor_extra_specs,
        c.uuid] AS values
