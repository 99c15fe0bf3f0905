CREATE CONSTRAINT service_tombstone_hostname IF NOT EXISTS FOR (t:ServiceTombstone) REQUIRE t.hostname IS UNIQUE
