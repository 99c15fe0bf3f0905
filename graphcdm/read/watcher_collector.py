"""A Watcher cluster-data-model collector that reads the compute model from graphcdm.

Entry point (setup.cfg): ``watcher_cluster_data_model_collectors:
graphcdm_compute = graphcdm.read.watcher_collector:GraphComputeModelCollector``.

Why it differs from Watcher's nova collector:

- **no notification endpoints**: graphcdm's own listener keeps the graph
  current from nova's notifications, so Watcher must not consume them a
  second time (and inherit the bugs listed in DESIGN.md);
- **the model is rebuilt from the graph on demand** in one Cypher round
  trip (:meth:`graphcdm.read.query.GraphQuery.to_watcher_model`) instead of
  being cached and deep-copied: the graph *is* the up-to-date model, and a
  fresh build is cheaper than a deep copy of a large model; instances left
  on a host whose service was deleted (``gone`` in the graph) are not in
  it, where Watcher's nova collector keeps them unmapped;
- **audit scopes are resolved in the graph** (:class:`GraphComputeScope`):
  host aggregates via ``(:ComputeNode)-[:MEMBER_OF]->(:Aggregate)`` and
  availability zones via ``ComputeNode.availability_zone``, instead of
  calling the nova API.

Configuration: the ``[neo4j]`` options of graphcdm (uri, user, password,
database, ...) are registered in Watcher's own configuration under
``[watcher_cluster_data_model_collectors.graphcdm_compute]``, next to the
collector's ``period``; they are the same option objects as
:mod:`graphcdm.conf.neo4j`, not copies.

Stock Watcher strategies ask the collector manager for the collector named
``compute`` (Watcher 17.0.0 hard-codes the name), so they use this collector
only when it is registered under that name instead of Watcher's nova one.
"""

from __future__ import annotations

import logging
import threading
import types
from typing import Any

import neo4j
from watcher.decision_engine.model.collector import base
from watcher.decision_engine.scope import compute as compute_scope

from graphcdm import redact
from graphcdm.conf import neo4j as neo4j_opts
from graphcdm.graph import db
from graphcdm.read.query import GraphQuery

LOG = logging.getLogger(__name__)

#: [neo4j] options that make sense inside Watcher (write_retries does not).
_OPTS = [o for o in neo4j_opts.OPTS if o.dest != "write_retries"]


class GraphComputeScope(compute_scope.ComputeScope):
    """Watcher's compute audit scope, with aggregates and zones looked up in the graph.

    Watcher's ``ComputeScope`` asks nova for aggregates and services; the
    graph already holds both, so the scope costs two small indexed queries
    and no nova credentials. Everything else (exclusions, metadata,
    projects, the wildcard rules) is Watcher's own code.
    """

    def __init__(self, scope: list[dict[str, Any]], config: Any, query: GraphQuery) -> None:
        # Not ComputeScope.__init__: it builds a nova client we do not need.
        compute_scope.base.BaseScope.__init__(self, scope, config)
        self.query = query

    def _collect_aggregates(self, host_aggregates: list[dict[str, Any]],
                            compute_nodes: list[str]) -> None:
        ids = [a["id"] for a in host_aggregates if "id" in a]
        names = [a["name"] for a in host_aggregates if "name" in a]
        every = any(self._check_wildcard(field) for field in (ids, names))
        rows = self.query.read("queries/scope_aggregate_hosts", all=every,
                               ids=[i for i in ids if i != "*"],
                               names=[n for n in names if n != "*"])
        compute_nodes.extend(r["hostname"] for r in rows)

    def _collect_zones(self, availability_zones: list[dict[str, Any]],
                       allowed_nodes: list[str]) -> None:
        names = [zone["name"] for zone in availability_zones]
        every = "*" in names
        if every and len(names) > 1:
            from watcher.common import exception
            raise exception.WildcardCharacterIsUsed(resource="availability zones")
        rows = self.query.read("queries/scope_zone_hosts", all=every, names=names)
        allowed_nodes.extend(r["hostname"] for r in rows)


class GraphComputeModelCollector(base.BaseClusterDataModelCollector):
    """Watcher's compute CDM, read from graphcdm's Neo4j graph (see the module docstring)."""

    def __init__(self, config: Any, osc: Any = None, driver: neo4j.Driver | None = None) -> None:
        super().__init__(config, osc)
        self._driver = driver
        self._driver_lock = threading.Lock()

    @classmethod
    def get_config_opts(cls) -> list[Any]:
        return super().get_config_opts() + list(_OPTS)

    # -- plumbing -------------------------------------------------------
    @property
    def query(self) -> GraphQuery:
        """A :class:`GraphQuery` on the configured Neo4j (driver made on first use)."""
        with self._driver_lock:
            if self._driver is None:
                self._driver = db.connect(types.SimpleNamespace(neo4j=self.config))
                LOG.info("graphcdm collector reads Neo4j %s", redact.url(self.config.uri))
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
        from watcher.common import exception

        try:
            model = self.query.to_watcher_model()
        except Exception as exc:
            LOG.exception("could not read the compute model from Neo4j")
            raise exception.ClusterDataModelCollectionError(cdm="compute") from exc
        LOG.debug("compute model from the graph: %d nodes and instances", len(model))
        return model

    def get_latest_cluster_data_model(self) -> Any:
        """A fresh model from the graph (the graph is current; no stale copy to deep-copy)."""
        model = self.execute()
        self.cluster_data_model = model
        return model
