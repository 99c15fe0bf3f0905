"""The one path from a notification to the graph: decode -> parse -> write.

``graphcdm replay`` and the listener both go through :class:`Pipeline`, so a
stream replayed from files and the same stream read from RabbitMQ give the
same graph.

What each notification comes to is decided here, and only three things can
happen to it: *applied* (its changes committed) or *ignored* (nothing to
do), *rejected* for its own fault (parsing refused it, or Neo4j refused
its data: the batch is split so that it costs only itself), or the whole
batch raises :class:`graphcdm.graph.writer.WriteFailed` for the database's
fault (unreachable, refusing our credentials, rate-limiting us, TLS
mismatch), when the caller must requeue it, never acknowledge it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import neo4j.exceptions

from graphcdm.graph.changes import Change
from graphcdm.graph.writer import GraphWriter
from graphcdm.notifications import envelope, parse
from graphcdm.notifications.envelope import Notification, Rejected

LOG = logging.getLogger(__name__)

#: What Neo4j (or the driver, encoding a value) says about the data, not the
#: connection: retrying cannot help, so the batch is split to find the culprit.
#: (The database refusing *us* -- security ClientErrors -- is not among them:
#: the writer raises WriteFailed for those, see graph/writer.py.)
REFUSED = (neo4j.exceptions.ClientError, neo4j.exceptions.DatabaseError, ValueError,
           TypeError, UnicodeError, OverflowError)


@dataclass
class Outcome:
    """What one notification came to."""

    status: str  # "applied" | "ignored" | "rejected"
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


@dataclass
class Counts:
    """Running totals of a stream."""

    applied: int = 0
    ignored: int = 0
    rejected: int = 0
    changes: int = 0
    batches: int = 0
    #: applied or ignored with a version clamped to the receiver's clock
    clamped: int = 0
    db: dict[str, int] = field(default_factory=dict)

    #: The running totals, in the order they are shown.
    TOTALS: ClassVar[tuple[str, ...]] = ("applied", "ignored", "rejected", "changes", "batches",
                                         "clamped")

    @property
    def processed(self) -> int:
        """Notifications done with, whatever became of them (applied, ignored or rejected)."""
        return self.applied + self.ignored + self.rejected

    def tally(self, outcomes: Iterable[Outcome]) -> None:
        """Count each outcome under its status: the one place a status becomes a count."""
        for outcome in outcomes:
            setattr(self, outcome.status, getattr(self, outcome.status) + 1)

    def add(self, other: Counts) -> None:
        """Add another stream's totals (the listener sums its threads' pipelines)."""
        for name in self.TOTALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.add_db(other.db)

    def add_db(self, counters: dict[str, int]) -> None:
        for key, value in counters.items():
            self.db[key] = self.db.get(key, 0) + value

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.TOTALS}


def classify(item: Notification | Rejected) -> Outcome:
    """Parse one decoded notification (or carry its decoding failure). Pure.

    Parsing raises only :class:`Rejected` (the field readers' contract,
    checked by the fuzz suite); anything else would be a bug in graphcdm,
    and it still costs only this notification: rejected with the error's
    name, logged with its traceback, never raised into the listener (where
    it would requeue the batch forever).
    """
    if isinstance(item, Rejected):
        return Outcome("rejected", reason=str(item))
    try:
        changes = parse.parse(item)
    except Rejected as exc:
        return Outcome("rejected", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - see the docstring
        LOG.exception("parse raised %s on %s (a graphcdm bug): rejected",
                      type(exc).__name__, str(item.event_type)[:100])
        return Outcome("rejected", reason=f"internal error while parsing: {type(exc).__name__}")
    if changes is None:
        return Outcome("ignored", reason=f"{item.event_type} does not change the compute model")
    return Outcome("applied", changes)


def in_arrival_order(items: list[Notification | Rejected],
                     outcomes: list[Outcome]) -> list[list[Change]]:
    """The batch's changes, cut before each notification whose key (time and
    message id, ``Notification.version``) the current part already holds. Pure.

    Why: a repeated message id with other content is resolved by "the first
    content committed wins" (docs/ARCHITECTURE.md), and inside one run of
    the writer's plan "first" would be the statements' order, not the
    arrival order; so whether the listener happened to batch the twins
    together changed the graph. Cut into parts (committed in one
    transaction, :meth:`GraphWriter.apply_parts`), a batch gives what its
    notifications applied one by one give. nova's message ids are uuid4s,
    so real batches have one part.
    """
    parts: list[list[Change]] = [[]]
    keys: set[str] = set()
    for item, outcome in zip(items, outcomes, strict=True):
        if not outcome.changes:
            continue
        key = item.version
        if key in keys:
            parts.append([])
            keys = set()
        keys.add(key)
        parts[-1].extend(outcome.changes)
    return parts


class Pipeline:
    """Applies batches of notifications through one :class:`GraphWriter`."""

    def __init__(self, writer: GraphWriter, *,
                 max_ahead: float | None = envelope.DEFAULT_MAX_AHEAD,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.writer = writer
        self.counts = Counts()
        #: seconds a version may be ahead of ``clock()`` (None: unbounded)
        self.max_ahead = max_ahead
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    def bound(self, items: Iterable[Notification | Rejected]) -> list[Notification | Rejected]:
        """Clamp versions ahead of the receiver's clock (see ``envelope.bounded``)."""
        items = list(items)
        if self.max_ahead is None:
            return items
        now = self.clock()
        out: list[Notification | Rejected] = []
        for item in items:
            if isinstance(item, Notification):
                bounded = envelope.bounded(item, now, self.max_ahead)
                if bounded is not item:
                    LOG.warning("notification %s from %s is stamped %s, over %ss ahead of "
                                "this clock: its version is clamped to %s",
                                item.message_id[:64], item.publisher_id[:100],
                                item.timestamp[:40], self.max_ahead, bounded.version[:17])
                item = bounded
            out.append(item)
        return out

    def apply(self, items: Iterable[Notification | Rejected]) -> list[Outcome]:
        """Parse a batch and commit its changes in one transaction.

        Raises :class:`graphcdm.graph.writer.WriteFailed` when Neo4j cannot be
        written; then nothing of the batch counts as applied.
        """
        items = self.bound(items)
        outcomes = [classify(item) for item in items]
        changes = [c for o in outcomes for c in o.changes]
        try:
            counters = self.writer.apply_parts(in_arrival_order(items, outcomes)) \
                if changes else {}
        except REFUSED as exc:
            LOG.warning("Neo4j refused a batch of %d (%s); applying one by one",
                        len(outcomes), type(exc).__name__)
            counters = self._one_by_one(outcomes)
        self.counts.batches += 1
        self.counts.changes += len(changes)
        self.counts.add_db(counters)
        self.counts.tally(outcomes)
        self.counts.clamped += sum(1 for item, outcome in zip(items, outcomes, strict=True)
                                   if outcome.status != "rejected"
                                   and getattr(item, "clamped", False))
        return outcomes

    def _one_by_one(self, outcomes: list[Outcome]) -> dict[str, int]:
        """Isolate what Neo4j refuses, so that one poison message costs only itself.

        Safe because every statement is idempotent: what the failed batch
        would have written is written again, notification by notification.
        """
        totals: dict[str, int] = {}
        for outcome in outcomes:
            if outcome.status != "applied":
                continue
            try:
                counters = self.writer.apply(outcome.changes)
            except REFUSED as exc:
                self.writer.confirm_writable()  # WriteFailed: the database's fault, requeue
                outcome.status = "rejected"
                outcome.reason = f"Neo4j refused it: {type(exc).__name__}: {exc}"[:500]
                outcome.changes = []
                continue
            for key, value in counters.items():
                totals[key] = totals.get(key, 0) + value
        return totals
