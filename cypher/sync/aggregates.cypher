// Resync: upsert host aggregates (no notification describes them: the
// resync owns them). metadata is a JSON string (properties cannot be maps).
// $rows: [{id, uuid, name, availability_zone, metadata}]
UNWIND $rows AS row
MERGE (a:Aggregate {id: row.id})
SET a.uuid = row.uuid, a.name = row.name, a.availability_zone = row.availability_zone,
    a.metadata = row.metadata
