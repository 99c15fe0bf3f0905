"""Read notifications from files for ``graphcdm replay``.

A file is JSON Lines, a JSON array, or one JSON object; each item is the
wire, message or endpoint form (see :mod:`graphcdm.envelope`). Items are
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

from graphcdm import envelope, samples
from graphcdm.envelope import Notification, Rejected


@dataclass
class Item:
    """One decoded item, or why it could not be decoded, with its position."""

    path: str
    line: int
    notification: Notification | Rejected


def _raw_items(text: str) -> Iterator[tuple[int, Any | Rejected]]:
    """(line, parsed JSON or Rejected) for each item of a file's text."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        decoder = json.JSONDecoder()
        try:
            array = decoder.decode(text)
        except ValueError as exc:
            yield 1, Rejected(f"not a JSON array: {exc}")
            return
        # Find each element's line by walking the text with raw_decode.
        pos = text.index("[") + 1
        for element in array:
            while text[pos] in " \t\r\n,":
                pos += 1
            _, end = decoder.raw_decode(text, pos)
            yield text.count("\n", 0, pos) + 1, element
            pos = end
        return
    if stripped.startswith("{"):
        try:
            yield text.count("\n", 0, len(text) - len(stripped)) + 1, json.loads(text)
            return
        except ValueError:
            pass  # JSON Lines, handled below
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, Rejected(f"malformed JSON: {exc}")


class ReplayClock:
    """Synthesises timestamp and message id for items that lack them."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime.now(dt.UTC)
        self.start = start
        self.count = 0

    def stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        holder = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else obj
        if "oslo.message" in obj or ("timestamp" in holder and "message_id" in holder):
            return obj
        self.count += 1
        when = self.start + dt.timedelta(microseconds=self.count)
        stamped = dict(obj)
        stamped.pop("metadata", None)
        stamped.setdefault("timestamp", holder.get("timestamp") or str(when.replace(tzinfo=None)))
        stamped.setdefault("message_id", holder.get("message_id")
                           or f"replay-{int(self.start.timestamp() * 1e6)}-{self.count:09d}")
        return stamped


def read(path: str | Path, clock: ReplayClock, *, resolve_refs: bool = False,
         max_bytes: int = envelope.DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Decoded items of one file, in file order."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield Item(name, 0, Rejected(f"cannot read file: {exc}"))
        return
    for line, raw in _raw_items(text):
        if isinstance(raw, Rejected):
            yield Item(name, line, raw)
            continue
        try:
            if resolve_refs:
                raw = samples.resolve(raw, path.parent)
            if isinstance(raw, dict):
                size = len(json.dumps(raw)) if "oslo.message" not in raw else 0
                if size > max_bytes:
                    raise Rejected(f"item is {size} bytes, over the {max_bytes} byte limit")
                raw = clock.stamp(raw)
            notification = envelope.from_message(raw)
        except Rejected as exc:
            yield Item(name, line, exc)
            continue
        except (OSError, ValueError) as exc:
            yield Item(name, line, Rejected(f"cannot resolve $ref: {exc}"))
            continue
        yield Item(name, line, notification)
