"""[neo4j]: where the graph lives."""

from oslo_config import cfg

GROUP = "neo4j"

OPTS = [
    cfg.StrOpt("uri", default="bolt://127.0.0.1:7687", secret=True,
               help="Bolt URI of the Neo4j server (bolt://, neo4j://, bolt+s://, neo4j+s://, "
                    "bolt+ssc://, neo4j+ssc://). A user:password@ part is accepted "
                    "and never logged; prefer the password option. "
                    "Env: GRAPHCDM_NEO4J_URI."),
    cfg.StrOpt("ca_file", default="",
               help="PEM file of the CA(s) that signed Neo4j's certificate, for a "
                    "bolt+s:// or neo4j+s:// uri whose CA is not in the system store. "
                    "bolt+ssc:// / neo4j+ssc:// accept a self-signed certificate "
                    "without it."),
    cfg.StrOpt("user", default="neo4j",
               help="Neo4j user name. Env: GRAPHCDM_NEO4J_USER."),
    cfg.StrOpt("password", default="", secret=True,
               help="Neo4j password; empty means the server runs without authentication. "
                    "Env: GRAPHCDM_NEO4J_PASSWORD. Never logged."),
    cfg.StrOpt("database", default="neo4j",
               help="Database name (Community edition has one user database, 'neo4j')."),
    cfg.IntOpt("max_connection_pool_size", default=50, min=1,
               help="Driver connection pool size."),
    cfg.FloatOpt("connection_timeout", default=15.0, min=0.1,
                 help="Seconds to wait for a TCP connection to Neo4j."),
    cfg.FloatOpt("check_timeout", default=5.0, min=0.1,
                 help="Seconds a one-shot command (export, query, viz, replay, reset, "
                      "purge-tombstones, sync, status) waits for Neo4j before it gives up "
                      "with exit status 3. The listener retries patiently instead."),
    cfg.FloatOpt("max_transaction_retry_time", default=30.0, min=0.0,
                 help="Seconds the driver keeps retrying a transient failure of a managed "
                      "transaction before graphcdm's own retry (tenacity) takes over."),
    cfg.IntOpt("write_retries", default=8, min=0,
               help="How many times graphcdm retries a batch after the driver gave up "
                    "(connection loss, server restart), with exponential back-off."),
]
