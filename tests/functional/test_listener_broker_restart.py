"""The listener rides out a RabbitMQ restart without operator action.

The broker is restarted for real, but it is a node of this test's own
(tests/functional/rabbitnode.py), never the shared broker: every connection
drops and non-durable queues go. The listener must reconnect, declare its
pool's queue again and apply what is published after the restart; what it
applied before stays. (With durable or quorum queues nothing published in
between is lost either: test_bus_production.py.)
"""

from __future__ import annotations

import time
import uuid

import pytest

from graphcdm.notifications.listener import Listener
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support
from tests.functional.rabbitnode import RabbitNode, configure, nova_transport


def _wait_queue(node: RabbitNode, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while name not in node.ctl("list_queues", "name", check=False).stdout.split():
        if time.monotonic() > deadline:
            pytest.fail(f"the listener did not declare queue {name} again within "
                        f"{timeout}s after the broker restart")
        time.sleep(0.5)


def test_listener_reconnects_after_a_rabbitmq_restart(conf, writer, rabbit_node):
    tag = uuid.uuid4().hex[:10]
    names = {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
             "pool": f"graphcdm-test-{tag}", "exchange": f"nova-{tag}"}
    sim = Simulator(nodes=4, instances=40, operations=80, fmt="both", seed=11).run()
    half = len(sim.messages) // 2
    configure(conf, names, rabbit_node.url())
    listener = Listener(conf, writer=writer)
    before = nova_transport(rabbit_node.url(), names["exchange"])
    try:
        listener.start()
        support.publish_with_notifier(before, sim.messages[:half], names)
        support.wait_processed(listener, half, timeout=60)
        before.cleanup()

        rabbit_node.stop()
        rabbit_node.start()
        _wait_queue(rabbit_node, names["pool"], timeout=120)

        after = nova_transport(rabbit_node.url(), names["exchange"])
        try:
            support.publish_with_notifier(after, sim.messages[half:], names)
            support.wait_processed(listener, len(sim.messages), timeout=120)
        finally:
            after.cleanup()
    finally:
        support.stop(listener)
    assert export.export(writer) == sim.expected
    assert listener.counts.rejected == 0
