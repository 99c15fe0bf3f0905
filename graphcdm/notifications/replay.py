"""Read notifications from files for ``graphcdm replay``.

A file is JSON Lines, a JSON array, or one JSON object; each item is the
wire, message or endpoint form (see :mod:`graphcdm.notifications.envelope`). Items are
yielded in file order with their line number, so a rejection can say where
it stands. Items without ``timestamp``/``message_id`` (nova's doc samples)
get the replay clock: the time replay started plus their position, so
they apply in file order after anything older.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphcdm.notifications import envelope, samples
from graphcdm.notifications.envelope import Notification, Rejected


@dataclass
class Item:
    """One decoded item, or why it could not be decoded, with its position."""

    path: str
    line: int
    notification: Notification | Rejected


def _loads(text: str) -> Any:
    """json.loads that turns absurd nesting into a ValueError, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _raw_items(data: bytes, max_bytes: int = envelope.DEFAULT_MAX_BYTES,
               ) -> Iterator[tuple[int, Any | Rejected]]:
    """(line, parsed JSON or Rejected) for each item of a file's content.

    A whole-file JSON array or object is one document; anything else is JSON
    Lines, where each bad line (not UTF-8, not JSON, too large) is rejected
    on its own and the others still count.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    stripped = (text or "").lstrip()
    if text is not None and stripped[:1] in ("[", "{"):
        try:
            doc = _loads(text)
        except ValueError:
            doc = None  # maybe JSON Lines; decided below
        first = len(text) - len(stripped)
        if isinstance(doc, list):
            yield from _array_items(text, doc)
            return
        if doc is not None:
            yield text.count("\n", 0, first) + 1, doc
            return
        if stripped.startswith("[") and not _first_line_is_json(stripped):
            yield 1, Rejected("not a JSON array: malformed JSON")
            return
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(raw) > max_bytes:
            yield number, Rejected(f"line is {len(raw)} bytes, over the {max_bytes} byte limit")
            continue
        try:
            yield number, _loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield number, Rejected(f"line is not UTF-8: {exc}")
        except ValueError as exc:
            yield number, Rejected(f"malformed JSON: {exc}")


def _first_line_is_json(text: str) -> bool:
    try:
        _loads(text.splitlines()[0])
    except ValueError:
        return False
    return True


def _array_items(text: str, array: list[Any]) -> Iterator[tuple[int, Any]]:
    """Each element of a JSON array with the line it starts on."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    for element in array:
        while text[pos] in " \t\r\n,":
            pos += 1
        _, end = decoder.raw_decode(text, pos)
        yield text.count("\n", 0, pos) + 1, element
        pos = end


class ReplayClock:
    """Synthesises timestamp and message id for items that lack them."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime.now(dt.timezone.utc)
        self.start = start
        self.count = 0

    def stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        holder = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else obj
        if "oslo.message" in obj or "timestamp" in holder or "message_id" in holder:
            return obj  # stamped by its emitter (one missing: the envelope rejects it)
        self.count += 1
        when = self.start + dt.timedelta(microseconds=self.count)
        stamped = dict(obj)
        stamped.pop("metadata", None)
        stamped["timestamp"] = str(when.astimezone(dt.timezone.utc).replace(tzinfo=None))
        stamped["message_id"] = f"replay-{envelope.epoch_us(self.start)}-{self.count:09d}"
        return stamped


def read(path: str | Path, clock: ReplayClock, *, resolve_refs: bool = False,
         max_bytes: int = envelope.DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Decoded items of one file, in file order."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Item(name, 0, Rejected(f"cannot read file: {exc}"))
        return
    for line, raw in _raw_items(data, max_bytes):
        if isinstance(raw, Rejected):
            yield Item(name, line, raw)
            continue
        try:
            if resolve_refs:
                raw = samples.resolve(raw, path.parent)
            if isinstance(raw, dict):
                raw = clock.stamp(raw)  # (envelope measures size and depth)
            notification = envelope.from_message(raw, max_bytes=max_bytes)
        except Rejected as exc:
            yield Item(name, line, exc)
            continue
        except (OSError, ValueError, RecursionError) as exc:
            yield Item(name, line, Rejected(f"cannot resolve $ref: {exc}"[:300]))
            continue
        yield Item(name, line, notification)
