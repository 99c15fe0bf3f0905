"""The graph writer: the only code that writes Neo4j.

Changes become rows for the parameterised statements in ``cypher/``; a
batch is reduced to the newest change per entity and aspect
(:func:`graphcdm.graph.changes.newest_per_key`), then applied as one managed
write transaction (``execute_write``) with one ``UNWIND`` statement per
change type. Every statement is guarded by versions and tombstones, so the
statements commute: their order inside the transaction does not change the
result, and neither does applying a batch twice.

Batches may commit concurrently (listener threads): each statement takes
the write lock of the entity before it reads its version, ``instance_guard``
removes an instance a concurrently committed tombstone forbids, and
``service_delete`` locks each of a deleted host's nodes and instances and
re-reads it under that lock (``service_delete_lock`` can lock only what was
committed when it ran). Nodes: every move names its node
(``node_seen``, for superseded moves too); a host known only by name gets a
*host-only placeholder* that ``fold_placeholders`` merges into the real
node once one is known.

Transient failures are retried by the driver inside ``execute_write``; when
the driver gives up (server down, connection lost), tenacity retries the
whole batch with exponential back-off before :class:`WriteFailed` tells the
caller (the listener requeues, replay exits 2).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import neo4j
import neo4j.exceptions as nex
import tenacity

from graphcdm.graph import cypher
from graphcdm.graph.changes import (
    Change,
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceDelete,
    ServiceUpsert,
    newest_per_key,
)

LOG = logging.getLogger(__name__)

#: Errors after which trying again later can succeed.
RETRYABLE = (nex.ServiceUnavailable, nex.SessionExpired, nex.TransientError,
             nex.IncompleteCommit, ConnectionError, OSError)


class WriteFailed(RuntimeError):
    """The batch could not be committed after all retries."""


def _instance_upsert(c: InstanceUpsert) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version, "attrs": c.attrs}


def _instance_move(c: InstanceMove) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version, "host": c.host, "node": c.node}


def _instance_unmap(c: InstanceUnmap) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version}


def _instance_delete(c: InstanceDelete) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version, "final": c.final}


def _service_upsert(c: ServiceUpsert) -> dict[str, Any]:
    row = dataclasses.asdict(c)
    row["status"] = "disabled" if c.disabled else "enabled"
    row["state"] = "down" if c.forced_down else "up"
    return row


def _service_delete(c: ServiceDelete) -> dict[str, Any]:
    return {"host": c.host, "version": c.version}


#: change type -> (statement name, row builder); a type may run several
#: statements, in this order. Order is otherwise irrelevant to the
#: result (the statements commute) but services go first so that a node a
#: move needs already carries its service status.
STATEMENTS: list[tuple[type, str, Any]] = [
    (ServiceUpsert, "service_upsert", _service_upsert),
    (ServiceDelete, "service_delete_lock", _service_delete),
    (ServiceDelete, "service_delete", _service_delete),
    (InstanceUpsert, "instance_upsert", _instance_upsert),
    (InstanceMove, "instance_move", _instance_move),
    (InstanceUnmap, "instance_unmap", _instance_unmap),
    (InstanceDelete, "instance_delete", _instance_delete),
]


def node_rows(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """One ``node_seen`` row per compute node the batch's moves name. Pure.

    Why not only the winning moves: each move, even one a newer move of the
    same instance supersedes, tells that its node exists (and when it was
    seen alive); applying the batch must leave the nodes that applying its
    notifications one by one would. Host-only rows (node unknown) are
    dropped when the batch names a node of that host.
    """
    best: dict[tuple[str, str | None], str] = {}
    for c in changes:
        if isinstance(c, InstanceMove):
            key = (c.host, c.node)
            if c.version > best.get(key, ""):
                best[key] = c.version
    named = {host for host, node in best if node is not None}
    ordered = sorted(best.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    return [{"host": host, "node": node, "version": version}
            for (host, node), version in ordered if node is not None or host not in named]


#: Run after the statements for every instance the batch wrote (see the file).
GUARD = "instance_guard"

#: Run (without rows) after the statements when a batch may have created
#: compute nodes: it folds host-only placeholders into real nodes.
FOLD = "fold_placeholders"


def rows_by_statement(changes: Iterable[Change]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Reduce a batch and turn it into (statement, rows) pairs. Pure.

    Then ``GUARD`` for the instances the batch wrote, and, when the batch
    places instances or upserts services (which may create compute nodes),
    ``(FOLD, [])`` last.
    """
    changes = list(changes)
    reduced = newest_per_key(changes)
    out = []
    seen = node_rows(changes)
    for kind, name, build in STATEMENTS:
        if kind is InstanceUpsert and seen:
            out.append(("node_seen", seen))
        rows = [build(c) for c in reduced if type(c) is kind]
        if rows:
            out.append((name, rows))
    touched = sorted({c.uuid for c in changes
                      if isinstance(c, (InstanceUpsert, InstanceMove, InstanceUnmap))})
    if touched:
        out.append((GUARD, [{"uuid": uuid} for uuid in touched]))
    if any(name in ("instance_move", "service_upsert") for name, _ in out):
        out.append((FOLD, []))
    return out


