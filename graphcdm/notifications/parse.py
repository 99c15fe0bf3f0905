"""Parse: nova notifications to typed changes. Pure functions, no I/O.

:data:`HANDLERS` is the one map from ``event_type`` to what the event means
for the compute model. Every entry says how the event treats *placement*:

- ``PAYLOAD``: the payload's host/node is where the instance is now
  (a null host unmaps it: not scheduled yet, or shelve-offloaded);
- ``REBUILD``: as ``PAYLOAD``, except that an evacuation's rebuild.end shows
  the OLD host; the destination compute emits it, so a publisher host that
  differs from the payload host is a move to the publisher host;
- ``UNMAP``: the instance runs nowhere (shelve offload);
- ``KEEP``: attributes only; the payload host may be stale
  (``live_migration_post.end`` still shows the source);
- ``DELETE`` / ``SOFT_DELETE``: the instance leaves the model.

Event types not in the map are *ignored* (counted, not rejected): nova
sends many that do not change the compute model.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

from graphcdm.graph.changes import (
    Change,
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceDelete,
    ServiceUpsert,
    json_text,
)
from graphcdm.notifications import fields
from graphcdm.notifications.envelope import Notification, Rejected

#: Metadata larger than this (as JSON) is replaced by a marker, not stored.
MAX_METADATA_CHARS = 16 * 1024


class Placement(enum.Enum):
    PAYLOAD = "payload"
    REBUILD = "rebuild"
    UNMAP = "unmap"
    KEEP = "keep"
    DELETE = "delete"
    SOFT_DELETE = "soft-delete"


class Format(enum.Enum):
    VERSIONED = "versioned"
    LEGACY = "legacy"


# (versioned event, legacy event, placement). None where nova has no twin.
_INSTANCE_EVENTS: list[tuple[str | None, str | None, Placement]] = [
    ("instance.create.end", "compute.instance.create.end", Placement.PAYLOAD),
    ("instance.update", "compute.instance.update", Placement.PAYLOAD),
    ("instance.rebuild.end", "compute.instance.rebuild.end", Placement.REBUILD),
    ("instance.resize.end", "compute.instance.resize.end", Placement.PAYLOAD),
    ("instance.resize_finish.end", "compute.instance.finish_resize.end", Placement.PAYLOAD),
    ("instance.resize_confirm.end", "compute.instance.resize.confirm.end", Placement.PAYLOAD),
    ("instance.resize_revert.end", "compute.instance.resize.revert.end", Placement.PAYLOAD),
    ("instance.live_migration_post_dest.end",
     "compute.instance.live_migration.post.dest.end", Placement.PAYLOAD),
    ("instance.live_migration_post.end", "compute.instance.live_migration._post.end",
     Placement.KEEP),
    ("instance.live_migration_rollback.end",
     "compute.instance.live_migration._rollback.end", Placement.PAYLOAD),
    ("instance.live_migration_rollback_dest.end",
     "compute.instance.live_migration.rollback.dest.end", Placement.PAYLOAD),
    ("instance.live_migration_abort.end", None, Placement.KEEP),
    ("instance.live_migration_force_complete.end", None, Placement.KEEP),
    ("instance.evacuate", None, Placement.KEEP),
    ("instance.shelve_offload.end", "compute.instance.shelve_offload.end", Placement.UNMAP),
    ("instance.unshelve.end", "compute.instance.unshelve.end", Placement.PAYLOAD),
    ("instance.shelve.end", "compute.instance.shelve.end", Placement.PAYLOAD),
    ("instance.power_on.end", "compute.instance.power_on.end", Placement.PAYLOAD),
    ("instance.power_off.end", "compute.instance.power_off.end", Placement.PAYLOAD),
    ("instance.reboot.end", "compute.instance.reboot.end", Placement.PAYLOAD),
    ("instance.shutdown.end", "compute.instance.shutdown.end", Placement.PAYLOAD),
    ("instance.pause.end", "compute.instance.pause.end", Placement.PAYLOAD),
    ("instance.unpause.end", "compute.instance.unpause.end", Placement.PAYLOAD),
    ("instance.suspend.end", "compute.instance.suspend.end", Placement.PAYLOAD),
    ("instance.resume.end", "compute.instance.resume.end", Placement.PAYLOAD),
    ("instance.rescue.end", "compute.instance.rescue.end", Placement.PAYLOAD),
    ("instance.unrescue.end", "compute.instance.unrescue.end", Placement.PAYLOAD),
    ("instance.restore.end", "compute.instance.restore.end", Placement.PAYLOAD),
    ("instance.lock", None, Placement.PAYLOAD),
    ("instance.unlock", None, Placement.PAYLOAD),
    ("instance.snapshot.end", "compute.instance.snapshot.end", Placement.PAYLOAD),
    ("instance.trigger_crash_dump.end", None, Placement.PAYLOAD),
    ("instance.delete.end", "compute.instance.delete.end", Placement.DELETE),
    ("instance.soft_delete.end", "compute.instance.soft_delete.end", Placement.SOFT_DELETE),
]

_SERVICE_EVENTS = ("service.create", "service.update", "service.delete")

Handler = Callable[[Notification], list[Change]]


# --------------------------------------------------------------------------
# field access with clear rejections


def _data(n: Notification) -> dict[str, Any]:
    data = n.payload.get("nova_object.data")
    if not isinstance(data, dict):
        raise Rejected(f"{n.event_type}: payload has no nova_object.data object")
    return data


# Every value is read by graphcdm.notifications.fields (its docstring is the
# contract: what is accepted, refused and why), so that only Rejected can
# leave parsing.
_opt_str = fields.text
_req_str = fields.required_text
_host = fields.name
_opt_int = fields.whole
_opt_bool = fields.flag
_uuid = fields.instance_uuid


def _metadata(value: Any) -> str | None:
    """Instance metadata as a JSON string (Neo4j properties cannot be maps)."""
    if value is None:
        return None
    if isinstance(value, list):  # legacy payloads: [{"key": k, "value": v}]
        try:
            value = {item["key"]: item["value"] for item in value}
        except (TypeError, KeyError):
            raise Rejected("metadata list is not key/value pairs") from None
    if not isinstance(value, dict):
        raise Rejected(f"metadata is {type(value).__name__}, not an object")
    text = json_text(value)
    if len(text) > MAX_METADATA_CHARS:
        return json_text({"_truncated": len(text)})
    return text


def _disk_gb(root: int | None, ephemeral: int | None, swap_mb: int | None) -> int | None:
    """Disk as Watcher counts it: root + ephemeral + swap rounded up to GB."""
    if root is None and ephemeral is None and swap_mb is None:
        return None
    return (root or 0) + (ephemeral or 0) + math.ceil((swap_mb or 0) / 1024)


# --------------------------------------------------------------------------
# instance attributes, per format


def _versioned_instance(n: Notification) -> tuple[str, dict[str, Any], str | None, str | None]:
    d = _data(n)
    uuid = _uuid(d, "uuid")
    flavor_obj = d.get("flavor")
    flavor: dict[str, Any] = {}
    if flavor_obj is not None:
        if not isinstance(flavor_obj, dict):
            raise Rejected("flavor is not an object")
        flavor = flavor_obj.get("nova_object.data", flavor_obj)
        if not isinstance(flavor, dict):
            raise Rejected("flavor has no data object")
    root, eph, swap = (_opt_int(flavor, "root_gb"), _opt_int(flavor, "ephemeral_gb"),
                       _opt_int(flavor, "swap"))
    attrs = {
        "name": _opt_str(d, "display_name"),
        "state": _opt_str(d, "state"),
        "task_state": _opt_str(d, "task_state"),
        "power_state": _opt_str(d, "power_state"),
        "vcpus": _opt_int(flavor, "vcpus"),
        "memory_mb": _opt_int(flavor, "memory_mb"),
        "root_gb": root,
        "ephemeral_gb": eph,
        "swap_mb": swap,
        "disk_gb": _disk_gb(root, eph, swap),
        "flavor": _opt_str(flavor, "name"),
        "flavor_id": _opt_str(flavor, "flavorid"),
        "project_id": _opt_str(d, "tenant_id"),
        "user_id": _opt_str(d, "user_id"),
        "locked": _opt_bool(d, "locked"),
        "locked_reason": _opt_str(d, "locked_reason"),
        "availability_zone": _opt_str(d, "availability_zone"),
        "created_at": _opt_str(d, "created_at"),
        "metadata": _metadata(d.get("metadata")),
    }
    return uuid, attrs, _host(d, "host"), _host(d, "node")


def _legacy_instance(n: Notification) -> tuple[str, dict[str, Any], str | None, str | None]:
    d = n.payload
    uuid = _uuid(d, "instance_id")
    root, eph = _opt_int(d, "root_gb"), _opt_int(d, "ephemeral_gb")
    disk = _opt_int(d, "disk_gb")
    attrs = {
        "name": _opt_str(d, "display_name"),
        "state": _opt_str(d, "state"),
        "task_state": _opt_str(d, "new_task_state") or _opt_str(d, "state_description") or None,
        "power_state": None,
        "vcpus": _opt_int(d, "vcpus"),
        "memory_mb": _opt_int(d, "memory_mb"),
        "root_gb": root,
        "ephemeral_gb": eph,
        "swap_mb": None,
        "disk_gb": disk if disk is not None else _disk_gb(root, eph, None),
        "flavor": _opt_str(d, "instance_type"),
        "flavor_id": _opt_str(d, "instance_flavor_id"),
        "project_id": _opt_str(d, "tenant_id"),
        "user_id": _opt_str(d, "user_id"),
        "locked": None,
        "locked_reason": None,
        "availability_zone": _opt_str(d, "availability_zone"),
        "created_at": _opt_str(d, "created_at"),
        "metadata": _metadata(d.get("metadata")),
    }
    return uuid, attrs, _host(d, "host"), _host(d, "node")


_READERS = {Format.VERSIONED: _versioned_instance, Format.LEGACY: _legacy_instance}


def _instance_handler(fmt: Format, placement: Placement) -> Handler:
    read = _READERS[fmt]

    def handle(n: Notification) -> list[Change]:
        uuid, attrs, host, node = read(n)
        version = n.version
        if placement is Placement.DELETE or attrs.get("state") == "deleted":
            return [InstanceDelete(uuid, version, final=True)]
        if placement is Placement.SOFT_DELETE:
            return [InstanceDelete(uuid, version, final=False)]
        changes: list[Change] = [InstanceUpsert(uuid, version, attrs)]
        if placement is Placement.UNMAP:
            changes.append(InstanceUnmap(uuid, version))
        elif placement is Placement.REBUILD:
            changes.append(_rebuild_placement(n, uuid, version, host, node))
        elif placement is Placement.PAYLOAD:
            changes.append(InstanceMove(uuid, version, host, node) if host
                           else InstanceUnmap(uuid, version))
        return changes

    handle.__doc__ = f"{fmt.value} instance event, placement {placement.value}"
    return handle


def _rebuild_placement(n: Notification, uuid: str, version: str,
                       host: str | None, node: str | None) -> Change:
    """Rebuild in place keeps the host; evacuation moves to the publisher's host.

    nova's evacuate path sends rebuild.end from the destination compute with
    the instance still showing the failed source host/node, so when the
    publisher is a compute service on another host, trust the publisher.
    The node of that host is not in the payload: the writer resolves it.
    """
    pub = n.publisher_host
    if pub and _is_compute_publisher(n.publisher_id) and pub != host:
        return InstanceMove(uuid, version, pub, None)
    if host:
        return InstanceMove(uuid, version, host, node)
    return InstanceUnmap(uuid, version)


def _is_compute_publisher(publisher_id: str) -> bool:
    return publisher_id.startswith(("nova-compute:", "compute."))


# --------------------------------------------------------------------------
# services


def _service_handler(n: Notification) -> list[Change] | None:
    d = _data(n)
    binary = _opt_str(d, "binary")
    if binary != "nova-compute":
        return None  # nova-scheduler, nova-conductor...: not a compute node
    host = _req_str(d, "host")
    if n.event_type == "service.delete":
        return [ServiceDelete(host, n.version)]
    return [ServiceUpsert(
        host=host,
        version=n.version,
        disabled=bool(_opt_bool(d, "disabled")),
        disabled_reason=_opt_str(d, "disabled_reason"),
        forced_down=bool(_opt_bool(d, "forced_down")),
        service_uuid=_opt_str(d, "uuid"),
        availability_zone=_opt_str(d, "availability_zone"),
        last_seen_up=_opt_str(d, "last_seen_up"),
    )]


def _build_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for versioned, legacy, placement in _INSTANCE_EVENTS:
        if versioned:
            handlers[versioned] = _instance_handler(Format.VERSIONED, placement)
        if legacy:
            handlers[legacy] = _instance_handler(Format.LEGACY, placement)
    for event in _SERVICE_EVENTS:
        handlers[event] = _service_handler
    return handlers


#: event_type -> handler; the one place that says which events matter.
HANDLERS: dict[str, Handler] = _build_handlers()

#: event_type -> placement effect, for documentation and the CLI.
EFFECTS: dict[str, str] = {
    **{e: p.value for v, leg, p in _INSTANCE_EVENTS for e in (v, leg) if e},
    **{e: "service" for e in _SERVICE_EVENTS},
}


#: effect -> what it does to the model, for docs/EVENTS.md.
EFFECT_TEXT: dict[str, str] = {
    Placement.PAYLOAD.value:
        "attributes; HOSTED_ON the payload's host/node (a null host unmaps)",
    Placement.REBUILD.value:
        "attributes; in place on the payload's host/node, or, when a compute on another "
        "host published it (evacuation: the payload still shows the failed host), "
        "HOSTED_ON the publisher's host",
    Placement.KEEP.value:
        "attributes only; placement untouched (the payload's host may be stale)",
    Placement.UNMAP.value:
        "attributes; HOSTED_ON removed, the instance stays (shelve offload)",
    Placement.DELETE.value:
        "instance removed; a final tombstone stops any later event resurrecting it",
    Placement.SOFT_DELETE.value:
        "instance removed; a tombstone stops older events, a newer restore brings it back",
    "service":
        "nova-compute only (other binaries ignored): create/update set status, state, "
        "disabled_reason, forced_down on the host's compute node(s), a host-only "
        "placeholder when none is known; delete removes the host's nodes and the "
        "instances still placed there, and leaves a service tombstone",
}


def events_markdown() -> str:
    """docs/EVENTS.md: every handled event type and its effect, from :data:`EFFECTS`.

    Generated so that the documentation cannot drift from the code; a unit
    test compares the file with this text.
    """
    twins = {e: (v, leg) for v, leg, _ in _INSTANCE_EVENTS for e in (v, leg) if e}
    lines = [
        "# Nova events graphcdm handles",
        "",
        "Generated from `graphcdm.notifications.parse.EFFECTS`; do not edit by hand.",
        "Regenerate with `python -c \"from graphcdm.notifications import parse;",
        "print(parse.events_markdown(), end='')\" > docs/EVENTS.md`.",
        "",
        "Every change is applied only when newer than what the graph holds for the same",
        "instance aspect (attributes or placement) or service: the version is the",
        "envelope timestamp, tie-broken by message id. Event types not listed are",
        "counted as *ignored*; malformed notifications as *rejected*.",
        "",
        "| event type | format | twin | effect | what it does |",
        "|---|---|---|---|---|",
    ]
    for event in sorted(EFFECTS):
        effect = EFFECTS[event]
        fmt = "legacy" if event.startswith("compute.") else "versioned"
        versioned, legacy = twins.get(event, (None, None))
        twin = (legacy if fmt == "versioned" else versioned) or ""
        lines.append(f"| `{event}` | {fmt} | {f'`{twin}`' if twin else '—'} | {effect} | "
                     f"{EFFECT_TEXT[effect]} |")
    lines += [
        "",
        "Legacy publisher ids are `compute.<host>`, versioned `nova-compute:<host>`; a",
        "rebuild counts as an evacuation only when published by a compute service.",
        "An instance placed on an unknown node gets a placeholder compute node",
        "(`uuid` null) that the resync completes. Any instance event whose payload",
        "state is `deleted` counts as a delete.",
        "",
        "## What makes the result independent of delivery order",
        "",
        "- `Instance.version` (attributes) and `Instance.placement_version` (host, node,",
        "  HOSTED_ON): a change applies only when newer; a redelivery is never newer.",
        "- `InstanceTombstone {uuid, version, final}`: a hard delete blocks every later",
        "  event; a soft delete blocks older ones. Purged after `[graph] tombstone_max_age`",
        "  (`graphcdm purge-tombstones`).",
        "- `ServiceTombstone {hostname, version}`: a nova-compute `service.delete` voids",
        "  every older fact about the host: its nodes not seen since (`seen_version`) go,",
        "  older placements there get no edge, and an instance known only from before",
        "  the deletion is marked `gone` (absent from the export, purged with the",
        "  tombstone).",
        "- Host-only placeholders (`host_only: true`, `hypervisor_hostname` = host) stand",
        "  for a host whose node name no event gave yet (evacuation, `service.*`); they",
        "  are folded into the real node as soon as one is known.",
        "- Within a batch only the newest change per instance aspect is written, but",
        "  every move still records its node; batches committed concurrently take",
        "  write locks before reading versions.",
        "",
    ]
    return "\n".join(lines)


def parse(n: Notification) -> list[Change] | None:
    """Changes a notification means; None when it does not concern the model.

    Raises :class:`Rejected` when the notification is malformed.
    """
    handler = HANDLERS.get(n.event_type)
    if handler is None:
        return None
    try:
        return handler(n)
    except Rejected as exc:
        raise Rejected(f"{n.event_type}: {exc}") from None
    except RecursionError:
        raise Rejected(f"{n.event_type}: payload nested too deeply") from None
