"""[graph]: behaviour of the model itself."""

from oslo_config import cfg

GROUP = "graph"

OPTS = [
    cfg.IntOpt("tombstone_max_age", default=7 * 24 * 3600, min=60,
               help="Seconds a delete tombstone is kept so that a late, older event "
                    "cannot resurrect a deleted instance. Longer than any realistic "
                    "delivery delay (requeues, outages)."),
]
