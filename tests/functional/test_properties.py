"""Property: delivery order, repetition and batching do not change the model.

For every scenario, any permutation of its notifications, with any of them
delivered again, cut into any batches, leaves exactly the export that the
ordered stream leaves (against the real Neo4j). This is what at-least-once,
unordered delivery by RabbitMQ to many listener threads demands.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from tests.functional.test_scenarios import SCENARIOS, Scenario, view

_ORDERED: dict[str, dict[str, Any]] = {}


@st.composite
def deliveries(draw, n: int) -> list[list[int]]:
    """Batches of event indexes: a permutation plus repeats, cut anywhere."""
    order = list(draw(st.permutations(range(n))))
    for again in draw(st.lists(st.integers(0, n - 1), max_size=n)):
        order.insert(draw(st.integers(0, len(order))), again)
    cuts = draw(st.lists(st.booleans(), min_size=len(order) - 1, max_size=len(order) - 1))
    batches, current = [], [order[0]]
    for index, cut in zip(order[1:], cuts, strict=True):
        if cut:
            batches.append(current)
            current = []
        current.append(index)
    batches.append(current)
    return batches


def _apply(writer, scenario: Scenario, batches: list[list[int]]) -> dict[str, Any]:
    writer.reset()
    pipeline = Pipeline(writer)
    notes = [envelope.from_message(m) for m in scenario.events]
    for batch in batches:
        outcomes = pipeline.apply([notes[i] for i in batch])
        assert all(o.status != "rejected" for o in outcomes)
    return export.export(writer)


def _ordered(writer, scenario: Scenario) -> dict[str, Any]:
    if scenario.name not in _ORDERED:
        data = _apply(writer, scenario, [[i] for i in range(len(scenario.events))])
        assert view(data) == scenario.expect
        _ORDERED[scenario.name] = data
    return _ORDERED[scenario.name]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_any_order_repetition_and_batching_gives_the_ordered_result(writer, scenario):
    expected = _ordered(writer, scenario)

    @settings(max_examples=25, deadline=None, derandomize=False,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(deliveries(len(scenario.events)))
    def check(batches: list[list[int]]) -> None:
        assert _apply(writer, scenario, batches) == expected

    check()


def test_all_scenarios_of_distinct_instances_interleaved(writer):
    """Several operations at once (disjoint instances/hosts): still order-proof."""
    import json
    import random

    picked = []
    for n, s in enumerate(s for s in SCENARIOS if "service" not in s.tags):
        text = json.dumps(s.events)
        for host in ("h1", "h2", "h3", "h7", "n1", "n2", "n3", "n7"):
            text = text.replace(f'"{host}"', f'"{host}-{n}"').replace(
                f'nova-compute:{host}"', f'nova-compute:{host}-{n}"').replace(
                f'compute.{host}"', f'compute.{host}-{n}"')
        text = text.replace("-0000-4000-8000-", f"-{n:04d}-4000-8000-")
        picked.append(json.loads(text))
    ordered = Scenario("all", [m for events in picked for m in events], {})
    # emitter time orders each scenario; streams interleave in time in any way
    expected = _apply(writer, ordered, [[i] for i in range(len(ordered.events))])
    assert len(expected["instances"]) >= len(picked) - 2
    rng = random.Random(7)
    for _ in range(5):
        order = list(range(len(ordered.events)))
        rng.shuffle(order)
        order += rng.sample(order, len(order) // 3)
        size = rng.randint(1, 40)
        batches = [order[i:i + size] for i in range(0, len(order), size)]
        assert _apply(writer, ordered, batches) == expected


@pytest.mark.parametrize("name", ["delete-then-late-update", "evacuate-versioned",
                                  "resize-confirm-legacy", "service-before-node-known",
                                  "decommission", "shelve-offload-unshelve"])
def test_concurrent_batches_give_the_ordered_result(writer, name):
    """Listener threads commit batches in parallel: locks and guards keep it order-proof."""
    import random
    import threading

    from tests.functional.test_scenarios import BY_NAME

    scenario = BY_NAME[name]
    expected = _ordered(writer, scenario)
    notes = [envelope.from_message(m) for m in scenario.events]
    rng = random.Random(name)
    for _ in range(8):
        writer.reset()
        order = list(range(len(notes))) * 2  # every event delivered twice
        rng.shuffle(order)
        chunks = [order[i::4] for i in range(4)]
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def work(chunk: list[int]) -> None:
            try:
                barrier.wait()
                pipeline = Pipeline(writer)
                for i in chunk:
                    pipeline.apply([notes[i]])
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert export.export(writer) == expected


def test_redelivered_service_delete_racing_a_migration(writer):
    """A redelivered service.delete racing a migration away from the host.

    The interleaving that once lost the instance (see cypher/service_delete):
    the host's tombstone already exists (first delivery) and the instance
    exists without a host (post.end applied); then create (void placement
    on h1), the second service.delete and the move to h2 commit at once.
    If service_delete_lock runs while create is uncommitted, service_delete
    sees the instance on h1 unlocked, the move commits, and acting on that
    stale read marked the migrated instance gone. Starts are jittered by a
    few ms so that hundreds of rounds hit that window (about 3 in 100
    rounds on a 2-core machine before the fix); a probabilistic guard, the
    random test above hit it about once in 400 rounds.
    """
    import random
    import threading

    from tests.functional.test_scenarios import BY_NAME

    scenario = BY_NAME["decommission"]
    notes = [envelope.from_message(m) for m in scenario.events]
    create, post_dest, post, delete = notes[0], notes[1], notes[2], notes[4]
    rng = random.Random(11)
    racing = [(create, 0.0), (delete, 0.004), (post_dest, 0.008)]
    for _ in range(300):
        writer.reset()
        pipeline = Pipeline(writer)
        pipeline.apply([delete])
        pipeline.apply([post])
        barrier = threading.Barrier(len(racing))
        errors: list[BaseException] = []
        delays = [rng.random() * jitter for _, jitter in racing]

        def work(note, delay: float) -> None:
            try:
                barrier.wait()
                time.sleep(delay)
                Pipeline(writer).apply([note])
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(note, delay))
                   for (note, _), delay in zip(racing, delays, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for note in notes:  # every event delivered again, in order
            pipeline.apply([note])
        assert view(export.export(writer)) == scenario.expect
