// Last statement of a batch that wrote instances: an instance a tombstone
// forbids does not survive. Why: a batch that read "no tombstone" can have
// MERGEd the instance while a concurrent batch deleted it and committed its
// tombstone (listener threads apply batches in parallel); this check runs
// after that MERGE waited for the other transaction's locks, so it sees the
// tombstone and removes what the race brought back.
// $rows: [{uuid}]
UNWIND $rows AS row
MATCH (t:InstanceTombstone {uuid: row.uuid})
MATCH (i:Instance {uuid: row.uuid})
WHERE t.final
   OR t.version >= (CASE WHEN coalesce(i.version, '') > coalesce(i.placement_version, '')
                         THEN coalesce(i.version, '') ELSE coalesce(i.placement_version, '') END)
DETACH DELETE i
