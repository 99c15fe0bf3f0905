"""Parse: nova notifications to typed changes. Pure functions, no I/O.

:data:`EVENTS` is the one table from ``event_type`` to what the event means
for the compute model, read off nova's code: how it treats *placement*, and
which attribute *aspects* (:class:`~graphcdm.graph.attributes.Aspect`: state,
flavor, details, lock) it is authoritative for. An event sets only the
aspects it is authoritative for; the others keep what fresher events wrote.

Placement:

- ``PAYLOAD``: the payload's host/node is where the instance is now
  (a null host unmaps it: not scheduled yet, or shelve-offloaded);
- ``REBUILD``: as ``PAYLOAD``, except that an evacuation's rebuild.end shows
  the OLD host; the destination compute emits it, so a publisher host that
  differs from the payload host is a move to the publisher host;
- ``SAVER``: a save or an action on the instance by whoever published it.
  Authoritative (placement and every aspect) only when the publisher is the
  compute the payload names, or the payload names no host; otherwise the
  saver is nova-api, nova-conductor (``instance.update`` is published as
  ``nova-compute:<CONF.host>`` whoever saved) or a compute holding a stale
  copy, and the event sets details only (see :func:`saver_is_authoritative`);
- ``UNMAP``: the instance runs nowhere (shelve offload);
- ``KEEP``: placement untouched (the payload's host may be stale);
- ``DELETE`` / ``SOFT_DELETE``: the instance leaves the model.

Versions carry a causal *rank* between timestamp and message id
(:func:`~graphcdm.notifications.envelope.ranked`): at equal timestamps an
operation's event outranks an ``instance.update``.

Event types not in the table are *ignored* (counted, not rejected): nova
sends many that do not change the compute model.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphcdm.graph import attributes
from graphcdm.graph.attributes import ALL_ASPECTS, Aspect
from graphcdm.graph.changes import (
    Change,
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceDelete,
    ServiceUpsert,
)
from graphcdm.notifications import fields
from graphcdm.notifications.envelope import Notification, Rejected, ranked


class Placement(enum.Enum):
    PAYLOAD = "payload"
    REBUILD = "rebuild"
    SAVER = "saver"
    UNMAP = "unmap"
    KEEP = "keep"
    DELETE = "delete"
    SOFT_DELETE = "soft-delete"


class Format(enum.Enum):
    VERSIONED = "versioned"
    LEGACY = "legacy"


NONE: frozenset[Aspect] = frozenset()
#: what a save or action by someone other than the payload's compute may set
SAVER_OTHERS: frozenset[Aspect] = frozenset({Aspect.DETAILS})

#: rank of a save (instance.update) and of every other event, see ranked()
RANK_SAVE, RANK_EVENT = 0, 1


@dataclass(frozen=True)
class Event:
    """One row of the event table: a nova event in both formats and its authority."""

    versioned: str | None
    legacy: str | None
    placement: Placement
    aspects: frozenset[Aspect] = ALL_ASPECTS
    rank: int = RANK_EVENT
    #: why, from nova's code (docs/EVENTS.md)
    why: str = ""


_STALE = "built from a copy taken before the write that ended the operation"

#: The event table. None where nova has no twin in that format.
EVENTS: list[Event] = [
    Event("instance.create.end", "compute.instance.create.end", Placement.PAYLOAD),
    Event("instance.update", "compute.instance.update", Placement.SAVER, rank=RANK_SAVE,
          why="the row read back after a save, published as nova-compute:<saver's host> "
              "whoever saved (notifications/base.py _send_versioned_instance_update)"),
    Event("instance.rebuild.end", "compute.instance.rebuild.end", Placement.REBUILD,
          why="evacuation: sent by the destination before finish_evacuation saves its host"),
    Event("instance.resize.end", "compute.instance.resize.end", Placement.KEEP,
          frozenset({Aspect.DETAILS, Aspect.LOCK}),
          why="the source's copy (old flavor, resize_migrated) sent after casting "
              "finish_resize; cross-cell it shows the source host (resize_instance)"),
    Event("instance.resize_finish.end", "compute.instance.finish_resize.end",
          Placement.PAYLOAD, why="the destination after saving host, new flavor, resized"),
    Event("instance.resize_confirm.end", "compute.instance.resize.confirm.end",
          Placement.PAYLOAD),
    Event("instance.resize_revert.end", "compute.instance.resize.revert.end",
          Placement.PAYLOAD),
    Event("instance.live_migration_post_dest.end",
          "compute.instance.live_migration.post.dest.end", Placement.PAYLOAD,
          why="the destination after saving host/node (post_live_migration_at_destination)"),
    Event("instance.live_migration_post.end", "compute.instance.live_migration._post.end",
          Placement.KEEP, NONE, why=f"the source's copy: {_STALE} (_post_live_migration)"),
    Event("instance.live_migration_rollback.end",
          "compute.instance.live_migration._rollback.end", Placement.PAYLOAD,
          why="the source after saving (_rollback_live_migration)"),
    Event("instance.live_migration_rollback_dest.end",
          "compute.instance.live_migration.rollback.dest.end", Placement.KEEP, NONE,
          why=f"a cast to the destination with its copy (task_state migrating): {_STALE}"),
    Event("instance.live_migration_abort.end", None, Placement.KEEP, NONE,
          why="a copy with task_state migrating; the rollback that follows saves"),
    Event("instance.live_migration_force_complete.end", None, Placement.KEEP, NONE,
          why="a copy with task_state migrating; post_dest.end follows"),
    Event("instance.evacuate", None, Placement.KEEP, NONE,
          why="nova-api's copy before the rebuild (compute/api.py evacuate)"),
    Event("instance.shelve_offload.end", "compute.instance.shelve_offload.end",
          Placement.UNMAP),
    Event("instance.unshelve.end", "compute.instance.unshelve.end", Placement.PAYLOAD),
    *[Event(f"instance.{a}.end", f"compute.instance.{a}.end", Placement.SAVER)
      for a in ("shelve", "power_on", "power_off", "reboot", "shutdown", "pause", "unpause",
                "suspend", "resume", "rescue", "unrescue", "restore", "snapshot")],
    Event("instance.trigger_crash_dump.end", None, Placement.SAVER),
    Event("instance.lock", None, Placement.KEEP, frozenset({Aspect.LOCK}),
          why="sent by nova-api:<host> (compute/api.py lock)"),
    Event("instance.unlock", None, Placement.KEEP, frozenset({Aspect.LOCK}),
          why="sent by nova-api:<host> (compute/api.py unlock)"),
    Event("instance.delete.end", "compute.instance.delete.end", Placement.DELETE),
    Event("instance.soft_delete.end", "compute.instance.soft_delete.end",
          Placement.SOFT_DELETE),
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


# --------------------------------------------------------------------------
# instance attributes, per format: raw values only; attributes.derive() does the rest


def _present(d: dict[str, Any], readers: dict[str, tuple[str, Callable[..., Any]]]
             ) -> dict[str, Any]:
    """{graph name: read(d, payload key)} for the payload keys present in ``d``.

    Absent keys stay absent: the field is unknown to this payload, not null.
    """
    return {name: read(d, key) for name, (key, read) in readers.items() if key in d}


_VERSIONED = {
    "name": ("display_name", _opt_str), "state": ("state", _opt_str),
    "task_state": ("task_state", _opt_str), "power_state": ("power_state", _opt_str),
    "project_id": ("tenant_id", _opt_str), "user_id": ("user_id", _opt_str),
    "locked": ("locked", _opt_bool), "locked_reason": ("locked_reason", _opt_str),
    "availability_zone": ("availability_zone", _opt_str),
    "created_at": ("created_at", _opt_str), "image": ("image_uuid", _opt_str),
    "metadata": ("metadata", lambda d, k: d.get(k)),
}
_VERSIONED_FLAVOR = {
    "vcpus": ("vcpus", _opt_int), "memory_mb": ("memory_mb", _opt_int),
    "root_gb": ("root_gb", _opt_int), "ephemeral_gb": ("ephemeral_gb", _opt_int),
    "swap_mb": ("swap", _opt_int), "flavor": ("name", _opt_str),
    "flavor_id": ("flavorid", _opt_str),
}
_LEGACY = {
    "name": ("display_name", _opt_str), "state": ("state", _opt_str),
    "task_state": ("state_description", _opt_str),
    "project_id": ("tenant_id", _opt_str), "user_id": ("user_id", _opt_str),
    "availability_zone": ("availability_zone", _opt_str),
    "created_at": ("created_at", _opt_str),
    "metadata": ("metadata", lambda d, k: d.get(k)),
    "vcpus": ("vcpus", _opt_int), "memory_mb": ("memory_mb", _opt_int),
    "root_gb": ("root_gb", _opt_int), "ephemeral_gb": ("ephemeral_gb", _opt_int),
    "flavor": ("instance_type", _opt_str), "flavor_id": ("instance_flavor_id", _opt_str),
}


def _versioned_instance(n: Notification) -> tuple[str, dict[str, Any], str | None, str | None]:
    d = _data(n)
    uuid = _uuid(d, "uuid")
    raw = _present(d, _VERSIONED)
    flavor_obj = d.get("flavor")
    if flavor_obj is not None:
        if not isinstance(flavor_obj, dict):
            raise Rejected("flavor is not an object")
        flavor = flavor_obj.get("nova_object.data", flavor_obj)
        if not isinstance(flavor, dict):
            raise Rejected("flavor has no data object")
        raw.update(_present(flavor, _VERSIONED_FLAVOR))
    return uuid, raw, _host(d, "host"), _host(d, "node")


def _legacy_instance(n: Notification) -> tuple[str, dict[str, Any], str | None, str | None]:
    d = n.payload
    uuid = _uuid(d, "instance_id")
    raw = _present(d, _LEGACY)
    if d.get("new_task_state"):  # update notifications with states say it again
        raw["task_state"] = _opt_str(d, "new_task_state")
    return uuid, raw, _host(d, "host"), _host(d, "node")


_READERS = {Format.VERSIONED: _versioned_instance, Format.LEGACY: _legacy_instance}


def saver_is_authoritative(publisher_host: str | None, payload_host: str | None) -> bool:
    """Whether a save (or action) may say where the instance is and what it is.

    nova's ``instance.update`` is published as ``nova-compute:<CONF.host>`` of
    whoever saved: a compute, nova-api or nova-conductor. Their payload is the
    row read back after the save, but nova-api's clock may run ahead of the
    computes' and nova-conductor saves copies that are not the live instance
    (a cross-cell resize hides the source cell's copy, host = source, after
    the destination finished). nova's API and conductor never place an
    instance on a compute (they only null a host, e.g. cell0). So a save is
    authoritative when its publisher is the compute the payload names, or
    when the payload names no host at all. Decidable from the notification
    alone, hence the same in any delivery order; on an all-in-one host the
    API's save names that host only when the instance is there.
    """
    return payload_host is None or publisher_host == payload_host


def _instance_handler(fmt: Format, event: Event) -> Handler:
    read = _READERS[fmt]

    def handle(n: Notification) -> list[Change]:
        uuid, raw, host, node = read(n)
        try:
            attrs = attributes.derive(raw)
        except attributes.Invalid as exc:
            raise Rejected(str(exc)) from None
        version = ranked(n.version, event.rank)
        placement, aspects = event.placement, event.aspects
        if placement is Placement.SAVER:
            if saver_is_authoritative(n.publisher_host, host):
                placement = Placement.PAYLOAD
            else:
                placement, aspects = Placement.KEEP, aspects & SAVER_OTHERS
        if placement is Placement.DELETE or (
                Aspect.STATE in aspects and attrs.get("state") == "deleted"):
            return [InstanceDelete(uuid, version, final=True)]
        if placement is Placement.SOFT_DELETE:
            return [InstanceDelete(uuid, version, final=False)]
        changes: list[Change] = []
        kept = attributes.restrict(attrs, aspects)
        if kept:
            changes.append(InstanceUpsert(uuid, version, kept))
        if placement is Placement.UNMAP:
            changes.append(InstanceUnmap(uuid, version))
        elif placement is Placement.REBUILD:
            changes.append(_rebuild_placement(n, uuid, version, host, node))
        elif placement is Placement.PAYLOAD:
            changes.append(InstanceMove(uuid, version, host, node) if host
                           else InstanceUnmap(uuid, version))
        return changes

    handle.__doc__ = f"{fmt.value} instance event, placement {event.placement.value}"
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
    version = ranked(n.version, RANK_EVENT)
    if n.event_type == "service.delete":
        return [ServiceDelete(host, version)]
    forced_down = bool(_opt_bool(d, "forced_down"))
    return [ServiceUpsert(
        host=host,
        version=version,
        disabled=bool(_opt_bool(d, "disabled")),
        disabled_reason=_opt_str(d, "disabled_reason"),
        forced_down=forced_down,
        service_uuid=_opt_str(d, "uuid"),
        availability_zone=_opt_str(d, "availability_zone"),
        last_seen_up=_opt_str(d, "last_seen_up"),
        state=_service_state(n.event_type, forced_down),
    )]


def _service_state(event_type: str, forced_down: bool) -> str | None:
    """up/down as far as the event knows it; None when it does not know.

    nova's servicegroup says a service is down when forced down, else by its
    heartbeat; ``service.update`` is sent only when disabled, disabled_reason
    or forced_down change (objects/service.py ``_send_status_update_notification``)
    and carries no heartbeat verdict. So: forced down is down; a
    ``service.create`` comes from the service starting (up); any other
    update leaves the state as the resync or an earlier event left it (a
    dead host that gets disabled stays down).
    """
    if forced_down:
        return "down"
    return "up" if event_type == "service.create" else None


def _build_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for event in EVENTS:
        if event.versioned:
            handlers[event.versioned] = _instance_handler(Format.VERSIONED, event)
        if event.legacy:
            handlers[event.legacy] = _instance_handler(Format.LEGACY, event)
    for name in _SERVICE_EVENTS:
        handlers[name] = _service_handler
    return handlers


#: event_type -> handler; the one place that says which events matter.
HANDLERS: dict[str, Handler] = _build_handlers()

#: event_type -> its row of the event table (instance events)
BY_TYPE: dict[str, Event] = {name: e for e in EVENTS for name in (e.versioned, e.legacy)
                             if name}

#: event_type -> placement effect, for documentation and the CLI.
EFFECTS: dict[str, str] = {
    **{name: e.placement.value for name, e in BY_TYPE.items()},
    **{name: "service" for name in _SERVICE_EVENTS},
}


#: effect -> what it does to the model, for docs/EVENTS.md.
EFFECT_TEXT: dict[str, str] = {
    Placement.PAYLOAD.value:
        "HOSTED_ON the payload's host/node (a null host unmaps)",
    Placement.REBUILD.value:
        "in place on the payload's host/node, or, when a compute on another "
        "host published it (evacuation: the payload still shows the failed host), "
        "HOSTED_ON the publisher's host",
    Placement.SAVER.value:
        "when the publisher is the payload's host or the payload names none: HOSTED_ON "
        "the payload's host/node (null unmaps) and every listed aspect; otherwise "
        "(nova-api, nova-conductor, a stale copy) placement untouched and details only",
    Placement.KEEP.value:
        "placement untouched (the payload's host may be stale)",
    Placement.UNMAP.value:
        "HOSTED_ON removed, the instance stays (shelve offload)",
    Placement.DELETE.value:
        "instance removed; a final tombstone stops any later event resurrecting it",
    Placement.SOFT_DELETE.value:
        "instance removed; a tombstone stops older events, a newer restore brings it back",
    "service":
        "nova-compute only (other binaries ignored): create/update set status, "
        "disabled_reason, forced_down on the host's compute node(s) (a host-only "
        "placeholder when none is known); state only as far as the event knows it "
        "(forced down: down; create: up; else untouched); delete removes the host's "
        "nodes and the instances still placed there, and leaves a service tombstone",
}


def _aspects_text(event: Event) -> str:
    if event.placement in (Placement.DELETE, Placement.SOFT_DELETE):
        return "—"
    if not event.aspects:
        return "none"
    return ", ".join(a.value for a in Aspect if a in event.aspects)


def events_markdown() -> str:
    """docs/EVENTS.md: every handled event type and its effect, from :data:`EFFECTS`.

    Generated so that the documentation cannot drift from the code; a unit
    test compares the file with this text.
    """
    lines = [
        "# Nova events graphcdm handles",
        "",
        "Generated from `graphcdm.notifications.parse.EVENTS`; do not edit by hand.",
        "Regenerate with `python -c \"from graphcdm.notifications import parse;",
        "print(parse.events_markdown(), end='')\" > docs/EVENTS.md`.",
        "",
        "Each instance event sets only the attribute aspects it is authoritative for",
        "(read off nova's code): *state* (`state`, `task_state`, `power_state`), *flavor*",
        "(`vcpus`, `memory_mb`, `root_gb`, `ephemeral_gb`, `swap_mb`, `flavor`, `flavor_id`),",
        "*details* (`name`, `project_id`, `user_id`, `availability_zone`, `created_at`,",
        "`metadata`, `boot_from_volume`), *lock* (`locked`, `locked_reason`). A field is",
        "applied only when the event is newer than the field's own version (`v_<field>`)",
        "and only when the payload's format carries it (legacy payloads carry no",
        "`power_state`, `locked`, `locked_reason`, `swap_mb`, image); `disk_gb` is derived",
        "from the stored fields. Placement has its own version. A version is the envelope",
        "timestamp, then the rank (a save's `instance.update` 0, any other event 1), then",
        "the message id. Event types not listed are counted as *ignored*; malformed",
        "notifications as *rejected*.",
        "",
        "| event type | format | twin | placement | authoritative for | what it does | why |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(EFFECTS):
        effect = EFFECTS[name]
        fmt = "legacy" if name.startswith("compute.") else "versioned"
        event = BY_TYPE.get(name)
        twin = ((event.legacy if fmt == "versioned" else event.versioned) or "") if event else ""
        aspects = _aspects_text(event) if event else "service status"
        why = event.why if event else ""
        lines.append(f"| `{name}` | {fmt} | {f'`{twin}`' if twin else '—'} | {effect} | "
                     f"{aspects} | {EFFECT_TEXT[effect]} | {why} |")
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
