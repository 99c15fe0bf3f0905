"""The graph writer: the only code that writes Neo4j (it never reads it:
reading is :class:`graphcdm.read.query.GraphQuery`'s).

Changes become rows for the parameterised statements in ``cypher/``; a
batch is reduced to the newest change per entity and aspect
(:func:`graphcdm.graph.changes.newest_per_key`), then applied as one managed
write transaction (``execute_write``) running :data:`PLAN`, an explicit,
ordered list of steps (a statement and how it gets its ``UNWIND`` rows from
the batch), the way a Cartography ``GraphJob`` is an ordered list of
statements. Every statement is guarded by versions and tombstones, so the
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
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import neo4j
import neo4j.exceptions as nex
import tenacity

from graphcdm.graph import cypher, tx
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

#: Errors after which trying again later can succeed (see :func:`is_retryable`).
RETRYABLE = (nex.ServiceUnavailable, nex.SessionExpired, nex.TransientError,
             nex.IncompleteCommit, ConnectionError, OSError)


def is_retryable(exc: BaseException) -> bool:
    """Trying again later can succeed: a RETRYABLE error, bare or as the cause
    of a ``ResultFailedError``.

    Why the cause: when the connection dies in the middle of a transaction,
    the driver may raise the connection error (retryable) not from the
    statement that met it but as the cause of a ``ResultFailedError`` ("this
    result or another result in the same transaction has encountered an
    error"), which the driver itself does not retry. Seen under four
    concurrent writers (tests/functional/test_properties.py).
    """
    if isinstance(exc, nex.ResultFailedError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return isinstance(exc, RETRYABLE)


#: The server refusing *us*, not the data (credentials, rate limit, rights):
#: ``Neo.ClientError.Security.*``. Not retried here: retrying a rate limit
#: makes it worse, and the caller requeues with its own back-off.
SECURITY_CODE = "Neo.ClientError.Security."

#: ClientErrors about the database's state, not the data: the database is
#: missing, stopping or starting (``Database.DatabaseNotFound``,
#: ``Database.DatabaseUnavailable``), not the writer (``Cluster.*``) or a
#: transaction the server ended (``Transaction.LockClientStopped``,
#: ``Transaction.Terminated``), besides the security codes above.
DATABASE_CODES = (SECURITY_CODE, "Neo.ClientError.Database.", "Neo.ClientError.Cluster.",
                  "Neo.ClientError.Transaction.LockClientStopped",
                  "Neo.ClientError.Transaction.Terminated")

#: Driver errors about how we connect (TLS and certificate configuration).
CONNECTION_CONFIG = (nex.ConfigurationError,)


class WriteFailed(RuntimeError):
    """The batch could not be committed: the database's fault, not the data's.

    Raised after all retries for an unreachable server, at once when the
    server refuses our credentials or rate-limits us (any
    ``Neo.ClientError.Security`` code) or the connection is misconfigured
    (TLS). The caller must requeue, never acknowledge.
    """


def _has_code(exc: BaseException, prefixes: str | tuple[str, ...]) -> bool:
    """``exc`` is a server error whose Neo4j status code starts with ``prefixes``."""
    code = getattr(exc, "code", None)
    return isinstance(exc, nex.Neo4jError) and isinstance(code, str) and \
        code.startswith(prefixes)


def is_security_error(exc: BaseException) -> bool:
    """The server refused the client (auth, rate limit, forbidden), not the data."""
    return _has_code(exc, SECURITY_CODE)


def is_database_fault(exc: BaseException) -> bool:
    """The error is about the database or the client (see DATABASE_CODES), not the data."""
    return _has_code(exc, DATABASE_CODES)


def _instance_writes(batch: Batch) -> Rows:
    """One ``instance_write`` row per instance: its winning attribute change and
    its winning move together (either may be absent), in first-seen order.

    Why together: one statement then looks up, merges and locks each
    instance once instead of once per aspect. Attribute part: ``version`` /
    ``oldest`` the newest / oldest of the fields' versions, ``version_props``
    the same as ``{v_<field>: version}`` properties (None: no attribute
    change); placement part: ``place_version``, ``host``, ``node`` (None:
    no move).
    """
    rows: dict[str, dict[str, Any]] = {}
    for c in batch.reduced:
        if isinstance(c, InstanceUpsert):
            versions = c.field_versions()
            rows.setdefault(c.uuid, _empty_write(c.uuid)).update(
                attrs=c.attrs, versions=versions, version=c.version,
                oldest=min(versions.values(), default=c.version),
                version_props={f"v_{k}": v for k, v in versions.items()})
        elif isinstance(c, InstanceMove):
            rows.setdefault(c.uuid, _empty_write(c.uuid)).update(
                place_version=c.version, host=c.host, node=c.node)
    return list(rows.values())


def _empty_write(uuid: str) -> dict[str, Any]:
    return {"uuid": uuid, "attrs": None, "versions": None, "version": None, "oldest": None,
            "version_props": None, "place_version": None, "host": None, "node": None}


def _instance_unmap(c: InstanceUnmap) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version}


def _instance_delete(c: InstanceDelete) -> dict[str, Any]:
    return {"uuid": c.uuid, "version": c.version, "final": c.final}


def _service_upsert(c: ServiceUpsert) -> dict[str, Any]:
    """A ``service_upsert`` row: status under ``version``, state under ``state_version``."""
    row = dataclasses.asdict(c)
    del row["disabled"]
    row["status"] = "disabled" if c.disabled else "enabled"
    if c.state is None:
        row["state_version"] = None
    elif c.state_version is None:
        row["state_version"] = c.version
    return row


def _service_delete(c: ServiceDelete) -> dict[str, Any]:
    return {"host": c.host, "version": c.version}


Rows = list[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Batch:
    """A batch of changes as the plan sees it: all of them and the winners."""

    changes: list[Change]
    reduced: list[Change]


@dataclasses.dataclass(frozen=True)
class FromGraph:
    """Rows a step reads in the same transaction: the records of read statement ``statement``."""

    statement: str


@dataclasses.dataclass(frozen=True)
class Step:
    """One statement of the plan and how it gets its rows from a batch.

    ``rows`` returns the statement's ``$rows`` (skipped when empty), a
    :class:`FromGraph` (rows read when the step runs; skipped when none),
    or, for a statement without parameters, ``[]`` to run it and None to skip.
    """

    statement: str
    rows: Callable[[Batch], Rows | FromGraph | None]
    parameters: bool = True


def _of(kind: type, build: Callable[[Any], dict[str, Any]]) -> Callable[[Batch], Rows]:
    """Rows of the batch's winning changes of one type."""
    return lambda batch: [build(c) for c in batch.reduced if type(c) is kind]


def _touched(batch: Batch) -> Rows:
    """One row per instance the batch writes (for ``instance_guard``)."""
    uuids = {c.uuid for c in batch.changes
             if isinstance(c, (InstanceUpsert, InstanceMove, InstanceUnmap))}
    return [{"uuid": uuid} for uuid in sorted(uuids)]


def _may_create_nodes(batch: Batch) -> bool:
    return any(isinstance(c, (InstanceMove, ServiceUpsert)) for c in batch.reduced)


def _placeholder_status(batch: Batch) -> FromGraph | None:
    """Before a fold, host-only placeholders' service status goes to their host's
    nodes through ``service_upsert`` (the one status rule), rows read by ``fold_status``."""
    return FROM_PLACEHOLDERS if _may_create_nodes(batch) else None


def _folds(batch: Batch) -> Rows | None:
    """``fold_placeholders`` runs (without rows) when the batch may have created nodes."""
    return [] if _may_create_nodes(batch) else None


FROM_PLACEHOLDERS = FromGraph("fold_status")


#: What one batch runs, in this order, in one transaction (a GraphJob).
#: The statements up to ``instance_delete`` commute (their order does not
#: change the result; services first only so that a node a move needs
#: already carries its service status). ``instance_guard`` must come after
#: every statement that writes instances; then, when the batch may have
#: created nodes, placeholders' status goes to the real nodes (rows read from
#: the graph) and ``fold_placeholders`` folds the placeholders, last.
PLAN: tuple[Step, ...] = (
    Step("service_upsert", _of(ServiceUpsert, _service_upsert)),
    Step("service_delete_lock", _of(ServiceDelete, _service_delete)),
    Step("service_delete", _of(ServiceDelete, _service_delete)),
    Step("node_seen", lambda batch: node_rows(batch.changes)),
    Step("instance_write", _instance_writes),
    Step("instance_unmap", _of(InstanceUnmap, _instance_unmap)),
    Step("instance_delete", _of(InstanceDelete, _instance_delete)),
    Step("instance_guard", _touched),
    Step("service_upsert", _placeholder_status),
    Step("fold_placeholders", _folds, parameters=False),
)


def notification_key(version: str) -> str:
    """What identifies the notification a version came from: time and message id.

    The causal rank (``envelope.ranked``: ``T|r|id``) depends on the event
    type, so two notifications with one message id and one timestamp but
    other event types have other versions and still are one message id
    repeated. Notifications' versions are all ranked, so dropping the two
    characters of ``|r`` is the key; ``node_seen`` and ``instance_delete``
    compute the same one in Cypher (``left(v, 17) + substring(v, 19)``).
    """
    return version[:17] + version[19:]


def node_rows(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """One ``node_seen`` row per compute node the batch's moves name. Pure.

    Why not only the winning moves: each move, even one a newer move of the
    same instance supersedes, tells that its node exists (and when it was
    seen alive); applying the batch must leave the nodes that applying its
    notifications one by one would. Host-only rows (node unknown) are
    dropped when the batch names a node of that host.

    A repeated message id with the same timestamp is the same notification
    (:func:`notification_key`, whatever rank its event type gives it): only
    its first content counts, so a later move with that key and another host
    or node names no node. Each row carries the
    ``uuid`` of the move that gave its version, for ``node_seen`` to apply
    the same rule against what earlier batches committed.
    """
    first: dict[tuple[str, str], tuple[str, str | None]] = {}
    best: dict[tuple[str, str | None], tuple[str, str]] = {}
    for c in changes:
        if isinstance(c, InstanceMove):
            once = (c.uuid, notification_key(c.version))
            if first.setdefault(once, (c.host, c.node)) != (c.host, c.node):
                continue  # a repeated id with other content: the first one won
            key = (c.host, c.node)
            if c.version > best.get(key, ("", ""))[0]:
                best[key] = (c.version, c.uuid)
    named = {host for host, node in best if node is not None}
    ordered = sorted(best.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    return [{"host": host, "node": node, "version": version, "uuid": uuid}
            for (host, node), (version, uuid) in ordered
            if node is not None or host not in named]


def rows_by_statement(changes: Iterable[Change]) -> list[tuple[str, Rows | FromGraph]]:
    """The (statement, rows) pairs :data:`PLAN` gives for a batch. Pure.

    The batch is reduced to the newest change per entity and aspect first
    (:func:`graphcdm.graph.changes.newest_per_key`).
    """
    changes = list(changes)
    batch = Batch(changes, newest_per_key(changes))
    out = []
    for step in PLAN:
        rows = step.rows(batch)
        if rows is None or (step.parameters and not rows):
            continue
        out.append((step.statement, rows))
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
        return self.apply_parts([changes])

    def apply_parts(self, parts: Sequence[Sequence[Change]]) -> dict[str, int]:
        """Commit parts of a batch in one transaction, the plan run part after part.

        Why parts: within one plan run the statements' order, not the
        notifications' arrival order, decides between changes whose versions
        tie (a repeated message id with other content, where the first
        content committed wins: see docs/ARCHITECTURE.md). A caller that cuts
        its batch before each repeated notification key gets what applying
        the notifications one by one gives, still in one commit.
        """
        work = [pair for part in parts for pair in rows_by_statement(part)]
        if not work:
            return {}
        return self._write(_run_plan, work)

    def confirm_writable(self) -> None:
        """Raise :class:`WriteFailed` unless Neo4j commits a write transaction now.

        Why: a refusal is blamed on the data only while the database is well.
        A server stopping or starting answers a transaction with errors that
        look like the data's (``DatabaseError``s, ClientErrors of other
        codes); a notification rejected then is acknowledged and lost. The
        pipeline asks this before it rejects a notification for Neo4j's
        refusal, and requeues instead when the database is not well.
        """
        try:
            self._write(_probe_tx)  # the database's faults already raise WriteFailed
        except nex.Neo4jError as exc:
            raise WriteFailed(f"Neo4j cannot take writes: {type(exc).__name__}: "
                              f"{getattr(exc, 'code', None) or str(exc)[:200]}") from exc

    def fold_placeholders(self) -> int:
        """Fold host-only placeholder nodes into the real node of their host.

        :meth:`apply` does it after every batch that may create nodes; code
        that creates compute nodes another way (the resync) calls this after.
        """
        return self._write(_fold_tx)

    def purge_tombstones(self, max_age_seconds: int, limit: int = 10000) -> int:
        """Delete tombstones older than the given age; returns how many.

        Instances marked ``gone`` with a deleted service go first: their
        mark is derived from the service tombstone about to be dropped.
        """
        params = {"max_age_seconds": max_age_seconds, "limit": limit}
        total = 0
        for name in ("purge_gone_instances", "purge_tombstones"):
            while True:
                purged = self._write(tx.value, name, "purged", params)
                total += purged if name == "purge_tombstones" else 0
                if purged < limit:
                    break
        return total

    def reset(self) -> None:
        """Empty the graph; constraints and indexes stay."""
        self._run_auto(cypher.load("reset"))

    # -- plumbing -------------------------------------------------------
    def _run_auto(self, statement: str) -> None:
        def run() -> None:
            with self.driver.session(database=self.database) as session:
                session.run(statement).consume()
        self._retrying(run)

    def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(tx, *args)`` in one managed write transaction, retried (tenacity)."""
        def attempt() -> Any:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(fn, *args)
        return self._retrying(attempt)

    def _retrying(self, fn: Any, *args: Any) -> Any:
        retryer = tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_retryable),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=tenacity.wait_exponential(multiplier=0.5, max=self.max_backoff),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return retryer(fn, *args)
        except Exception as exc:
            failed = _write_failed(exc, self.retries + 1)
            if failed is None:
                raise  # the data's: the caller isolates it
            raise failed from exc

    # -- resync (graphcdm.sync) -------------------------------------------
    #: Statements of cypher/sync/ that write, each for UNWIND $rows batches.
    SYNC_WRITES = ("compute_nodes", "aggregates", "memberships", "remove_compute_nodes",
                   "remove_aggregates", "lift_tombstones")

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
            tx.add(totals, self._write(_run_plan, [(f"sync/{name}", chunk)]))
            if progress:
                progress(start + len(chunk))
        return totals


def _probe_tx(t: neo4j.ManagedTransaction) -> None:
    t.run("RETURN 1").consume()


def _run_plan(t: neo4j.ManagedTransaction, work: list[tuple[str, Rows | FromGraph]]
              ) -> dict[str, int]:
    """Run (statement, rows) pairs in order in one transaction; summed counters."""
    totals: dict[str, int] = {}
    for name, rows in work:
        if isinstance(rows, FromGraph):
            rows = tx.records(t, rows.statement)
            if not rows:
                continue
        tx.add(totals, tx.counters(t, name, {"rows": rows} if rows else None))
    return totals


def _fold_tx(t: neo4j.ManagedTransaction) -> int:
    """The plan's last two steps on their own; how many placeholders were folded."""
    _run_plan(t, [("service_upsert", FROM_PLACEHOLDERS)])
    return tx.value(t, "fold_placeholders", "folded")


def _write_failed(exc: Exception, attempts: int) -> WriteFailed | None:
    """The WriteFailed ``exc`` amounts to (the database's fault), or None (the data's)."""
    if is_retryable(exc):
        return WriteFailed(f"Neo4j write failed after {attempts} attempts: "
                           f"{type(exc).__name__}: {exc}")
    if is_security_error(exc):
        return WriteFailed(f"Neo4j refuses this client: {getattr(exc, 'code', None)}")
    if is_database_fault(exc):
        return WriteFailed(f"Neo4j cannot take writes: {getattr(exc, 'code', None)}")
    if isinstance(exc, CONNECTION_CONFIG):
        return WriteFailed(f"Neo4j connection misconfigured: {type(exc).__name__}: "
                           f"{str(exc)[:200]}")
    return None


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    sleep = state.next_action.sleep if state.next_action else 0
    LOG.warning("Neo4j unavailable (%s: %s); retry %d in %.1fs", type(exc).__name__,
                str(exc)[:200], state.attempt_number, sleep)

