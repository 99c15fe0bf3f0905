"""The pipeline's pure parts: how outcomes become counts (one definition), and
whom a refusal is blamed on. Pure."""

from __future__ import annotations

import pytest
from neo4j.exceptions import DatabaseError

from graphcdm.graph.writer import WriteFailed
from graphcdm.notifications import envelope
from graphcdm.notifications.envelope import Rejected
from graphcdm.notifications.pipeline import Counts, Outcome, Pipeline, classify
from graphcdm.sim import emitter


def test_tally_counts_each_outcome_under_its_status_and_processed_is_their_sum():
    c = Counts()
    c.tally([Outcome("applied"), Outcome("ignored"), Outcome("rejected"), Outcome("applied")])
    assert (c.applied, c.ignored, c.rejected, c.processed) == (2, 1, 1, 4)


def test_add_sums_every_total_and_the_database_counters():
    a, b = Counts(applied=1, changes=3, batches=1), Counts(rejected=2, batches=1)
    a.add_db({"nodes_created": 2})
    b.add_db({"nodes_created": 1, "properties_set": 5})
    a.add(b)
    assert a.as_dict() == {"applied": 1, "ignored": 0, "rejected": 2, "changes": 3,
                           "batches": 2, "clamped": 0}
    assert a.db == {"nodes_created": 3, "properties_set": 5}
    assert a.processed == 3


def test_a_decoding_failure_is_a_rejection_with_its_reason():
    outcome = classify(Rejected("missing message_id"))
    assert (outcome.status, outcome.reason, outcome.changes) == (
        "rejected", "missing message_id", [])


class _RefusingWriter:
    """Refuses every write with ``error``; ``writable`` is what a probe finds.

    Stands in for Neo4j only to drive the pipeline's decision (pure code):
    what the real server answers is in tests/functional/test_faults.py.
    """

    def __init__(self, error: Exception, writable: bool) -> None:
        self.error, self.writable = error, writable

    def apply_parts(self, parts):
        raise self.error

    def apply(self, changes):
        raise self.error

    def confirm_writable(self) -> None:
        if not self.writable:
            raise WriteFailed("Neo4j cannot take writes: DatabaseUnavailable")


def _stream() -> list:
    clock = emitter.Clock()
    return [envelope.from_message(emitter.instance_event(
        "instance.create.end", emitter.Instance(u, "h1", "n1"), timestamp=clock()))
        for u in ("2a7c4d1e-0000-4000-8000-000000000001",
                  "2a7c4d1e-0000-4000-8000-000000000002")]


def test_a_refusal_while_the_database_is_not_well_requeues_and_rejects_nothing():
    """A server stopping answers with errors that look like the data's
    (a DatabaseError here): blamed on the data, the batch would be rejected
    and acknowledged, i.e. lost. The probe says the database is not well."""
    pipeline = Pipeline(_RefusingWriter(DatabaseError("commit failed"), writable=False))
    with pytest.raises(WriteFailed):
        pipeline.apply(_stream())
    assert pipeline.counts.rejected == 0


def test_a_refusal_while_the_database_is_well_rejects_the_notification():
    pipeline = Pipeline(_RefusingWriter(DatabaseError("commit failed"), writable=True))
    outcomes = pipeline.apply(_stream())
    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    assert all(o.reason.startswith("Neo4j refused it: DatabaseError") for o in outcomes)
