"""[sync]: the periodic resync from the nova API."""

from oslo_config import cfg

GROUP = "sync"

OPTS = [
    cfg.IntOpt("interval", default=0, min=0,
               help="Seconds between resyncs run by the listener; 0 turns it off."),
    cfg.IntOpt("batch_size", default=2000, min=1,
               help="Rows per UNWIND batch when loading a snapshot."),
    cfg.IntOpt("page_size", default=1000, min=1,
               help="Page size for nova API list calls."),
]
