"""The listener's periodic resync: with [sync] interval set, the graph heals
from the nova API (Watcher 17's Nova and Placement emulators) with no
notification at all."""

from __future__ import annotations

import time
import uuid

import pytest

from graphcdm.notifications.listener import Listener
from graphcdm.read import export
from tests.functional import fixtures as support
from tests.functional.emulators import Cloud
from tests.functional.fixtures import topology


def test_periodic_resync_fills_the_graph(conf, rabbit_url, writer):
    tag = uuid.uuid4().hex[:10]
    pool = f"graphcdm-test-{tag}"
    cloud = Cloud(topology())
    for key, value in cloud.conf_overrides().items():
        conf.set_override(key, value, group="nova")
    conf.set_override("interval", 1, group="sync")
    conf.set_override("topics", [f"versioned_notifications_{tag}"], group="notifications")
    conf.set_override("pool", pool, group="notifications")
    conf.set_override("port", 0, group="metrics")
    transport = support.nova_transport(rabbit_url)
    listener = Listener(conf, writer=writer, transport=transport)
    placed: dict = {}
    try:
        listener.start()
        deadline = time.monotonic() + 60
        while len(placed) < 5:
            if time.monotonic() > deadline:
                pytest.fail(f"the periodic resync did not fill the graph: {placed}")
            time.sleep(0.5)
            placed = export.placement(export.export(writer))
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, pool)
        transport.cleanup()
        cloud.stop()
    assert sorted(placed.values()) == ["compute-1", "compute-1", "compute-2", "compute-2",
                                       "compute-3"]
