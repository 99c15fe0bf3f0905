// Set instance attributes, each field only when the change is newer than
// that field's own version (v_<field>). Why per field: an event carries only
// the fields it is authoritative for and its format knows (legacy payloads
// have no power_state, locked, swap_mb...; see graphcdm/graph/attributes.py),
// so the newest event *that carries a field* decides it, in any order; a
// field absent from row.attrs is left untouched, a null one is erased (nova
// said null). i.version is the newest attribute version (what deletes,
// tombstones and `gone` compare).
// disk_gb is derived here, once, from the stored fields as Watcher's
// collector counts local disk: root only when the instance boots from an
// image, plus ephemeral, plus swap (MB) rounded up to GB.
// $rows: [{uuid, version, oldest, attrs, versions, version_props}] -- one row
// per uuid (the writer merges a batch's changes: versions[field] is the
// version of attrs[field], version / oldest the newest / oldest of them,
// version_props the same as {v_<field>: version} properties).
// Skipped when a tombstone forbids it: a hard delete always, a soft delete
// when not older than the change (a newer change is a restore: the soft
// tombstone goes). Attributes do not depend on the host, so a deleted
// service does not block them; they only clear `gone` when newer than the
// deletion of the instance's last known host.
UNWIND $rows AS row
OPTIONAL MATCH (t:InstanceTombstone {uuid: row.uuid})
WITH row, t
WHERE t IS NULL OR (NOT t.final AND row.version > t.version)
MERGE (i:Instance {uuid: row.uuid})
SET i._lock = true REMOVE i._lock  // write lock first: the versions read below are current
WITH row, i, t
WHERE size(keys(row.attrs)) > 0
CALL (row, i) {  // the usual case: every field newer than all the instance holds
  WITH row, i WHERE row.oldest > coalesce(i.version, '')
  SET i += row.attrs, i += row.version_props
}
CALL (row, i) {  // else field by field
  WITH row, i WHERE row.oldest <= coalesce(i.version, '')
  UNWIND keys(row.attrs) AS k
  WITH row, i, k WHERE row.versions[k] > coalesce(i['v_' + k], '')
  SET i[k] = row.attrs[k], i['v_' + k] = row.versions[k]
}
SET i.version = CASE WHEN row.version > coalesce(i.version, '') THEN row.version
                     ELSE i.version END,
    i.updated_at = datetime(),
    i.disk_gb = CASE WHEN i.root_gb IS NULL AND i.ephemeral_gb IS NULL AND i.swap_mb IS NULL
                     THEN null
                     ELSE CASE WHEN coalesce(i.boot_from_volume, false) THEN 0
                               ELSE coalesce(i.root_gb, 0) END
                          + coalesce(i.ephemeral_gb, 0)
                          + toInteger(ceil(coalesce(i.swap_mb, 0) / 1024.0)) END
WITH i, t
CALL (i) {
  WITH i WHERE i.gone
  OPTIONAL MATCH (st:ServiceTombstone {hostname: i.host})
  WITH i, st
  WHERE st IS NULL OR st.version < i.version
  SET i.gone = null
}
WITH t WHERE t IS NOT NULL
DELETE t
