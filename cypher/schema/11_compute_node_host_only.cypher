CREATE INDEX compute_node_host_only IF NOT EXISTS FOR (c:ComputeNode) ON (c.host_only)
