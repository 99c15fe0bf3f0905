CREATE INDEX compute_node_hostname IF NOT EXISTS FOR (c:ComputeNode) ON (c.hostname)
