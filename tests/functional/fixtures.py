"""What several functional test modules share (no test here).

- the known graph of the read-side tests (:data:`NODES`, :data:`INSTANCES`,
  :func:`load_known_graph`), written with plain Cypher so that its shape does
  not depend on the writer's rules;
- the listener tests' helpers: configuring a listener, publishing as nova
  does, waiting for the listener, cleaning up the broker;
- the resync tests' emulated cloud (:func:`topology`).

Fixtures proper (``writer``, ``neo4j_uri``, ``rabbit_url`` ...) stay in
conftest.py; test modules import helpers from here, never from each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import neo4j
import oslo_messaging
import pytest
from oslo_config import cfg
from oslo_messaging.notify.messaging import MessagingV2Driver

from tests.functional.emulators import Aggregate, ComputeTopology

REPO = Path(__file__).resolve().parents[2]


def nova_transport(url: str) -> Any:
    """A notification transport set up as nova's: control exchange "nova"."""
    oslo_messaging.set_transport_defaults("nova")
    return oslo_messaging.get_notification_transport(cfg.ConfigOpts(), url=url)


def _topic(msg: dict[str, Any], names: dict[str, str]) -> str:
    legacy = str(msg.get("event_type", "")).startswith("compute.")
    return names["legacy"] if legacy else names["versioned"]


def publish_with_notifier(transport: Any, messages: list[dict[str, Any]],
                          names: dict[str, str]) -> None:
    """Publish as nova does: Notifier, messagingv2, its publisher ids, both topics.

    The Notifier stamps its own message id and timestamp (as in nova), so the
    simulator's order is the publish order.
    """
    notifiers = {kind: oslo_messaging.Notifier(transport, driver="messagingv2",
                                               topics=[names[kind]])
                 for kind in ("versioned", "legacy")}
    for msg in messages:
        kind = "legacy" if msg["event_type"].startswith("compute.") else "versioned"
        notifier = notifiers[kind].prepare(publisher_id=msg["publisher_id"])
        getattr(notifier, msg.get("priority", "INFO").lower())({}, msg["event_type"],
                                                               msg["payload"])


