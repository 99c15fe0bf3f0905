"""The Neo4j driver, built from configuration.

Credentials come from oslo.config or the GRAPHCDM_NEO4J_* environment and
are handed to the driver only; nothing here logs them.
"""

from __future__ import annotations

from typing import Any

import neo4j
from oslo_config import cfg


def connect(conf: cfg.ConfigOpts, **driver_options: Any) -> neo4j.Driver:
    """A driver for ``[neo4j]``; no authentication when the password is empty.

    ``driver_options`` are extra neo4j driver settings of one caller (the
    Watcher collector bounds ``connection_acquisition_timeout``).
    """
    c = conf.neo4j
    auth = (c.user, c.password) if c.password else None
    return neo4j.GraphDatabase.driver(
        c.uri,
        auth=auth,
        max_connection_pool_size=c.max_connection_pool_size,
        connection_timeout=c.connection_timeout,
        max_transaction_retry_time=c.max_transaction_retry_time,
        user_agent="graphcdm",
        notifications_min_severity="OFF",
        **driver_options,
    )
