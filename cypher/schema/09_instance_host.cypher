CREATE INDEX instance_host IF NOT EXISTS FOR (i:Instance) ON (i.host)
