// nova's API, read by a complete resync, is the authority on whether an
// instance exists. nova destroys the instance's row before it sends
// delete.end (nova/compute/manager.py ComputeManager._delete_instance:
// instance.destroy(), then the delete.end notifications), so a poll that
// started after a real delete cannot list the instance. A tombstone older
// than the poll's start by more than the clock bound ($rows.before:
// [notifications] max_clock_ahead before the poll) while the poll lists the
// instance is a spurious or misdated delete: it goes, and the resync's rows
// bring the instance back. A tombstone within the bound stays (the emitter's
// clock may be behind the poll's).
// $rows: [{uuid, before}] -- instances the poll lists and the graph lacks.
UNWIND $rows AS row
MATCH (t:InstanceTombstone {uuid: row.uuid})
WHERE t.version < row.before
DELETE t
