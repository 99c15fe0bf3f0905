"""[metrics]: the listener's observability endpoint and log figures."""

from oslo_config import cfg

GROUP = "metrics"

OPTS = [
    cfg.HostAddressOpt("host", default="127.0.0.1",
                       help="Address of the /metrics and /healthz HTTP endpoint."),
    cfg.PortOpt("port", default=9717, help="Port of the /metrics and /healthz endpoint; 0 = off."),
    cfg.IntOpt("log_interval", default=60, min=0,
               help="Seconds between counter summaries in the log; 0 = off."),
]
