"""The listener rides out a RabbitMQ restart without operator action.

The broker is restarted for real (``rabbitmqctl stop_app``/``start_app``):
every connection drops and non-durable queues go. The listener must
reconnect, declare its pool's queue again and apply what is published
after the restart; what it applied before stays.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from graphcdm.notifications.listener import Listener
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support


def _rabbitmqctl(*args: str) -> None:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"rabbitmqctl {' '.join(args)} failed: {done.stdout} {done.stderr}")


def _wait_queue(rabbit_url: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            support.queue_depth(rabbit_url, name)
            return
        except Exception as exc:  # noqa: BLE001 - not declared (yet) or broker not up
            if time.monotonic() > deadline:
                pytest.fail(f"the listener did not declare queue {name} again within "
                            f"{timeout}s after the broker restart: {exc}")
            time.sleep(0.5)


def test_listener_reconnects_after_a_rabbitmq_restart(conf, rabbit_url, writer):
    tag = uuid.uuid4().hex[:10]
    names = {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
             "pool": f"graphcdm-test-{tag}", "exchange": "nova"}
    sim = Simulator(nodes=4, instances=40, operations=80, fmt="both", seed=11).run()
    half = len(sim.messages) // 2
    support.configure_listener(conf, names)
    listener = Listener(conf, writer=writer, transport=support.nova_transport(rabbit_url))
    before = support.nova_transport(rabbit_url)
    try:
        listener.start()
        support.publish_with_notifier(before, sim.messages[:half], names)
        support.wait_processed(listener, half, timeout=60)
        before.cleanup()

        _rabbitmqctl("stop_app")
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")
        _wait_queue(rabbit_url, names["pool"], timeout=90)

        after = support.nova_transport(rabbit_url)
        try:
            support.publish_with_notifier(after, sim.messages[half:], names)
            support.wait_processed(listener, len(sim.messages), timeout=90)
        finally:
            after.cleanup()
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
    assert export.export(writer) == sim.expected
    assert listener.counts.rejected == 0
