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

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from graphcdm.notifications import fields
from graphcdm.notifications.fields import Rejected, check_text, epoch_us

__all__ = ["DEFAULT_MAX_AHEAD", "DEFAULT_MAX_BYTES", "Notification", "Rejected", "bounded",
           "epoch_us",
           "check_text", "from_endpoint", "from_message", "from_wire", "make_version",
           "parse_timestamp", "publisher_host", "timestamp_us",
           "version_from_datetime"]

#: Largest notification we accept, in bytes of JSON (oslo.config may lower it).
DEFAULT_MAX_BYTES = 1024 * 1024

#: Seconds a notification's timestamp may be ahead of the receiver's clock
#: before its version is clamped ([notifications] max_clock_ahead).
DEFAULT_MAX_AHEAD = 60.0

_MAX_ID = fields.NAME_LIMIT


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
    #: the version was clamped to the receiver's clock (see :func:`bounded`)
    clamped: bool = False

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


def parse_timestamp(value: Any) -> dt.datetime:
    """Parse an oslo/nova timestamp (naive values are UTC) to an aware datetime.

    oslo.messaging writes ``str(timeutils.utcnow())``, i.e.
    ``2026-11-25 10:00:00.123456``; nova samples use ISO 8601 with ``Z``.
    What is accepted is :func:`graphcdm.notifications.fields.timestamp`'s contract.
    """
    return fields.timestamp(value)


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


def bounded(n: Notification, now: dt.datetime, max_ahead: float) -> Notification:
    """``n`` with its version clamped to ``now + max_ahead`` seconds at most.

    Why: a version is the emitter's clock, and an emitter whose clock runs
    ahead would otherwise win against every resync (which writes at its
    poll's start) until real time catches up, pinning a placement, a
    service status or a phantom instance for as long as the clock lies.
    Clamped, such a change is applied (nothing valid is lost) but any
    resync that starts more than ``max_ahead`` seconds after it arrived
    is newer and corrects it. The message id still breaks ties.
    """
    limit = epoch_us(now) + int(max_ahead * 1_000_000)
    if timestamp_us(n.timestamp) <= limit:
        return n
    return dataclasses.replace(n, version=f"{limit:017d}|{n.message_id}", clamped=True)


def _str_field(obj: dict[str, Any], key: str, *, required: bool = True) -> str:
    if required:
        return fields.required_text(obj, key, limit=_MAX_ID)
    return fields.text(obj, key, limit=_MAX_ID) or ""


#: oslo.messaging's notification priorities (its dispatcher drops any other).
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")


def _priority(msg: dict[str, Any]) -> str:
    """The message's priority, upper case; absent means INFO (nova's doc samples).

    Present, it must be one of oslo.messaging's priorities: oslo's own
    dispatcher raises on a null one and silently drops an unknown one, so
    graphcdm reads the priority itself and rejects (counts) both.
    """
    if "priority" not in msg:
        return "INFO"
    value = msg["priority"]
    if not isinstance(value, str):
        raise Rejected(f"priority is {'null' if value is None else type(value).__name__}, "
                       "not a string")
    if value.lower() not in PRIORITIES:
        raise Rejected(f"priority {value[:20]!r} is not one of {', '.join(PRIORITIES)}")
    return value.upper()


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
    fields.measure(msg, max_bytes)
    return Notification(
        event_type=_str_field(msg, "event_type"),
        publisher_id=_str_field(msg, "publisher_id", required=False),
        payload=payload,
        message_id=_str_field(source, "message_id"),
        timestamp=_str_field(source, "timestamp"),
        priority=_priority(msg),
    )


def from_wire(wire: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES) -> Notification:
    """Build a Notification from oslo.messaging's wire form (version 2.0)."""
    body = wire.get("oslo.message")
    if not isinstance(body, str):
        raise Rejected("oslo.message is not a JSON string")
    if len(body) > max_bytes or len(body.encode("utf-8", "surrogatepass")) > max_bytes:
        raise Rejected(f"oslo.message is over the {max_bytes} byte limit")
    try:
        msg = json.loads(body)
    except RecursionError:
        raise Rejected("oslo.message is nested too deeply") from None
    except ValueError as exc:
        raise Rejected(f"oslo.message is not JSON: {exc}") from None
    if isinstance(msg, dict) and "oslo.message" in msg:
        raise Rejected("nested oslo.message")
    return from_message(msg, max_bytes)


def from_endpoint(publisher_id: str, event_type: str, payload: Any,
                  metadata: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES,
                  **extra: Any) -> Notification:
    """Build a Notification from what an oslo.messaging endpoint receives.

    ``extra`` may carry ``priority`` (graphcdm's dispatcher passes the body's).
    """
    return from_message({"publisher_id": publisher_id, "event_type": event_type,
                         "payload": payload, "metadata": metadata, **extra}, max_bytes)


def ranked(version: str, rank: int) -> str:
    """``version`` with a one-digit causal rank between its time and its message id.

    Why: at equal timestamps (archives that keep seconds, coarse clocks) the
    random message id would decide; the rank (from the event table) puts a
    save's ``instance.update`` (0) before the operation event that follows
    it in nova's code (1) first. Different timestamps are unaffected.
    """
    if not 0 <= rank <= 9:
        raise ValueError(f"rank {rank} is not one digit")
    when, _, message_id = version.partition("|")
    return f"{when}|{rank}|{message_id}"
