CREATE INDEX compute_node_placeholder IF NOT EXISTS FOR (c:ComputeNode) ON (c.placeholder)
