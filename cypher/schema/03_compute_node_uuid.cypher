CREATE CONSTRAINT compute_node_uuid IF NOT EXISTS FOR (c:ComputeNode) REQUIRE c.uuid IS UNIQUE
