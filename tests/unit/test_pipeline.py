"""The pipeline's pure parts: how outcomes become counts (one definition). Pure."""

from __future__ import annotations

from graphcdm.notifications.envelope import Rejected
from graphcdm.notifications.pipeline import Counts, Outcome, classify


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
