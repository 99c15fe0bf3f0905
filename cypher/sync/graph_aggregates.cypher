// Resync: every aggregate with its member nodes' hypervisor_hostnames.
MATCH (a:Aggregate)
RETURN a.id AS id, a.uuid AS uuid, a.name AS name, a.availability_zone AS availability_zone,
       a.metadata AS metadata,
       COLLECT { MATCH (c:ComputeNode)-[:MEMBER_OF]->(a) RETURN c.hypervisor_hostname } AS members
