"""Group commit (graphcdm.notifications.batching) against the real RabbitMQ.

What the batching policy promises, checked on what the endpoint receives
and what the broker keeps: while a worker commits, the messages that
arrive are read and handed over together as the next batch (never more
than batch_size); every message is handled, acknowledged after its batch
returned (the queue ends empty), requeued when the endpoint says REQUEUE;
a stop hands over what was read. No timing is asserted.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import oslo_messaging
import pytest

from graphcdm.notifications import batching
from graphcdm.notifications.dispatcher import Dispatcher
from tests.functional import fixtures as support


class Recorder:
    """A batch endpoint: records each batch's message numbers; can hold the first."""

    def __init__(self, hold_first: bool = True, requeue_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.hold_first = hold_first
        self.requeue_first = requeue_first
        self._lock = threading.Lock()

    def info(self, messages: list[dict[str, Any]]) -> Any:
        with self._lock:
            self.batches.append([m["payload"]["n"] for m in messages])
            first = len(self.batches) == 1
        if first and self.hold_first:
            assert self.release.wait(60), "the test never released the first batch"
        if first and self.requeue_first:
            return oslo_messaging.NotificationResult.REQUEUE
        return oslo_messaging.NotificationResult.HANDLED

    def seen(self) -> list[int]:
        with self._lock:
            return [n for b in self.batches for n in b]


@pytest.fixture
def bus(rabbit_url):
    tag = uuid.uuid4().hex[:10]
    names = {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
             "pool": f"graphcdm-test-{tag}"}
    transport = support.nova_transport(rabbit_url)
    yield transport, names
    support.delete_queue(rabbit_url, names["pool"])
    transport.cleanup()


def _server(transport: Any, names: dict[str, str], endpoint: Recorder, batch_size: int,
            ) -> batching.GroupCommitServer:
    targets = [oslo_messaging.Target(topic=names["versioned"], exchange="nova")]
    server = batching.batch_listener(transport, targets, Dispatcher([endpoint], endpoint.info),
                                     policy="group", batch_size=batch_size, batch_timeout=0.2,
                                     workers=1, pool=names["pool"])
    assert isinstance(server, batching.GroupCommitServer)
    server.start(override_pool_size=1)
    return server


def _publish(transport: Any, names: dict[str, str], numbers: range) -> None:
    messages = [{"message_id": str(uuid.uuid4()), "publisher_id": "nova-compute:h",
                 "event_type": "instance.update", "priority": "INFO",
                 "timestamp": "2026-12-01 10:00:00.000000", "payload": {"n": n}}
                for n in numbers]
    support.publish_raw(transport, messages, names)


def _wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_what_arrives_during_a_commit_is_the_next_batch_capped_at_batch_size(rabbit_url, bus):
    transport, names = bus
    endpoint = Recorder()
    server = _server(transport, names, endpoint, batch_size=20)
    try:
        _publish(transport, names, range(1))
        _wait(lambda: endpoint.batches, "the first batch")
        _publish(transport, names, range(1, 46))
        # the reader stops at batch_size while the only worker is busy
        _wait(lambda: server.buffered == 20, "20 messages read while the worker is busy")
        endpoint.release.set()
        _wait(lambda: len(endpoint.seen()) >= 46, "every message handled")
    finally:
        endpoint.release.set()
        server.stop()
        server.wait()
    assert endpoint.batches[0] == [0]
    assert endpoint.batches[1] == list(range(1, 21))  # all that waited, not one at a time
    assert all(len(b) <= 20 for b in endpoint.batches)
    assert sorted(endpoint.seen()) == list(range(46))  # each once: all acknowledged
    assert support.queue_depth(rabbit_url, names["pool"]) == 0


def test_a_requeued_batch_is_delivered_again(rabbit_url, bus):
    transport, names = bus
    endpoint = Recorder(hold_first=False, requeue_first=True)
    server = _server(transport, names, endpoint, batch_size=50)
    try:
        _publish(transport, names, range(10))
        def done() -> bool:
            seen = endpoint.seen()
            return (set(seen) == set(range(10))
                    and all(seen.count(n) >= 2 for n in endpoint.batches[0]))
        _wait(done, "every message handled, the requeued ones again")
    finally:
        server.stop()
        server.wait()
    first = endpoint.batches[0]
    later = endpoint.seen()[len(first):]
    assert sorted(set(first) | set(later)) == list(range(10))
    assert all(later.count(n) == 1 for n in first)  # requeued ones: handled once more
    assert support.queue_depth(rabbit_url, names["pool"]) == 0


def test_stop_hands_over_what_was_read(rabbit_url, bus):
    transport, names = bus
    endpoint = Recorder()
    server = _server(transport, names, endpoint, batch_size=100)
    _publish(transport, names, range(1))
    _wait(lambda: endpoint.batches, "the first batch")
    _publish(transport, names, range(1, 11))
    _wait(lambda: server.buffered == 10, "10 messages read while the worker is busy")
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    time.sleep(0.3)  # let stop() begin while the worker still holds batch 1
    endpoint.release.set()
    stopper.join(60)
    server.wait()
    assert sorted(endpoint.seen()) == list(range(11))
    assert support.queue_depth(rabbit_url, names["pool"]) == 0
