"""Notification envelopes: from whatever form a notification arrives in to
one :class:`Notification`, and the version that orders it.

Three forms reach us: oslo.messaging's wire form (``oslo.version`` +
``oslo.message`` JSON string), the message form inside it (``message_id``,
``publisher_id``, ``event_type``, ``priority``, ``payload``, ``timestamp``)
and the endpoint form a listener's ``info()`` sees (``metadata`` holding
``message_id`` and ``timestamp``; Watcher's sample files use it). Pure code:
no I/O, so the same functions serve the listener, replay and tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

#: Largest notification we accept, in bytes of JSON (oslo.config may lower it).
DEFAULT_MAX_BYTES = 1024 * 1024

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MAX_ID = 255


class Rejected(ValueError):
    """A notification that can never be applied; the message says why."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification, whichever form it came in."""

    event_type: str
    publisher_id: str
    payload: dict[str, Any]
    message_id: str
    timestamp: str
    priority: str = "INFO"
    #: the order key of this notification; see :func:`make_version`
    version: str = ""

    def __post_init__(self) -> None:
        if not self.version:  # computed once, and validates the timestamp
            object.__setattr__(self, "version", make_version(self.timestamp, self.message_id))

    @property
    def publisher_host(self) -> str | None:
        """Host part of ``publisher_id``: ``nova-compute:HOST`` or ``compute.HOST``."""
        return publisher_host(self.publisher_id)


def publisher_host(publisher_id: str | None) -> str | None:
    """Return the host of a nova publisher id, or None when it names none.

    Versioned notifications use ``<binary>:<host>``, legacy ones
    ``<service>.<host>`` (host names may themselves contain dots, so only
    the first separator counts).
    """
    if not publisher_id:
        return None
    for sep in (":", "."):
        head, found, tail = publisher_id.partition(sep)
        if found and head and tail:
            return tail
    return None


_TS_FIXES = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(value: str) -> dt.datetime:
    """Parse an oslo/nova timestamp (naive values are UTC) to an aware datetime.

    oslo.messaging writes ``str(timeutils.utcnow())``, i.e.
    ``2026-11-25 10:00:00.123456``; nova samples use ISO 8601 with ``Z``.
    """
    if not isinstance(value, str):
        raise Rejected(f"timestamp is {type(value).__name__}, not a string")
    m = _TS_FIXES.match(value.strip())
    if not m:
        raise Rejected(f"timestamp {value[:40]!r} is not a date and time")
    date, time, frac, tz = m.groups()
    frac = (frac or ".0")[:7]  # microseconds at most
    tz = "+00:00" if tz in (None, "Z") else tz
    try:
        parsed = dt.datetime.fromisoformat(f"{date}T{time}{frac}{tz}")
    except ValueError as exc:
        raise Rejected(f"timestamp {value[:40]!r}: {exc}") from None
    return parsed.astimezone(dt.timezone.utc)


def epoch_us(when: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (no float); a naive datetime is UTC.

    The one conversion: versions, replay's message ids and anything else
    that orders by time in whole microseconds call it.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    delta = when - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def timestamp_us(value: str) -> int:
    """Microseconds since the epoch of a timestamp string."""
    return epoch_us(parse_timestamp(value))


def make_version(timestamp: str, message_id: str) -> str:
    """The version of a change: ``<17-digit µs since epoch>|<message_id>``.

    Why a string: Neo4j compares strings lexicographically, so one property
    and one ``>`` order changes by emitter time, and the message id breaks
    ties the same way whatever the delivery order. A redelivered message has
    the same version, so it is never "newer" than itself: duplicates are
    no-ops.
    """
    return f"{timestamp_us(timestamp):017d}|{message_id}"


def version_from_datetime(when: dt.datetime, tie: str) -> str:
    """A version for changes that do not come from a notification (resync)."""
    return f"{epoch_us(when):017d}|{tie}"


def check_text(key: str, value: str) -> str:
    """Reject text Neo4j cannot store: JSON may escape lone UTF-16 surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(f"{key} is not valid Unicode (lone surrogate)") from None
    return value


def _str_field(obj: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise Rejected(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise Rejected(f"{key} is {type(value).__name__}, not a string")
    if len(value) > _MAX_ID:
        raise Rejected(f"{key} is longer than {_MAX_ID} characters")
    return check_text(key, value)


def from_message(msg: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES) -> Notification:
    """Build a Notification from the message form or the endpoint form.

    The wire form is accepted too (handed to :func:`from_wire`, which
    enforces ``max_bytes`` on its ``oslo.message`` text).
    """
    if not isinstance(msg, dict):
        raise Rejected(f"notification is a {type(msg).__name__}, not an object")
    if "oslo.message" in msg:
        return from_wire(msg, max_bytes)
    metadata = msg.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise Rejected("metadata is not an object")
    source = metadata if metadata else msg
    payload = msg.get("payload")
    if not isinstance(payload, dict):
        raise Rejected("payload is missing or not an object")
    return Notification(
        event_type=_str_field(msg, "event_type"),
        publisher_id=_str_field(msg, "publisher_id", required=False),
        payload=payload,
        message_id=_str_field(source, "message_id"),
        timestamp=_str_field(source, "timestamp"),
        priority=_str_field(msg, "priority", required=False) or "INFO",
    )


def from_wire(wire: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES) -> Notification:
    """Build a Notification from oslo.messaging's wire form (version 2.0)."""
    body = wire.get("oslo.message")
    if not isinstance(body, str):
        raise Rejected("oslo.message is not a JSON string")
    if len(body) > max_bytes:
        raise Rejected(f"oslo.message is {len(body)} bytes, over the {max_bytes} byte limit")
    try:
        msg = json.loads(body)
    except RecursionError:
        raise Rejected("oslo.message is nested too deeply") from None
    except ValueError as exc:
        raise Rejected(f"oslo.message is not JSON: {exc}") from None
    if isinstance(msg, dict) and "oslo.message" in msg:
        raise Rejected("nested oslo.message")
    return from_message(msg)


def from_endpoint(publisher_id: str, event_type: str, payload: Any,
                  metadata: dict[str, Any]) -> Notification:
    """Build a Notification from what an oslo.messaging endpoint receives."""
    return from_message({"publisher_id": publisher_id, "event_type": event_type,
                         "payload": payload, "metadata": metadata})
