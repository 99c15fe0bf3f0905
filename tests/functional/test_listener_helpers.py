"""Helpers of the listener tests: publishing as nova does, waiting, cleaning up.

(A module of its own, named like a test module only so that it belongs with
the listener tests; it holds no test.)
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

import oslo_messaging
import pytest
from oslo_config import cfg
from oslo_messaging.notify.messaging import MessagingV2Driver

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
