CREATE CONSTRAINT compute_node_hypervisor_hostname IF NOT EXISTS FOR (c:ComputeNode) REQUIRE c.hypervisor_hostname IS UNIQUE
