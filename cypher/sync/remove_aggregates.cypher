// Resync cleanup: aggregates the complete poll did not list go, with their edges.
// $rows: [{id}]
UNWIND $rows AS row
MATCH (a:Aggregate {id: row.id})
DETACH DELETE a