def publish_raw(transport: Any, messages: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Publish message bodies as they are (the simulator's ids and timestamps kept,
    and malformed bodies a Notifier would not build)."""
    drivers = {topic: MessagingV2Driver(transport.conf, topics=[topic], transport=transport)
               for topic in (names["versioned"], names["legacy"])}
    for msg in messages:
        priority = msg.get("priority")
        # routed as INFO when the body's priority is not one (what a broken
        # emitter's message on the info queue looks like)
        priority = priority.lower() if isinstance(priority, str) and \
            priority.lower() in PRIORITIES else "info"
        drivers[_topic(msg, names)].notify({}, msg, priority, None)


def bad_messages() -> list[dict[str, Any]]:
    """Malformed notifications, each of which must cost only itself.

    The last ones are those issue 16's review found wedging the listener for
    good (oslo.messaging's dispatcher raising on a null priority, a
    non-decimal Unicode digit, a timestamp at the datetime range's edge):
    each now costs itself, once.
    """
    from graphcdm.sim import emitter

    now = str(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    inst = emitter.Instance("bad00000-0000-4000-8000-000000000bad", "bad-host", "bad-node")

    def poison(edit: Any) -> dict[str, Any]:
        m = emitter.instance_event("instance.update", inst, timestamp=now)
        edit(m)
        return m

    def flavor(m: dict[str, Any]) -> dict[str, Any]:
        return m["payload"]["nova_object.data"]["flavor"]["nova_object.data"]

    def msg(**fields: Any) -> dict[str, Any]:
        base = {"message_id": str(uuid.uuid4()), "publisher_id": "nova-compute:bad-host",
                "event_type": "instance.update", "priority": "INFO",
                "payload": {"nova_object.name": "InstanceUpdatePayload"}, "timestamp": now}
        base.update(fields)
        return base

    return [
        msg(),  # versioned instance event without nova_object.data
        msg(event_type="instance.create.end", payload=["not", "an", "object"]),
        msg(event_type="instance.power_off.end", timestamp="yesterday at noon"),
        msg(event_type="service.update",
            payload={"nova_object.name": "ServiceStatusPayload",
                     "nova_object.data": {"host": 42, "binary": "nova-compute",
                                          "disabled": "maybe"}}),
        msg(event_type="compute.instance.create.end", publisher_id="compute.bad-host",
            payload={"instance_id": 12345, "host": ["h"]}),
        poison(lambda m: m.update(priority=None)),
        poison(lambda m: m.update(priority=7)),
        poison(lambda m: m.update(priority="loud")),
        poison(lambda m: flavor(m).update(vcpus="²")),
        poison(lambda m: flavor(m).update(memory_mb="①")),
        poison(lambda m: m.update(timestamp="9999-12-31T23:59:59.999999-05:00")),
        poison(lambda m: m["payload"]["nova_object.data"].update(uuid="vm-1")),
    ]


def processed(listener: Any) -> int:
    return listener.counts.processed


def wait_processed(listener: Any, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while processed(listener) < n:
        if time.monotonic() > deadline:
            pytest.fail(f"listener processed {processed(listener)} of {n} in {timeout}s: "
                        f"{listener.stats.log_line()}")
        time.sleep(0.1)


def stop(listener: Any) -> None:
    with contextlib.suppress(Exception):
        listener.stop()
        listener.wait()


PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")


def delete_queue(rabbit_url: str, name: str) -> None:
    """Remove a test's queues from the shared broker: its pool's, and the
    ``<topic>.<priority>`` queues oslo.messaging's notifier declares so that
    nothing published is dropped (they would fill up with copies)."""
    import kombu

    tag = name.rpartition("-")[2]
    queues = [name] + [f"{topic}_{tag}.{priority}" for topic in
                       ("versioned_notifications", "notifications") for priority in PRIORITIES]
    with contextlib.suppress(Exception), kombu.Connection(kombu_url(rabbit_url),
                                                          connect_timeout=5) as conn:
        for queue in queues:
            with contextlib.suppress(Exception):
                conn.default_channel.queue_delete(queue)


def kombu_url(rabbit_url: str) -> str:
    url = rabbit_url.replace("rabbit://", "amqp://", 1)
    return url + "/" if url.endswith(":5672/") else url


def queue_depth(rabbit_url: str, name: str) -> int:
    import kombu

    with kombu.Connection(kombu_url(rabbit_url), connect_timeout=5) as conn:
        _, count, _ = conn.default_channel.queue_declare(name, passive=True)
        return int(count)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# -- the known graph (read-side tests) ------------------------------------------------

#: Compute nodes of the known graph. node2 has no reserved/ratio properties
#: (they count as 0 and 1.0); host4 is a placeholder (no uuid, no capacity).
NODES = [
    {"uuid": "u-n1", "hostname": "host1", "hypervisor_hostname": "node1", "state": "up",
     "status": "enabled", "vcpus": 16, "vcpu_reserved": 2, "vcpu_ratio": 4.0,
     "memory_mb": 65536, "memory_mb_reserved": 512, "memory_ratio": 1.5, "disk_gb": 1000,
     "disk_gb_reserved": 10, "disk_ratio": 1.0, "availability_zone": "az1", "placeholder": False},
    {"uuid": "u-n2", "hostname": "host2", "hypervisor_hostname": "node2", "state": "up",
     "status": "disabled", "disabled_reason": "maintenance", "vcpus": 8, "memory_mb": 16384,
     "disk_gb": 100, "availability_zone": "az2", "placeholder": False},
    {"uuid": "u-n3", "hostname": "host3", "hypervisor_hostname": "node3", "state": "down",
     "status": "enabled", "vcpus": 4, "memory_mb": 8192, "disk_gb": 50,
     "availability_zone": "az1", "placeholder": False},
    {"hostname": "host4", "hypervisor_hostname": "host4", "placeholder": True},
    {"uuid": "u-n5", "hostname": "host5", "hypervisor_hostname": "node5", "state": "up",
     "status": "enabled", "vcpus": 2, "memory_mb": 1024, "disk_gb": 10,
     "availability_zone": "az2", "placeholder": False},
]

#: Instances: (properties, hypervisor hostname hosted on or None, minutes since moved or None).
INSTANCES = [
    ({"uuid": "i1", "name": "web-1", "state": "active", "vcpus": 2, "memory_mb": 2048,
      "disk_gb": 20, "project_id": "pA", "availability_zone": "az1", "host": "host1",
      "node": "node1", "created_at": "2024-01-01T10:00:00Z", "metadata": '{"tier": "web"}',
      "locked": False}, "node1", None),
    ({"uuid": "i2", "name": "db-1", "state": "stopped", "vcpus": 4, "memory_mb": 4096,
      "disk_gb": 40, "project_id": "pB", "host": "host1", "node": "node1"}, "node1", None),
    ({"uuid": "i3", "name": "web-2", "state": "error", "vcpus": 1, "memory_mb": 512,
      "disk_gb": 1, "project_id": "pA", "availability_zone": "az2", "host": "host2",
      "node": "node2", "previous_node": "node1"}, "node2", 10),
    ({"uuid": "i4", "name": "shelved", "state": "shelved_offloaded", "vcpus": 2,
      "memory_mb": 1024, "disk_gb": 10, "project_id": "pA", "availability_zone": "az1"},
     None, None),
    ({"uuid": "i5", "host": "host4", "node": "host4"}, "host4", None),
    ({"uuid": "i6", "name": "batch", "state": "active", "vcpus": 2, "memory_mb": 2048,
      "disk_gb": 20, "project_id": "pB", "host": "host2", "node": "node2",
      "previous_node": "node3"}, "node2", 180),
    ({"uuid": "i7", "name": "big", "state": "active", "vcpus": 4, "memory_mb": 512,
      "disk_gb": 5, "project_id": "pC", "host": "host5", "node": "node5"}, "node5", None),
]

LOAD = """
UNWIND $nodes AS n
CREATE (c:ComputeNode) SET c = n
WITH count(*) AS _
UNWIND $instances AS row
CREATE (i:Instance) SET i = row.props
SET i.moved_at = CASE WHEN row.moved IS NULL THEN null
                      ELSE datetime() - duration({minutes: row.moved}) END
WITH i, row
OPTIONAL MATCH (c:ComputeNode {hypervisor_hostname: row.node})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | CREATE (i)-[:HOSTED_ON]->(c))
WITH count(*) AS _
MATCH (c:ComputeNode {hypervisor_hostname: 'node1'})
CREATE (c)-[:MEMBER_OF]->(:Aggregate {id: 1, name: 'fast', availability_zone: 'az1'})
"""


def load_known_graph(driver: neo4j.Driver) -> None:
    """Write the known graph (NODES, INSTANCES) with plain Cypher."""
    instances = [{"props": p, "node": node, "moved": moved} for p, node, moved in INSTANCES]
    with driver.session(database="neo4j") as session:
        session.execute_write(lambda tx: tx.run(LOAD, nodes=NODES, instances=instances).consume())


# -- listeners -----------------------------------------------------------------------

def configure_listener(conf: cfg.ConfigOpts, names: dict[str, str], **extra: Any) -> cfg.ConfigOpts:
    """Point ``conf`` at this test's topics, pool and exchange (``names``); extra overrides."""
    n = {"topics": [names["versioned"], names["legacy"]], "pool": names["pool"],
         "exchange": names["exchange"], "batch_size": 200, "batch_timeout": 0.1,
         "requeue_backoff": 0.5}
    for key, value in {**n, **extra}.items():
        group = "metrics" if key in ("port", "log_interval") else "notifications"
        conf.set_override(key, value, group=group)
    if "port" not in extra:
        conf.set_override("port", 0, group="metrics")
    return conf


# -- the resync's emulated cloud -------------------------------------------------------

def topology() -> ComputeTopology:
    """Three hosts (compute-1 overcommitted, in an aggregate), five instances."""
    t = (ComputeTopology()
         .add_computes(count=3)
         .add_instances(computes=["compute-1"], count=2, vcpus=2, memory=2048, disk=20,
                        ephemeral=5, swap=1500)
         .add_instances(computes=["compute-2"], count=2, vcpus=4, memory=4096, disk=40)
         .add_instances(computes=["compute-3"], count=1, vcpus=1, memory=512, disk=10,
                        bfv=True))
    t.update_compute("compute-1", vcpu_ratio=4.0, vcpu_reserved=2, memory_ratio=1.5,
                     memory_mb_reserved=512, disk_gb_reserved=10)
    t.aggregates.append(Aggregate(id=7, name="ssd", hosts=["compute-1", "compute-2"],
                                  metadata={"ssd": "true"}))
    return t
