"""The dead-letter file: rejected notifications kept for ``graphcdm replay``.

One JSON Lines record per rejection, in the endpoint form
(``publisher_id, event_type, priority, payload, metadata``) plus
``rejected`` (the reason), so that ``graphcdm replay FILE`` reads it back
after a fix. Written so that nothing rejected is lost and nothing here can
fail the batch:

* ASCII-escaped JSON (``ensure_ascii``): a lone surrogate, the very thing
  that got some notifications rejected, survives as ``\\udXXX`` instead of
  making the write fail;
* a payload over ``max_bytes`` is not copied: the record keeps
  ``payload: null`` and ``payload_truncated: {reason, head}`` with the first
  :data:`HEAD_CHARS` characters of its JSON, so ten 20 MB notifications do not
  add 200 MB (they would be rejected again anyway); an envelope field over
  :data:`HEAD_CHARS` (a 1 MB ``event_type``) keeps its head and is listed in
  ``truncated``;
* values JSON cannot write (absurd nesting) are replaced by their repr's head;
* the file is created mode 0600 (notifications name projects, users, hosts);
* any failure is logged and swallowed: dead-lettering must never turn a
  rejection into a requeue loop.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from graphcdm.notifications import fields
from graphcdm.notifications.fields import Rejected

LOG = logging.getLogger(__name__)

#: Characters of an over-limit payload's JSON kept in its record.
HEAD_CHARS = 4096

_LOCK = threading.Lock()


def record(message: dict[str, Any], reason: str, max_bytes: int) -> str:
    """The dead-letter line (without newline) for one rejected endpoint message."""
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    line: dict[str, Any] = {"publisher_id": message.get("publisher_id"),
                            "event_type": message.get("event_type"),
                            "payload": message.get("payload"), "metadata": metadata,
                            "rejected": reason}
    if "priority" in message:  # absent stays absent: replay reads absent as INFO
        line["priority"] = message["priority"]
    try:
        fields.measure(line["payload"], max_bytes, "payload")
    except Rejected as exc:
        head = _head(line["payload"])
        line["payload"] = None
        line["payload_truncated"] = {"reason": str(exc), "head": head}
    for key in ("publisher_id", "event_type", "priority", "metadata"):
        try:  # envelope fields are short in any real notification; keep a head
            fields.measure(line.get(key), HEAD_CHARS, key)
        except Rejected:
            line[key] = _head(line[key])
            line.setdefault("truncated", []).append(key)
    try:
        return json.dumps(line, default=str, ensure_ascii=True)
    except (ValueError, TypeError, RecursionError) as exc:
        safe = {key: _head(value) if key in ("payload", "metadata") else value
                for key, value in line.items()}
        safe["payload_truncated"] = {"reason": f"not writable as JSON: {type(exc).__name__}"}
        return json.dumps(safe, default=str, ensure_ascii=True)


def _head(value: Any) -> str:
    """The first HEAD_CHARS characters of a value's JSON (repr when JSON fails)."""
    try:
        fields.measure(value, 10**12, "value")  # depth check only: dumps would recurse
        text = json.dumps(value, default=str, ensure_ascii=True)
    except (Rejected, ValueError, TypeError, RecursionError):
        text = repr(type(value))
    return text[:HEAD_CHARS]


def append(path: str, line: str) -> bool:
    """Append one line to the file (created 0600); False, logged, when it fails."""
    try:
        with _LOCK:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as out:
                out.write(line + "\n")
        return True
    except (OSError, ValueError) as exc:
        LOG.error("cannot append to dead-letter file %s: %s", path, exc)
        return False
