"""Watcher 17's nova notification endpoint on its own in-memory model.

The one harness of the Watcher baseline, used by the differential test
(tests/functional/test_watcher_diff.py: what Watcher makes of a stream) and
by the benchmarks (benchmarks/baselines.py: how fast it does it). It drives
python-watcher 17.0.0's ``watcher.decision_engine.model.notification.nova.
VersionedNotification`` as Watcher's own unit tests do: a collector object
exposing ``cluster_data_model`` and ``sync_lock``, Watcher's NovaHelper and
placement helper replaced by stubs that know the given hosts (the way its
tests mock ``NovaHelper``), and a ``ModelRoot`` that already holds those
hosts' compute nodes (as after Watcher's own sync), so no nova API call is
made. Messages are filtered by the endpoint's ``filter_rule`` first, as
oslo.messaging's dispatcher would; an exception is what oslo.messaging
would log and drop, so it is recorded and the next message goes on.
"""

from __future__ import annotations

import logging
import threading
import time
import types
import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from watcher.common import exception as wexc
from watcher.decision_engine.model import element, model_root
from watcher.decision_engine.model.notification import nova as wnova


def node_uuid(host: str) -> str:
    """The compute node uuid the stub nova gives a host (stable per host name)."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, host))


class WatcherEndpoint:
    """Watcher's versioned nova endpoint feeding a ``ModelRoot`` that knows ``hosts``."""

    def __init__(self, hosts: Iterable[str], *, vcpus: int = 8, memory_mb: int = 16384,
                 disk_gb: int = 100, quiet: bool = False) -> None:
        known = tuple(hosts)

        class FakeNova:  # watcher.common.nova_helper.NovaHelper, knowing `known` only
            def get_compute_node_by_hostname(self, name: str) -> Any:
                if name not in known:
                    raise wexc.ComputeNodeNotFound(name=name)
                return types.SimpleNamespace(
                    uuid=node_uuid(name), service_host=name, vcpus=vcpus, memory_mb=memory_mb,
                    local_gb=disk_gb, state="up", status="enabled",
                    service_disabled_reason=None)

            get_compute_node_by_uuid = get_compute_node_by_hostname

        class FakePlacement:
            def get_inventories(self, uuid: str) -> dict:
                return {}

        self.model = model_root.ModelRoot()
        for host in known:
            self.model.add_node(element.ComputeNode(
                uuid=node_uuid(host), hostname=host, memory=memory_mb, memory_mb_reserved=0,
                disk=disk_gb, disk_gb_reserved=0, vcpus=vcpus, vcpu_reserved=0,
                memory_ratio=1.0, vcpu_ratio=1.0, disk_ratio=1.0, state="up",
                status="enabled", disabled_reason=None))
        collector = types.SimpleNamespace(cluster_data_model=self.model,
                                          sync_lock=threading.Lock())
        self.endpoint = wnova.VersionedNotification(collector)
        self.endpoint._nova = FakeNova()
        self.endpoint._placement_helper = FakePlacement()
        #: silence Watcher's INFO line per event (the benchmark times the handler, not logging)
        self.quiet = quiet
        self.errors: list[str] = []
        self.handled = 0
        self.seconds = 0.0

    def feed(self, messages: Iterable[dict[str, Any]]) -> WatcherEndpoint:
        """Deliver every message as oslo.messaging's dispatcher would (adds to ``seconds``)."""
        loggers = [logging.getLogger(n) for n in ("watcher", "watcher.decision_engine")]
        levels = [q.level for q in loggers]
        if self.quiet:
            for q in loggers:
                q.setLevel(logging.CRITICAL + 1)
        rule, info = self.endpoint.filter_rule, self.endpoint.info
        try:
            start = time.perf_counter()
            for msg in messages:
                metadata = {"message_id": msg["message_id"], "timestamp": msg["timestamp"]}
                if not rule.match({}, msg["publisher_id"], msg["event_type"], metadata,
                                  msg["payload"]):
                    continue
                self.handled += 1
                try:
                    info({}, msg["publisher_id"], msg["event_type"], msg["payload"], metadata)
                except Exception as exc:  # noqa: BLE001 - oslo.messaging would log and drop it
                    self.errors.append(type(exc).__name__)
            self.seconds += time.perf_counter() - start
        finally:
            for q, level in zip(loggers, levels, strict=True):
                q.setLevel(level)
        return self

    def placement(self) -> dict[str, str | None]:
        """instance uuid -> the host Watcher's model maps it to (None when unmapped)."""
        out: dict[str, str | None] = {}
        for uuid in self.model.get_all_instances():
            try:
                out[uuid] = self.model.get_node_by_instance_uuid(uuid).hostname
            except wexc.ComputeResourceNotFound:
                out[uuid] = None
        return out

    def node_status(self) -> dict[str, tuple[str, str | None]]:
        """host -> (status, disabled_reason) in Watcher's model."""
        return {n.hostname: (n.status, n.disabled_reason)
                for n in self.model.get_all_compute_nodes().values()}
