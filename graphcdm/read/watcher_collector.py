"""A Watcher cluster-data-model collector that reads the compute model from graphcdm.

Entry point (setup.cfg): ``watcher_cluster_data_model_collectors:
graphcdm_compute = graphcdm.read.watcher_collector:GraphComputeModelCollector``.

Why it differs from Watcher's nova collector:

- **no notification endpoints**: graphcdm's own listener keeps the graph
  current from nova's notifications, so Watcher must not consume them a
  second time (and inherit the bugs tests/functional/test_watcher_diff.py shows);
- **the model is rebuilt from the graph on demand** in one Cypher round
  trip (:meth:`graphcdm.read.query.GraphQuery.to_watcher_model`) instead of
  being cached and deep-copied: the graph *is* the up-to-date model, and a
  fresh build is cheaper than Watcher's per-audit deep copy
  (benchmarks/watcher_model.py);
- **audit scopes are resolved in the graph** (:class:`GraphComputeScope`):
  host aggregates via ``(:ComputeNode)-[:MEMBER_OF]->(:Aggregate)`` and
  availability zones via ``ComputeNode.availability_zone``, instead of
  calling the nova API;
- **the same instances as Watcher's build** (``queries/watcher_model``): no
  ironic node and none of its instances, no instance on no host
  (shelved-offloaded, building or in error without one), none on a host
  whose service was deleted (``gone``). Watcher's build never has unmapped
  instances either, as it lists instances host by host; only its
  notification handler leaves a deleted service's instances unmapped in its
  cached model;
- **when Neo4j is down** :meth:`GraphComputeModelCollector.execute` raises
  Watcher's ``ClusterDataModelCollectionError`` within a few seconds (the
  collector's own ``connection_timeout`` and ``max_transaction_retry_time``
  defaults) and the audit fails with that message; it never serves an older
  model, because a stale edge is what makes Watcher migrate the wrong
  instance. Audit scopes raise the same exception.

Configuration: the options are read from
``[watcher_cluster_data_model_collectors.graphcdm_compute]`` of Watcher's
configuration, also when the route of :mod:`graphcdm.read.watcher_route`
serves it to stock strategies as ``compute``: ``uri`` (no default: unset,
the collector refuses to load), ``user``, ``password``, ``database``,
``max_connection_pool_size``, ``connection_timeout``,
``max_transaction_retry_time`` and the collector's ``period``. Except for the
three whose defaults differ (uri, and the two timeouts), they are the same
option objects as :mod:`graphcdm.conf.neo4j`.
"""

from __future__ import annotations

import logging
import threading
import types
from typing import Any

import neo4j
from oslo_config import cfg
from watcher.common import exception
from watcher.decision_engine.model.collector import base
from watcher.decision_engine.model.collector import nova as nova_collector
from watcher.decision_engine.scope import compute as compute_scope

from graphcdm import redact
from graphcdm.conf import neo4j as neo4j_opts
from graphcdm.graph import db
from graphcdm.read.query import GraphQuery

LOG = logging.getLogger(__name__)

#: Where Watcher's loader reads this collector's options (its entry point name).
CONFIG_GROUP = "watcher_cluster_data_model_collectors.graphcdm_compute"

#: Options whose default inside Watcher differs from graphcdm's own [neo4j].
_WATCHER_OPTS = {
    "uri": cfg.StrOpt(
        "uri",
        help="Bolt URI of graphcdm's Neo4j (bolt://, neo4j://, bolt+s://, neo4j+s://). "
             "No default: unset, the collector refuses to load (LoadingError) rather than "
             "read whatever graph answers on a default address."),
    "connection_timeout": cfg.FloatOpt(
        "connection_timeout", default=3.0, min=0.1,
        help="Seconds to wait for a TCP connection to Neo4j; an audit fails after about "
             "this plus max_transaction_retry_time when Neo4j is down."),
    "max_transaction_retry_time": cfg.FloatOpt(
        "max_transaction_retry_time", default=2.0, min=0.0,
        help="Seconds the driver retries a failed read before the audit fails with "
             "ClusterDataModelCollectionError."),
}
#: [neo4j] options that make sense inside Watcher (write_retries does not).
_OPTS = [_WATCHER_OPTS.get(o.dest, o) for o in neo4j_opts.OPTS if o.dest != "write_retries"]
#: What a read of a down, unreachable or refusing Neo4j raises.
_STORE_ERRORS = (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError)


def _collection_error(what: str, exc: BaseException) -> exception.ClusterDataModelCollectionError:
    LOG.error("could not read %s from Neo4j: %s: %s", what, type(exc).__name__, exc)
    return exception.ClusterDataModelCollectionError(cdm="compute")


