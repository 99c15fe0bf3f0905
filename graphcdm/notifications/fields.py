"""Field readers: every value graphcdm takes from a notification goes through here.

The contract. A reader returns a clean Python value or raises
:class:`Rejected` with a reason a person can act on; it never raises
anything else, whatever the input (any JSON value, any Unicode, any depth
or size). Parsing is built only from these readers, so the only exception
that can leave parsing is ``Rejected``: the listener then rejects that one
notification (counted, logged, dead-lettered, acknowledged) and never
requeues it, which is what keeps one malformed message from wedging a
batch forever.

What is accepted, what is refused, and why:

* **text** (:func:`text`, :func:`required_text`, :func:`name`): a JSON
  string, or null/absent (``None``). Refused: any other type (no silent
  ``str()`` of numbers or lists: a number where nova sends a name is a
  sign of a broken emitter); more than ``limit`` characters (1024 for
  attributes, 255 for names and ids: nova's columns are no wider); lone
  UTF-16 surrogates (JSON can escape them, Neo4j and UTF-8 files cannot
  hold them). Any other Unicode is kept byte for byte (control characters,
  NUL, right-to-left marks, emoji, Cypher syntax: values are parameters,
  never query text). :func:`name` (host, node) maps ``""`` to ``None``:
  legacy payloads send empty strings for "no host".
* **whole numbers** (:func:`whole`): a JSON integer, a float with no
  fractional part, or a string of ASCII digits ``0-9`` (legacy payloads
  quote numbers), between 0 and 2**53 (what a JSON reader in any language
  holds exactly). Refused: booleans (``true`` is not 1 vCPU), NaN and
  infinities, fractions, negative values, and strings of other Unicode
  digits: ``"²"`` and ``"①"`` pass ``str.isdigit()`` but ``int()``
  refuses them, and ``"٣"`` (Arabic-Indic three) is a digit ``int()``
  accepts but no emitter of nova's writes; only ASCII is a number here.
* **booleans** (:func:`flag`): JSON ``true``/``false`` or null. Refused:
  ``"true"``, ``1`` (nova's ovo BooleanField serialises real booleans).
* **instance uuids** (:func:`instance_uuid`): a UUID in the forms
  ``oslo_utils.uuidutils.is_uuid_like`` accepts (hex digits, with or
  without hyphens, braces, ``urn:uuid:``, any case), returned in the
  canonical lowercase hyphenated form nova generates and its API returns,
  so that a notification and a resync name the same graph node. Refused:
  anything else (Watcher's ``ModelRoot`` warns on invalid uuids and will
  make them errors; one bad uuid would then fail a whole audit).
* **timestamps** (:func:`timestamp`): ``YYYY-MM-DD[ T]HH:MM:SS[.f][Z|±HH[:]MM]``
  in ASCII digits (oslo.messaging writes ``2026-11-25 10:00:00.123456``,
  nova's samples ISO 8601 with ``Z``); naive means UTC; more than 6
  fractional digits are truncated. The instant must lie in
  [1970-01-01, 5000-01-01) UTC: a version is 17 decimal digits of
  microseconds since the epoch, compared as strings, so it cannot be
  negative or wider; an offset pushing year 9999 past the datetime range
  (``OverflowError``) is refused here too. How far *ahead of the
  receiver's clock* a valid timestamp may be is bounded later, where the
  receiver's clock is known (:func:`graphcdm.notifications.envelope.bounded`).
* **shape** (:func:`measure`): the whole notification must be at most
  ``max_bytes`` as JSON and at most :data:`MAX_DEPTH` containers deep
  (nova's deepest payloads are 6). Measured by an iterative walk that
  stops as soon as a limit is passed, so a 50 MB or 100,000-deep value
  costs neither a copy nor the recursion limit.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid as uuidlib
from typing import Any

__all__ = ["MAX_DEPTH", "Rejected", "check_text", "flag", "instance_uuid", "measure", "name",
           "required_text", "text", "timestamp", "whole"]

#: Longest attribute text kept (display names, flavor names, reasons ...).
TEXT_LIMIT = 1024
#: Longest identifier or host name (nova's String(255) columns).
NAME_LIMIT = 255
#: Deepest nesting of JSON containers a notification may have.
MAX_DEPTH = 32
#: Largest whole number: exact in every JSON reader (IEEE double).
MAX_WHOLE = 2**53

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_LAST = dt.datetime(5000, 1, 1, tzinfo=dt.timezone.utc)
_DIGITS = re.compile(r"[0-9]{1,20}", re.ASCII)
_TIMESTAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII)


class Rejected(ValueError):
    """A notification that can never be applied; the message says why."""


def _show(value: Any) -> str:
    """A short, printable rendering of a refused value for a reason."""
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001 - repr of JSON values does not fail; be sure
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_text(key: str, value: str) -> str:
    """``value`` unless it holds a lone surrogate (not encodable as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(f"{key} is not valid Unicode (lone surrogate)") from None
    return value


def text(d: dict[str, Any], key: str, *, limit: int = TEXT_LIMIT) -> str | None:
    """An optional string field (see the module's contract)."""
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejected(f"{key} is {_kind(value)}, not a string")
    if len(value) > limit:
        raise Rejected(f"{key} is longer than {limit} characters")
    return check_text(key, value)


def required_text(d: dict[str, Any], key: str, *, limit: int = NAME_LIMIT) -> str:
    """A string field that must be present and non-empty."""
    value = text(d, key, limit=limit)
    if not value:
        raise Rejected(f"missing {key}")
    return value


def name(d: dict[str, Any], key: str) -> str | None:
    """A host or node name; an empty string counts as none (legacy payloads)."""
    return text(d, key, limit=NAME_LIMIT) or None


def whole(d: dict[str, Any], key: str) -> int | None:
    """An optional whole number in [0, 2**53]; ``""`` counts as none (legacy)."""
    value = d.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Rejected(f"{key} is a boolean, not a number")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise Rejected(f"{key} is {_show(value)}, not a whole number")
        result = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        result = int(value.strip())
    else:
        raise Rejected(f"{key} is {_show(value)}, not a whole number")
    if result < 0 or result > MAX_WHOLE:
        raise Rejected(f"{key} is {_show(result)}, out of range 0..2**53")
    return result


def flag(d: dict[str, Any], key: str) -> bool | None:
    """An optional JSON boolean."""
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Rejected(f"{key} is {_kind(value)}, not a boolean")
    return value


def instance_uuid(d: dict[str, Any], key: str) -> str:
    """A required instance uuid, returned canonical (lowercase, hyphenated)."""
    value = required_text(d, key)
    candidate = value.strip().lower()
    for prefix in ("urn:", "uuid:"):
        candidate = candidate.removeprefix(prefix)
    candidate = candidate.strip("{}")
    if not re.fullmatch(r"[0-9a-f-]{32,36}", candidate, re.ASCII) or \
            len(candidate.replace("-", "")) != 32:
        raise Rejected(f"{key} {_show(value)} is not a UUID")
    try:
        return str(uuidlib.UUID(candidate))
    except ValueError:
        raise Rejected(f"{key} {_show(value)} is not a UUID") from None


def timestamp(value: Any, key: str = "timestamp") -> dt.datetime:
    """An emitter's timestamp as an aware UTC datetime (see the module's contract)."""
    if not isinstance(value, str):
        raise Rejected(f"{key} is {_kind(value)}, not a string")
    m = _TIMESTAMP.fullmatch(value.strip()) if len(value) <= 64 else None
    if not m:
        raise Rejected(f"{key} {_show(value)} is not a date and time")
    date, time, frac, tz = m.groups()
    frac = (frac or ".0")[:7]  # microseconds at most
    tz = "+00:00" if tz in (None, "Z") else tz
    try:
        parsed = dt.datetime.fromisoformat(f"{date}T{time}{frac}{tz}").astimezone(dt.timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise Rejected(f"{key} {_show(value)}: {exc}") from None
    if not _EPOCH <= parsed < _LAST:
        raise Rejected(f"{key} {_show(value)} is outside 1970..4999")
    return parsed


def epoch_us(when: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (no float); a naive datetime is UTC.

    The one conversion (``envelope.epoch_us`` is this function): versions,
    replay's message ids and anything else that orders by time in whole
    microseconds call it.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    delta = when.astimezone(dt.timezone.utc) - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def measure(value: Any, max_bytes: int, what: str = "notification") -> int:
    """Approximate JSON size of ``value`` in bytes; Rejected when too large or deep.

    Iterative, and it stops at the first limit passed: no copy of the value
    is made, and depth costs no recursion. Strings count their UTF-8
    length plus quotes, a close bound of what ``json.dumps`` writes for
    nova's ASCII-heavy payloads; the figure is checked against the same
    ``max_payload_bytes`` the replay applies to raw lines and the wire
    form's ``oslo.message`` text.
    """
    if not isinstance(value, (dict, list, tuple)):
        size = _scalar_bytes(value)
        if size > max_bytes:
            raise Rejected(f"{what} is over the {max_bytes} byte limit")
        return size
    # Only containers go on the stack; scalars (most of a payload) are
    # counted where they are met: the same figure, a third of the work.
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Rejected(f"{what} is nested too deeply (over {MAX_DEPTH} levels)")
        if isinstance(item, dict):
            size += 2 + 2 * len(item)
            subs: Any = item.values()
            for key in item:
                size += _text_bytes(key) if isinstance(key, str) else 8
        else:
            size += 2 + len(item)
            subs = item
        for sub in subs:
            if isinstance(sub, (dict, list, tuple)):
                stack.append((sub, depth + 1))
            elif isinstance(sub, str):
                size += len(sub) + 2 if sub.isascii() else _text_bytes(sub)
            else:
                size += 8  # numbers, booleans, null: a few bytes each
        if size > max_bytes:
            raise Rejected(f"{what} is over the {max_bytes} byte limit")
    return size


def _scalar_bytes(value: Any) -> int:
    return _text_bytes(value) if isinstance(value, str) else 8


def _text_bytes(value: str) -> int:
    """UTF-8 length of a JSON string plus its quotes (surrogates count 3)."""
    if value.isascii():
        return len(value) + 2
    return len(value.encode("utf-8", "surrogatepass")) + 2
