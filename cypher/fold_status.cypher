// Read, first step of a fold: the service status host-only placeholders
// hold for hosts whose real node is now known, as service_upsert rows, so
// that the one status rule (service_upsert) passes it on to those nodes
// before fold_placeholders deletes the placeholder.
// No parameters.
MATCH (p:ComputeNode {host_only: true})
WHERE (p.service_version IS NOT NULL OR p.state_version IS NOT NULL)
  AND EXISTS {
    MATCH (c:ComputeNode {hostname: p.hostname})
    WHERE c <> p AND NOT coalesce(c.host_only, false)
  }
RETURN p.hostname AS host, p.service_version AS version, p.status AS status,
       p.disabled_reason AS disabled_reason, p.forced_down AS forced_down,
       p.service_uuid AS service_uuid, p.availability_zone AS availability_zone,
       p.last_seen_up AS last_seen_up, p.state AS state, p.state_version AS state_version
ORDER BY host
