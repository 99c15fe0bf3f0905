"""Build notifications shaped like nova's, in both formats.

Used by the scenario tests, the cloud simulator and the listener tests to
speak exactly as nova does: versioned ``instance.*``/``service.*`` events
whose payload is an ``InstanceActionPayload`` / ``ServiceStatusPayload``
(``nova_object.data``, fields as in nova's doc/notification_samples) with
publisher ``nova-compute:<host>``, and legacy ``compute.instance.*`` events
with the flat ``info_from_instance`` payload and publisher
``compute.<host>``. The field sets are checked against nova's own samples
by the unit tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flavor:
    name: str = "m1.small"
    flavorid: str = "2"
    vcpus: int = 1
    memory_mb: int = 2048
    root_gb: int = 20
    ephemeral_gb: int = 0
    swap: int = 0

    @property
    def disk_gb(self) -> int:
        return self.root_gb + self.ephemeral_gb + -(-self.swap // 1024)


@dataclass(frozen=True)
class Instance:
    """What nova's Instance object holds at the moment it notifies."""

    uuid: str
    host: str | None
    node: str | None
    name: str = "vm"
    state: str = "active"
    task_state: str | None = None
    power_state: str = "running"
    flavor: Flavor = field(default_factory=Flavor)
    project_id: str = "6f70656e737461636b20342065766572"
    user_id: str = "fake"
    availability_zone: str | None = "nova"
    locked: bool = False
    created_at: str = "2012-10-29T13:42:11Z"
    metadata: dict[str, str] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Instance:
        return dataclasses.replace(self, **changes)


def _ts(when: dt.datetime | str) -> str:
    """oslo.messaging's timestamp text: ``str(utcnow())``."""
    if isinstance(when, str):
        return when
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return str(when)


def versioned_instance_payload(inst: Instance) -> dict[str, Any]:
    f = inst.flavor
    return {
        "nova_object.name": "InstanceActionPayload",
        "nova_object.namespace": "nova",
        "nova_object.version": "1.9",
        "nova_object.data": {
            "uuid": inst.uuid,
            "display_name": inst.name,
            "display_description": inst.name,
            "host_name": inst.name,
            "host": inst.host,
            "node": inst.node,
            "state": inst.state,
            "task_state": inst.task_state,
            "power_state": inst.power_state,
            "tenant_id": inst.project_id,
            "user_id": inst.user_id,
            "availability_zone": inst.availability_zone,
            "locked": inst.locked,
            "locked_reason": None,
            "created_at": inst.created_at,
            "launched_at": inst.created_at,
            "updated_at": None,
            "deleted_at": None,
            "terminated_at": None,
            "metadata": dict(inst.metadata),
            "architecture": "x86_64",
            "image_uuid": "155d900f-4e14-4e4c-a73d-069cbf4541e6",
            "key_name": "my-key",
            "kernel_id": "",
            "ramdisk_id": "",
            "os_type": None,
            "progress": 0,
            "reservation_id": "r-npxv0e40",
            "auto_disk_config": "MANUAL",
            "request_id": "req-" + inst.uuid,
            "action_initiator_user": inst.user_id,
            "action_initiator_project": inst.project_id,
            "ip_addresses": [],
            "block_devices": [],
            "shares": [],
            "fault": None,
            "flavor": {
                "nova_object.name": "FlavorPayload",
                "nova_object.namespace": "nova",
                "nova_object.version": "1.4",
                "nova_object.data": {
                    "name": f.name,
                    "flavorid": f.flavorid,
                    "vcpus": f.vcpus,
                    "memory_mb": f.memory_mb,
                    "root_gb": f.root_gb,
                    "ephemeral_gb": f.ephemeral_gb,
                    "swap": f.swap,
                    "disabled": False,
                    "is_public": True,
                    "rxtx_factor": 1.0,
                    "vcpu_weight": 0,
                    "extra_specs": {},
                    "projects": None,
                    "description": None,
                },
            },
        },
    }


