// One instance change: its attributes and/or its placement, in one statement.
// Why one: attributes and placement were two statements, each looking up
// the tombstone, MERGEing and write-locking the same instance (87 % of
// Neo4j's time in the profile of benchmarks/RESULTS.md); here each instance
// is looked up, merged and locked once, then both rules below apply.
// $rows: [{uuid, attrs, versions, version, oldest, version_props,
// place_version, host, node}] -- one row per uuid (the writer merges a
// batch's winning attribute change and winning move of the instance).
// Attributes: versions[field] is the version of attrs[field], version /
// oldest the newest / oldest of them, version_props the same as
// {v_<field>: version} properties; attrs null = no attribute change.
// Placement: place_version, host, node; place_version null = no move.
//
// Tombstones: skipped when a tombstone forbids it: a hard delete always, a
// soft delete when not older than the change. A newer attribute change is a
// restore: the soft tombstone goes, and then the placement is not held
// back by it either (as when attributes were written first).
//
// Attributes, each field only when the change is newer than that field's
// own version (v_<field>). Why per field: an event carries only the fields
// it is authoritative for and its format knows (legacy payloads have no
// power_state, locked, swap_mb...; see graphcdm/graph/attributes.py), so the
// newest event *that carries a field* decides it, in any order; a field
// absent from row.attrs is left untouched, a null one is erased (nova said
// null); when every field of the row is newer than all the instance holds
// (row.oldest > i.version, the usual case) one map SET does it. i.version is the newest attribute version (what deletes,
// tombstones and `gone` compare). disk_gb is derived here, once, from the
// stored fields as Watcher's collector counts local disk: root only when the
// instance boots from an image, plus ephemeral, plus swap (MB) rounded up
// to GB. Attributes do not depend on the host, so a deleted service does not
// block them; they only clear `gone` when newer than the deletion of the
// instance's last known host.
//
// Placement, when newer than placement_version: MERGE the HOSTED_ON edge to
// its node and DELETE any other. node null = the compute node of service
// host `host` (an evacuation names only the destination host); when the
// host has no known node yet, a *host-only placeholder* named after the
// host stands in until fold_placeholders merges it into the real node
// (node_seen, run before, has created the nodes and set their
// seen_version). An unknown node is created as a placeholder
// (placeholder = true, uuid null) for the resync to complete. A placement
// older than its host's service.delete (ServiceTombstone) is recorded but
// gets no edge: the host is gone; `gone` marks an instance whose every
// known fact predates that deletion (export leaves it out).
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t,
     row.attrs IS NOT NULL AND size(keys(row.attrs)) > 0
     AND (t IS NULL OR (NOT t.final AND row.version > t.version)) AS attrs_allowed
WHERE (row.attrs IS NOT NULL AND (t IS NULL OR (NOT t.final AND row.version > t.version)))
   OR (row.place_version IS NOT NULL
       AND (t IS NULL OR (NOT t.final AND row.place_version > t.version)))
MERGE (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the versions read below are current
WITH row, i, t, attrs_allowed,
     CASE WHEN attrs_allowed AND row.oldest <= coalesce(i.version, '')
          THEN [k IN keys(row.attrs) WHERE row.versions[k] > coalesce(i['v_' + k], '')]
          ELSE [] END AS newer,
     attrs_allowed AND row.oldest > coalesce(i.version, '') AS all_newer
CALL (row, i, all_newer) {  // the usual case: every field newer than all the instance holds
  WITH row, i, all_newer WHERE all_newer
  SET i += row.attrs, i += row.version_props
}
CALL (row, i, newer) {  // else field by field
  UNWIND newer AS k
  SET i[k] = row.attrs[k], i['v_' + k] = row.versions[k]
}
CALL (row, i, attrs_allowed) {
  WITH row, i, attrs_allowed WHERE attrs_allowed
  SET i.version = CASE WHEN row.version > coalesce(i.version, '') THEN row.version
                       ELSE i.version END,
      i.updated_at = datetime(),
      i.disk_gb = CASE WHEN i.root_gb IS NULL AND i.ephemeral_gb IS NULL AND i.swap_mb IS NULL
                       THEN null
                       ELSE CASE WHEN coalesce(i.boot_from_volume, false) THEN 0
                                 ELSE coalesce(i.root_gb, 0) END
                            + coalesce(i.ephemeral_gb, 0)
                            + toInteger(ceil(coalesce(i.swap_mb, 0) / 1024.0)) END
  WITH i
  CALL (i) {
    WITH i WHERE i.gone
    OPTIONAL MATCH (st:ServiceTombstone {hostname: i.host})
    WITH i, st
    WHERE st IS NULL OR st.version < i.version
    SET i.gone = null
  }
}
WITH row, i, t, attrs_allowed AS restored
WITH row, i, t, restored,
     row.place_version IS NOT NULL
     AND (t IS NULL OR (NOT t.final AND (restored OR row.place_version > t.version)))
     AND row.place_version > coalesce(i.placement_version, '') AS place_allowed
CALL (t, restored) {
  WITH t, restored WHERE restored AND t IS NOT NULL
  DELETE t
}
WITH row, i, place_allowed WHERE place_allowed
OPTIONAL MATCH (st:ServiceTombstone {hostname: row.host})
WITH row, i, st, (st IS NOT NULL AND st.version > row.place_version) AS void
WITH row, i, st, void,
     CASE WHEN row.node IS NOT NULL THEN row.node
          ELSE coalesce(head(COLLECT {
                 MATCH (known:ComputeNode {hostname: row.host})
                 RETURN known.hypervisor_hostname
                 ORDER BY coalesce(known.host_only, false), known.hypervisor_hostname
               }), row.host) END AS node
SET i.moved_at = CASE WHEN i.node IS NULL OR i.node = node THEN i.moved_at ELSE datetime() END,
    i.previous_node = CASE WHEN i.node IS NULL OR i.node = node THEN i.previous_node
                           ELSE i.node END
SET i.host = row.host, i.node = node, i.placement_version = row.place_version,
    i.gone = CASE WHEN void AND coalesce(i.version, '') < st.version THEN true ELSE null END
WITH row, i, void, node
CALL (i, void) {
  WITH i WHERE void
  MATCH (i)-[old:HOSTED_ON]->()
  DELETE old
}
CALL (row, i, void, node) {
  WITH row, i, node WHERE NOT void
  MERGE (c:ComputeNode {hypervisor_hostname: node})
    ON CREATE SET c.hostname = row.host, c.placeholder = true,
                  c.host_only = row.node IS NULL, c.created_at = datetime()
  FOREACH (_ IN CASE WHEN row.node IS NOT NULL AND c.host_only THEN [1] ELSE [] END |
    SET c.host_only = false)
  WITH i, c
  CALL (i, c) {
    MATCH (i)-[old:HOSTED_ON]->(other)
    WHERE other <> c
    DELETE old
  }
  MERGE (i)-[:HOSTED_ON]->(c)
}
