"""The one path from a notification to the graph: decode -> parse -> write.

``graphcdm replay`` and the listener both go through :class:`Pipeline`, so a
stream replayed from files and the same stream read from RabbitMQ give the
same graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphcdm import parse
from graphcdm.changes import Change
from graphcdm.envelope import Notification, Rejected
from graphcdm.writer import GraphWriter

LOG = logging.getLogger(__name__)


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
    db: dict[str, int] = field(default_factory=dict)

    def add_db(self, counters: dict[str, int]) -> None:
        for key, value in counters.items():
            self.db[key] = self.db.get(key, 0) + value

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "ignored": self.ignored, "rejected": self.rejected,
                "changes": self.changes, "batches": self.batches}


def classify(item: Notification | Rejected) -> Outcome:
    """Parse one decoded notification (or carry its decoding failure). Pure."""
    if isinstance(item, Rejected):
        return Outcome("rejected", reason=str(item))
    try:
        changes = parse.parse(item)
    except Rejected as exc:
        return Outcome("rejected", reason=str(exc))
    if changes is None:
        return Outcome("ignored", reason=f"{item.event_type} does not change the compute model")
    return Outcome("applied", changes)


class Pipeline:
    """Applies batches of notifications through one :class:`GraphWriter`."""

    def __init__(self, writer: GraphWriter) -> None:
        self.writer = writer
        self.counts = Counts()

    def apply(self, items: Iterable[Notification | Rejected]) -> list[Outcome]:
        """Parse a batch and commit its changes in one transaction.

        Raises :class:`graphcdm.writer.WriteFailed` when Neo4j cannot be
        written; then nothing of the batch counts as applied.
        """
        outcomes = [classify(item) for item in items]
        changes = [c for o in outcomes for c in o.changes]
        counters = self.writer.apply(changes) if changes else {}
        self.counts.batches += 1
        self.counts.changes += len(changes)
        self.counts.add_db(counters)
        for outcome in outcomes:
            if outcome.status == "applied":
                self.counts.applied += 1
            elif outcome.status == "ignored":
                self.counts.ignored += 1
            else:
                self.counts.rejected += 1
        return outcomes