def legacy_instance_payload(inst: Instance) -> dict[str, Any]:
    f = inst.flavor
    return {
        "instance_id": inst.uuid,
        "display_name": inst.name,
        "hostname": inst.name,
        "host": inst.host,
        "node": inst.node,
        "state": inst.state,
        "state_description": inst.task_state or "",
        "tenant_id": inst.project_id,
        "user_id": inst.user_id,
        "availability_zone": inst.availability_zone,
        "instance_type": f.name,
        "instance_flavor_id": f.flavorid,
        "instance_type_id": 5,
        "vcpus": f.vcpus,
        "memory_mb": f.memory_mb,
        "root_gb": f.root_gb,
        "ephemeral_gb": f.ephemeral_gb,
        "disk_gb": f.root_gb + f.ephemeral_gb,
        "created_at": inst.created_at.replace("T", " ").replace("Z", "+00:00"),
        "launched_at": inst.created_at,
        "terminated_at": "",
        "deleted_at": "",
        "metadata": dict(inst.metadata),
        "reservation_id": "r-jmbnz8nc",
        "progress": "",
        "architecture": None,
        "os_type": None,
        "kernel_id": "",
        "ramdisk_id": "",
        "image_ref_url": "http://127.0.0.1:9292/images/886eae2b-b41f-4340-acd1-a1b926671b0a",
        "image_meta": {},
        "fixed_ips": [],
        "cell_name": "",
        "access_ip_v4": None,
        "access_ip_v6": None,
    }


def instance_event(event_type: str, inst: Instance, *, timestamp: dt.datetime | str,
                   publisher_host: str | None = None, message_id: str | None = None,
                   ) -> dict[str, Any]:
    """One instance notification in the message form.

    ``compute.instance.*`` events are legacy (flat payload, publisher
    ``compute.<host>``); others versioned (publisher ``nova-compute:<host>``).
    The publisher host defaults to the instance's host.
    """
    legacy = event_type.startswith("compute.")
    host = publisher_host or inst.host or "api"
    return {
        "message_id": message_id or str(uuidlib.uuid4()),
        "publisher_id": f"compute.{host}" if legacy else f"nova-compute:{host}",
        "event_type": event_type,
        "priority": "INFO",
        "payload": legacy_instance_payload(inst) if legacy else versioned_instance_payload(inst),
        "timestamp": _ts(timestamp),
    }


def service_event(event_type: str, host: str, *, timestamp: dt.datetime | str,
                  binary: str = "nova-compute", disabled: bool = False,
                  disabled_reason: str | None = None, forced_down: bool = False,
                  message_id: str | None = None) -> dict[str, Any]:
    """One versioned ``service.*`` notification (nova sends no legacy twin)."""
    return {
        "message_id": message_id or str(uuidlib.uuid4()),
        "publisher_id": f"{binary}:{host}",
        "event_type": event_type,
        "priority": "INFO",
        "payload": {
            "nova_object.name": "ServiceStatusPayload",
            "nova_object.namespace": "nova",
            "nova_object.version": "1.1",
            "nova_object.data": {
                "host": host,
                "binary": binary,
                "topic": "compute" if binary == "nova-compute" else binary.split("-")[-1],
                "uuid": str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, f"{binary}.{host}")),
                "report_count": 1,
                "disabled": disabled,
                "disabled_reason": disabled_reason,
                "availability_zone": None,
                "last_seen_up": None,
                "forced_down": forced_down,
                "version": 66,
            },
        },
        "timestamp": _ts(timestamp),
    }


def to_wire(message: dict[str, Any]) -> dict[str, Any]:
    """oslo.messaging's wire form (what sits in the RabbitMQ message body)."""
    return {"oslo.version": "2.0", "oslo.message": json.dumps(message)}


def to_endpoint(message: dict[str, Any]) -> dict[str, Any]:
    """The endpoint form (Watcher's sample files): metadata holds id and time."""
    out = {k: message[k] for k in ("event_type", "payload", "publisher_id", "priority")}
    out["metadata"] = {"message_id": message["message_id"], "timestamp": message["timestamp"]}
    return out


class Clock:
    """Successive emitter timestamps, one step apart: scenarios read in time order.

    ``clock()`` returns the next time; ``clock.skew(seconds)`` a time that
    far from the current one without advancing (another host's clock).
    """

    def __init__(self, start: dt.datetime = dt.datetime(2026, 11, 25, 10, 0, 0),
                 step: dt.timedelta = dt.timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> dt.datetime:
        self.now = self.now + self.step
        return self.now

    def skew(self, seconds: float) -> dt.datetime:
        return self.now + dt.timedelta(seconds=seconds)
