// First half of a service.delete (service_delete follows in the same
// transaction): record the ServiceTombstone and write-lock every instance
// and compute node of the host committed by now (listener threads commit
// batches in parallel). These locks cover only what is already committed:
// an instance or node committed on the host after this statement ran is
// first seen by service_delete, which therefore locks every candidate
// again and re-reads it under the lock before acting on it.
// $rows: [{host, version}]
UNWIND $rows AS row
MERGE (st:ServiceTombstone {hostname: row.host})
  ON CREATE SET st.version = row.version, st.recorded_at = datetime()
  ON MATCH SET st.version = CASE WHEN row.version > st.version THEN row.version ELSE st.version END,
               st.recorded_at = datetime()
WITH row
CALL (row) {
  MATCH (i:Instance {host: row.host})
  SET i._lock = true REMOVE i._lock
}
CALL (row) {
  MATCH (c:ComputeNode {hostname: row.host})
  SET c._lock = true REMOVE c._lock
}
