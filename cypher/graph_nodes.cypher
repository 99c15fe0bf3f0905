// Whether the database holds any node at all (graphcdm's or anyone's): graphcdm demo asks before emptying it.
RETURN EXISTS { MATCH (n) } AS any_node
