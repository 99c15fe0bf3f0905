"""The fuzz suite through real components: mutated nova samples mixed into a
simulated cloud's stream, applied in batches to Neo4j (and, fewer, published
on RabbitMQ to the real listener). The graph must equal the one left by the
notifications parse accepts, applied one by one: every bad item rejected
alone with a reason and counted, every valid change applied, none refused by
Neo4j (the field readers stop every value Neo4j cannot store).

The mutation strategy is tests/unit/test_fuzz.py's; the CI profile is
derandomized with a handful of examples (seconds each).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuidlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcdm.notifications import envelope
from graphcdm.notifications.dispatcher import as_endpoint_message
from graphcdm.notifications.envelope import Rejected
from graphcdm.notifications.listener import Listener
from graphcdm.notifications.pipeline import Pipeline, classify
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support
from tests.unit.mutations import LISTENER, Incoming, mutated

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)
STREAM = Simulator(nodes=3, instances=8, operations=16, fmt="mixed", seed=21).run().messages
SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def _interleave(mutants: list[dict]) -> list[dict]:
    stream = list(STREAM)
    for i, msg in enumerate(mutants):
        stream.insert((i * 7) % (len(stream) + 1), msg)
    return stream


def _decode(msg: dict):
    try:
        return envelope.from_message(msg)
    except Rejected as exc:
        return exc


def _accepted_alone(writer, items, **pipeline_args) -> dict:
    """The graph of the items parse accepts, applied one by one."""
    writer.reset()
    alone = Pipeline(writer, clock=lambda: NOW, **pipeline_args)
    for item in items:
        if classify(item).status != "rejected":
            alone.apply([item])
    assert alone.counts.rejected == 0
    return export.export(writer)


def _cut(items: list, sizes: list[int]) -> list[list]:
    """``items`` in consecutive batches of ``sizes`` (cycled), as a listener may take them."""
    out, start, k = [], 0, 0
    while start < len(items):
        out.append(items[start:start + sizes[k % len(sizes)]])
        start += sizes[k % len(sizes)]
        k += 1
    return out


@settings(derandomize=True, max_examples=30, deadline=None, database=None,
          suppress_health_check=SLOW)
@given(st.lists(mutated(), min_size=4, max_size=16),
       st.lists(st.integers(1, 40), min_size=1, max_size=6))
def test_mutants_in_batches_leave_the_graph_of_the_valid_stream(writer, cases, sizes):
    """However the stream is cut into batches (the listener's batches follow
    arrival timing; here the drawn sizes, then the whole stream as one
    batch), the graph is the one of its valid notifications applied one by
    one. The samples share one message id and timestamp, so mutants are also
    repeated ids with other content: the first content wins even when the
    twins share a batch (``pipeline.in_arrival_order``)."""
    mutants = [m for m, _ in cases]
    items = [_decode(m) for m in _interleave(mutants)]
    expected = _accepted_alone(writer, items)
    for cut in (sizes, [len(items)]):
        writer.reset()
        batched = Pipeline(writer, clock=lambda: NOW)
        outcomes = []
        for batch in _cut(items, cut):
            outcomes += batched.apply(batch)
        rejected = [o for o in outcomes if o.status == "rejected"]
        assert batched.counts.rejected == len(rejected) >= 0
        assert all(o.reason for o in rejected)
        assert not [o.reason for o in rejected if "Neo4j refused" in o.reason]
        assert export.export(writer) == expected, f"batches of {cut}"


def _json_safe(msg: dict) -> dict | None:
    """What a publisher can put on the bus (json cannot write absurd nesting)."""
    try:
        return json.loads(json.dumps(msg))
    except (RecursionError, ValueError):
        return None


@settings(derandomize=True, max_examples=2, deadline=None, database=None,
          suppress_health_check=SLOW)
@given(st.lists(mutated(), min_size=8, max_size=16))
def test_mutants_through_rabbitmq_and_the_listener(conf, rabbit_url, writer, cases):
    """Published on the real broker to the real listener (in-process)."""
    mutants = [m for m in (_json_safe(m) for m, _ in cases) if m is not None]
    stream = _interleave(mutants)
    tag = uuidlib.uuid4().hex[:10]
    names = {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
             "pool": f"graphcdm-test-{tag}", "exchange": "nova"}
    # no clamping on either side: the listener's clock is not the test's
    support.configure_listener(conf, names, max_clock_ahead=1e11)
    writer.reset()
    transport = support.nova_transport(rabbit_url)
    listener = Listener(conf, writer=writer, transport=transport)
    try:
        listener.start()
        support.publish_raw(transport, stream, names)
        support.wait_processed(listener, len(stream), timeout=120)
        got = export.export(writer)
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    items = [LISTENER.decode(as_endpoint_message(Incoming(m))) for m in stream]
    expected_rejected = sum(1 for i in items if classify(i).status == "rejected")
    assert listener.counts.rejected == expected_rejected
    assert listener.stats.snapshot()["requeued"] == 0
    assert got == _accepted_alone(writer, items, max_ahead=None)
