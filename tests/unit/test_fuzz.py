"""Hypothesis-driven mutation of nova's samples against the pure path.

Every notification sample nova and Watcher publish (tests/data, ``$ref``
resolved), in the message form and oslo.messaging's wire form, is mutated
at any field, envelope or payload: values replaced by other JSON types,
range edges of numbers and timestamps (with offsets), Unicode of every
general category (lone surrogates, non-decimal digits, full-width and
Arabic-Indic digits, NUL, bidi marks), deep nesting, large strings, keys
removed. Asserted for each input:

* decoding and parsing raise nothing but ``Rejected`` (the field readers'
  contract, graphcdm/notifications/fields.py);
* the listener's path (its dispatcher's view of the body, ``decode``,
  ``classify``) raises nothing at all, and a dead-letter record of the
  input is written and reads back;
* every change parse accepts is one Neo4j can store: property values are
  strings, booleans, null, finite floats or 64-bit integers, uuids are
  canonical.

The CI profile is derandomized (the same inputs every run) and bounded to
seconds; ``HYPOTHESIS_PROFILE=graphcdm-deep`` runs many more examples.
tests/functional/test_fuzz_graph.py sends a smaller number through Neo4j
and RabbitMQ.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from graphcdm.graph.changes import InstanceUpsert
from graphcdm.graph.writer import rows_by_statement
from graphcdm.notifications import deadletter, envelope, parse
from graphcdm.notifications.dispatcher import as_endpoint_message
from graphcdm.notifications.fields import Rejected
from graphcdm.notifications.pipeline import classify
from graphcdm.sim import emitter
from tests.unit.mutations import LISTENER, Incoming, corpus, mutated

settings.register_profile(
    "graphcdm-ci", derandomize=True, max_examples=250, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "graphcdm-deep", max_examples=20_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "graphcdm-ci"))

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_BYTES = envelope.DEFAULT_MAX_BYTES


def _storable(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool)):
        return not isinstance(value, str) or _encodable(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_changes(changes: list[Any]) -> None:
    for change in changes:
        uuid = getattr(change, "uuid", None)
        if uuid is not None:
            assert _UUID.fullmatch(uuid), uuid
        if isinstance(change, InstanceUpsert):
            for key, value in change.attrs.items():
                assert _storable(value), (key, value)
    for _, rows in rows_by_statement(changes):
        for row in rows if isinstance(rows, list) else []:  # (FromGraph: read in Neo4j)
            for key, value in row.items():
                # maps are parameters the statements spread into properties
                for sub in (value.values() if isinstance(value, dict) else [value]):
                    assert _storable(sub), (key, sub)


@settings(PROFILE)
@given(mutated(), st.booleans())
def test_only_rejected_leaves_decoding_and_parsing(case, wire):
    msg, label = case
    try:
        raw = emitter.to_wire(msg) if wire else msg
    except (RecursionError, ValueError):
        assume(False)  # json cannot write it (nesting); test_envelope covers deep wire text
    try:
        n = envelope.from_message(raw)
        changes = parse.parse(n)
    except Rejected:
        event(f"{label}: rejected")
        return
    except RecursionError:
        raise AssertionError("recursion escaped") from None
    event(f"{label}: {'ignored' if changes is None else 'accepted'}")
    if changes:
        _check_changes(changes)


@settings(PROFILE)
@given(mutated())
def test_the_listener_path_never_raises_and_dead_letters_read_back(case):
    msg, _ = case
    message = as_endpoint_message(Incoming(msg))
    item = LISTENER.decode(message)
    outcome = classify(item)
    assert outcome.status in ("applied", "ignored", "rejected")
    if outcome.status == "applied":
        _check_changes(outcome.changes)
    line = deadletter.record(message, outcome.reason or "fuzz", _MAX_BYTES)
    back = json.loads(line)
    if isinstance(message["event_type"], (str, type(None))) and \
            "event_type" not in back.get("truncated", []):
        assert back["event_type"] == message["event_type"]
    assert len(line) < 4 * (deadletter.HEAD_CHARS * 6 + _MAX_BYTES)


@settings(PROFILE)
@given(st.sampled_from(corpus()))
def test_every_sample_is_accepted_or_ignored_unmutated(msg):
    """The baseline the mutations start from: real samples are never rejected."""
    n = envelope.from_message(msg)
    changes = parse.parse(n)
    if changes:
        _check_changes(changes)


def test_bodies_oslo_cannot_dispatch_reach_the_handler():
    """A decoded body that is not an object, or has no priority: handed over,
    then rejected with a reason, never raised."""
    for body in (["a", "list"], "text", 42, None, {"payload": {}}):
        outcome = classify(LISTENER.decode(as_endpoint_message(Incoming(body))))
        assert outcome.status == "rejected" and outcome.reason