class GraphWriter:
    """Applies batches of changes to Neo4j; see the module docstring."""

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j", retries: int = 8,
                 max_backoff: float = 30.0) -> None:
        self.driver = driver
        self.database = database
        self.retries = retries
        self.max_backoff = max_backoff

    # -- schema ---------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create constraints and indexes if missing (idempotent), then wait for them.

        No schema statement means a broken install, not an empty schema: without
        the uniqueness constraints MERGE is neither fast nor safe across
        listeners, so this raises rather than carrying on.
        """
        statements = cypher.names("schema")
        if not statements:
            raise RuntimeError(f"no schema statement found in {cypher.PACKAGE} (schema/*.cypher): "
                               "the installed package is incomplete")
        for name in statements:
            self._run_auto(cypher.load(name))
        self._run_auto("CALL db.awaitIndexes(300)")

    # -- writes ---------------------------------------------------------
    def apply(self, changes: Sequence[Change]) -> dict[str, int]:
        """Commit a batch; returns Neo4j's update counters summed over statements."""
        work = rows_by_statement(changes)
        if not work:
            return {}
        return self._retrying(self._commit, work)

    def _commit(self, work: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, int]:
        def tx_fn(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            totals: dict[str, int] = {}
            for name, rows in work:
                params = {"rows": rows} if rows else {}
                summary = tx.run(cypher.load(name), params).consume()
                for key, value in vars(summary.counters).items():
                    if isinstance(value, int) and not isinstance(value, bool) and value:
                        totals[key] = totals.get(key, 0) + value
            return totals

        with self.driver.session(database=self.database) as session:
            return session.execute_write(tx_fn)

    def fold_placeholders(self) -> int:
        """Fold host-only placeholder nodes into the real node of their host.

        :meth:`apply` does it after every batch that may create nodes; code
        that creates compute nodes another way (the resync) calls this after.
        """
        def tx_fn(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(cypher.load(FOLD)).single()
            return int(record["folded"]) if record else 0
        with self.driver.session(database=self.database) as session:
            return self._retrying(session.execute_write, tx_fn)

    def purge_tombstones(self, max_age_seconds: int, limit: int = 10000) -> int:
        """Delete tombstones older than the given age; returns how many.

        Instances marked ``gone`` with a deleted service go first: their
        mark is derived from the service tombstone about to be dropped.
        """
        total = 0
        for name in ("purge_gone_instances", "purge_tombstones"):
            while True:
                def tx_fn(tx: neo4j.ManagedTransaction, name: str = name) -> int:
                    record = tx.run(cypher.load(name),
                                    max_age_seconds=max_age_seconds, limit=limit).single()
                    return int(record["purged"]) if record else 0
                with self.driver.session(database=self.database) as session:
                    purged = self._retrying(session.execute_write, tx_fn)
                total += purged if name == "purge_tombstones" else 0
                if purged < limit:
                    break
        return total

    def reset(self) -> None:
        """Empty the graph; constraints and indexes stay."""
        self._run_auto(cypher.load("reset"))

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read query from ``cypher/`` and return its records as dicts."""
        def tx_fn(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [r.data() for r in tx.run(cypher.load(name), **params)]
        with self.driver.session(database=self.database) as session:
            return self._retrying(session.execute_read, tx_fn)

    # -- plumbing -------------------------------------------------------
    def _run_auto(self, statement: str) -> None:
        def run() -> None:
            with self.driver.session(database=self.database) as session:
                session.run(statement).consume()
        self._retrying(run)

    def _retrying(self, fn: Any, *args: Any) -> Any:
        retryer = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=tenacity.wait_exponential(multiplier=0.5, max=self.max_backoff),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return retryer(fn, *args)
        except RETRYABLE as exc:
            raise WriteFailed(f"Neo4j write failed after {self.retries + 1} attempts: "
                              f"{type(exc).__name__}: {exc}") from exc

    # -- resync (graphcdm.sync) -------------------------------------------
    #: Statements of cypher/sync/ that write, each for UNWIND $rows batches.
    SYNC_WRITES = ("compute_nodes", "aggregates", "memberships", "remove_instances",
                   "remove_compute_nodes", "remove_aggregates")

    def sync_write(self, name: str, rows: Sequence[dict[str, Any]], batch_size: int = 2000,
                   progress: Any = None) -> dict[str, int]:
        """Run ``cypher/sync/<name>`` over ``rows`` in batches, one transaction each.

        Why batches and not one transaction: a snapshot of a large cloud is
        tens of thousands of rows; each batch is guarded on its own (versions,
        tombstones), so committing them separately changes no result.
        ``progress(n)`` is called with the rows done after each batch.
        """
        if name not in self.SYNC_WRITES:
            raise KeyError(f"not a resync statement: {name}")
        totals: dict[str, int] = {}
        for start in range(0, len(rows), batch_size):
            chunk = list(rows[start:start + batch_size])
            counters = self._retrying(self._commit, [(f"sync/{name}", chunk)])
            for key, value in counters.items():
                totals[key] = totals.get(key, 0) + value
            if progress:
                progress(start + len(chunk))
        return totals


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    sleep = state.next_action.sleep if state.next_action else 0
    LOG.warning("Neo4j unavailable (%s: %s); retry %d in %.1fs", type(exc).__name__,
                str(exc)[:200], state.attempt_number, sleep)