class GraphComputeScope(compute_scope.ComputeScope):
    """Watcher's compute audit scope, with aggregates and zones looked up in the graph.

    Watcher's ``ComputeScope`` asks nova for aggregates and services; the
    graph already holds both, so the scope costs two small indexed queries
    and no nova credentials. Everything else (exclusions, metadata,
    projects, the wildcard rules) is Watcher's own code. A graph that cannot
    be read raises Watcher's ``ClusterDataModelCollectionError``.
    """

    def __init__(self, scope: list[dict[str, Any]], config: Any, query: GraphQuery) -> None:
        # Not ComputeScope.__init__: it builds a nova client we do not need.
        compute_scope.base.BaseScope.__init__(self, scope, config)
        self.query = query

    def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        try:
            return self.query.read(name, **params)
        except _STORE_ERRORS as exc:
            raise _collection_error("the audit scope", exc) from exc

    def _collect_aggregates(self, host_aggregates: list[dict[str, Any]],
                            compute_nodes: list[str]) -> None:
        ids = [a["id"] for a in host_aggregates if "id" in a]
        names = [a["name"] for a in host_aggregates if "name" in a]
        every = any(self._check_wildcard(field) for field in (ids, names))
        rows = self._read("queries/scope_aggregate_hosts", all=every,
                          ids=[i for i in ids if i != "*"],
                          names=[n for n in names if n != "*"])
        compute_nodes.extend(r["hostname"] for r in rows)

    def _collect_zones(self, availability_zones: list[dict[str, Any]],
                       allowed_nodes: list[str]) -> None:
        names = [zone["name"] for zone in availability_zones]
        every = "*" in names
        if every and len(names) > 1:
            raise exception.WildcardCharacterIsUsed(resource="availability zones")
        rows = self._read("queries/scope_zone_hosts", all=every, names=names)
        allowed_nodes.extend(r["hostname"] for r in rows)


class GraphComputeModelCollector(base.BaseClusterDataModelCollector):
    """Watcher's compute CDM, read from graphcdm's Neo4j graph (see the module docstring)."""

    #: Watcher's compute audit-scope schema (the same object): watcher-api validates
    #: scopes against each collector's SCHEMA, and audit scopes mean the same here.
    SCHEMA = nova_collector.NovaClusterDataModelCollector.SCHEMA

    def __init__(self, config: Any, osc: Any = None, driver: neo4j.Driver | None = None) -> None:
        if not config.get("uri"):
            # oslo.config only warns about a missing required option on reload;
            # refusing here makes Watcher's loader raise LoadingError at start.
            LOG.error("[%s] uri is not set: the graphcdm collector has no graph to read",
                      CONFIG_GROUP)
            raise exception.LoadingError(name="graphcdm_compute")
        super().__init__(config, osc)
        self._driver = driver
        self._driver_lock = threading.Lock()

    @classmethod
    def get_config_opts(cls) -> list[Any]:
        return super().get_config_opts() + list(_OPTS)

    # -- plumbing -------------------------------------------------------
    @property
    def redacted_uri(self) -> str:
        return redact.url(self.config.uri)

    @property
    def query(self) -> GraphQuery:
        """A :class:`GraphQuery` on the configured Neo4j (driver made on first use)."""
        with self._driver_lock:
            if self._driver is None:
                # A server that accepts and never answers is bounded by the
                # acquisition timeout, not connection_timeout (TCP connect only).
                self._driver = db.connect(
                    types.SimpleNamespace(neo4j=self.config),
                    connection_acquisition_timeout=self.config.connection_timeout)
                LOG.info("graphcdm collector reads Neo4j %s", self.redacted_uri)
        return GraphQuery(self._driver, self.config.get("database", "neo4j"))

    # -- Watcher's interface --------------------------------------------
    @property
    def notification_endpoints(self) -> list[Any]:
        """None: graphcdm's listener already applies nova's notifications to the graph."""
        return []

    def get_audit_scope_handler(self, audit_scope: list[dict[str, Any]]) -> GraphComputeScope:
        self._audit_scope_handler = GraphComputeScope(audit_scope, self.config, self.query)
        self._data_model_scope = audit_scope
        return self._audit_scope_handler

    def execute(self) -> Any:
        """Build the compute model from the graph (one Cypher round trip)."""
        try:
            model = self.query.to_watcher_model()
        except _STORE_ERRORS as exc:
            raise _collection_error("the compute model", exc) from exc
        LOG.debug("compute model from the graph: %d nodes and instances", len(model))
        return model

    def get_latest_cluster_data_model(self) -> Any:
        """A fresh model from the graph (the graph is current; no stale copy to deep-copy)."""
        model = self.execute()
        self.cluster_data_model = model
        return model
