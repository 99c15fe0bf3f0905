"""Instance attributes: one derivation for every source, and who may set which.

Three sources describe an instance: versioned notifications
(``InstanceActionPayload``/``InstanceUpdatePayload``), legacy notifications
(nova's ``info_from_instance``) and the resync's ``GET /servers/detail``.
Each source's reader (``graphcdm.notifications.parse`` and
``graphcdm.sync.snapshot``) only picks the raw values out of its own shape,
under the names of :data:`FIELDS`; :func:`derive` then turns raw values into
graph values the same way for all three (metadata as canonical JSON with one
size limit, power state by name, creation time in one ISO form, boot from
volume from the image, an empty task state as none). A unit test feeds one
instance through all three and asserts they agree on every common field.

A field a source does not carry is *absent* from its attributes, never
``None``: ``None`` means "nova says null" (a finished task, no lock reason)
and erases the stored value, absence leaves it alone. Legacy payloads carry
no ``power_state``, ``locked``, ``locked_reason``, ``swap_mb`` nor whether
the instance boots from volume; the resync (microversion 2.53) no
``flavor_id`` nor ``locked_reason``; only the resync reads the flavor's
extra specs and the pinned availability zone (Watcher's extended
attributes). Every field has its own version in the graph (``v_<field>``,
see ``cypher/instance_write.cypher``), so the newest source *that carries
a field* decides it, in any delivery order.

Local disk (``disk_gb``) is derived in one place, ``instance_write``, from
the stored ``root_gb``, ``ephemeral_gb``, ``swap_mb`` and ``boot_from_volume``
as Watcher's collector counts it (``root`` only with an image, ``+ ephemeral
+ ceil(swap / 1024)``): its inputs may come from different sources.

:class:`Aspect` groups the fields by what an event may be authoritative for
(the event table in ``parse`` says which aspects each event type sets).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

from graphcdm.graph.changes import json_text


class Aspect(enum.Enum):
    """What an event may be authoritative for, besides placement."""

    STATE = "state"        # vm state, task state, power state
    FLAVOR = "flavor"      # sizes and flavor name/id
    DETAILS = "details"    # name, owner, zone, creation, metadata, boot from volume
    LOCK = "lock"          # locked, locked_reason


#: graph attribute -> the aspect it belongs to
FIELDS: dict[str, Aspect] = {
    "state": Aspect.STATE, "task_state": Aspect.STATE, "power_state": Aspect.STATE,
    "vcpus": Aspect.FLAVOR, "memory_mb": Aspect.FLAVOR, "root_gb": Aspect.FLAVOR,
    "ephemeral_gb": Aspect.FLAVOR, "swap_mb": Aspect.FLAVOR, "flavor": Aspect.FLAVOR,
    "flavor_id": Aspect.FLAVOR, "flavor_extra_specs": Aspect.FLAVOR,
    "name": Aspect.DETAILS, "project_id": Aspect.DETAILS, "user_id": Aspect.DETAILS,
    "availability_zone": Aspect.DETAILS, "created_at": Aspect.DETAILS,
    "metadata": Aspect.DETAILS, "boot_from_volume": Aspect.DETAILS,
    "pinned_availability_zone": Aspect.DETAILS,
    "locked": Aspect.LOCK, "locked_reason": Aspect.LOCK,
}

ALL_ASPECTS = frozenset(Aspect)

#: the fields each source carries (the readers' contract, checked by a unit test)
_RESYNC_ONLY = {"flavor_extra_specs", "pinned_availability_zone"}
KNOWN_BY: dict[str, frozenset[str]] = {
    "versioned": frozenset(FIELDS) - _RESYNC_ONLY,
    "legacy": frozenset(FIELDS) - _RESYNC_ONLY - {"power_state", "locked", "locked_reason",
                                                  "swap_mb", "boot_from_volume"},
    # pinned_availability_zone only when nova answers it (microversion 2.96)
    "resync": frozenset(FIELDS) - {"flavor_id", "locked_reason"},
}

#: Metadata larger than this (as JSON) is replaced by a marker, not stored.
MAX_METADATA_CHARS = 16 * 1024

#: nova's power_state integers (nova/compute/power_state.py), named as
#: versioned notifications name them.
POWER_STATES = {0: "pending", 1: "running", 3: "paused", 4: "shutdown", 6: "crashed",
                7: "suspended"}


class Invalid(ValueError):
    """A raw value no source of nova's could have sent (the caller rejects it)."""


def metadata_json(value: Any) -> str | None:
    """Instance metadata as canonical JSON (Neo4j properties cannot be maps).

    Accepts a dict, or legacy's ``[{"key": k, "value": v}]``; too large a
    text is replaced by ``{"_truncated": <chars>}`` on every path alike.
    """
    if value is None:
        return None
    if isinstance(value, list):
        try:
            value = {item["key"]: item["value"] for item in value}
        except (TypeError, KeyError):
            raise Invalid("metadata list is not key/value pairs") from None
    if not isinstance(value, dict):
        raise Invalid(f"metadata is {type(value).__name__}, not an object")
    text = json_text(value)
    if len(text) > MAX_METADATA_CHARS:
        return json_text({"_truncated": len(text)})
    return text


def power_state_name(value: Any) -> str | None:
    """Versioned payloads name the power state; the API gives nova's integer."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return POWER_STATES.get(value, str(value))
    raise Invalid(f"power_state is {type(value).__name__}")


def created_at(value: Any) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` from nova's forms (ISO ``Z``, ``str(datetime)``)."""
    if value in (None, "", "None"):
        return None
    if not isinstance(value, str):
        raise Invalid(f"created_at is {type(value).__name__}, not a string")
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"created_at {value[:40]!r} is not a date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def boot_from_volume(image: Any) -> bool:
    """No image means the root disk is a volume (nova: ``image_uuid`` / ``image`` ``""``)."""
    return not image


#: raw key -> derivation; keys not listed pass through unchanged
_DERIVE = {
    "metadata": metadata_json,
    "flavor_extra_specs": lambda v: None if v is None else json_text(v),
    "power_state": power_state_name,
    "created_at": created_at,
    "task_state": lambda v: v or None,   # legacy state_description "" = no task
}


def derive(raw: dict[str, Any]) -> dict[str, Any]:
    """Graph attributes from a reader's raw values (absent keys stay absent).

    ``raw`` uses the names of :data:`FIELDS`, except ``image`` (the image id,
    ``""``/None for boot from volume) which becomes ``boot_from_volume``.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "image":
            out["boot_from_volume"] = boot_from_volume(value)
        elif key in FIELDS:
            derive_one = _DERIVE.get(key)
            out[key] = derive_one(value) if derive_one else value
        else:
            raise KeyError(f"not an instance attribute: {key}")
    return out


def restrict(attrs: dict[str, Any], aspects: Iterable[Aspect]) -> dict[str, Any]:
    """Only the attributes of the given aspects (what an event is authoritative for)."""
    keep = set(aspects)
    return {k: v for k, v in attrs.items() if FIELDS[k] in keep}

