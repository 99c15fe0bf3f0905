// Resync cleanup: compute nodes the complete poll did not list are deleted
// with their edges, unless an event newer than the poll's start showed them
// (seen_version or service_version >= the poll's): a notification placed an
// instance there or updated its service after the listing began.
// $rows: [{hypervisor_hostname, version}]
UNWIND $rows AS row
MATCH (c:ComputeNode {hypervisor_hostname: row.hypervisor_hostname})
SET c._lock = true REMOVE c._lock  // write lock first: the versions read below are current
WITH row, c
WHERE coalesce(c.seen_version, '') < row.version AND coalesce(c.service_version, '') < row.version
DETACH DELETE c
