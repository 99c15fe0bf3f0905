"""Mutations of nova's notification samples for the fuzz suite (hypothesis strategies).

Shared by tests/unit/test_fuzz.py (the pure path, many examples) and
tests/functional/test_fuzz_graph.py (through Neo4j and RabbitMQ, fewer).
:func:`mutated` takes a real sample (tests/data, ``$ref`` resolved) and
applies 1-3 mutations anywhere in it: values replaced by other JSON types,
range edges of numbers and timestamps (with offsets), Unicode of every
general category (lone surrogates, non-decimal digits, full-width and
Arabic-Indic digits, NUL, bidi marks), deep nesting, large strings, keys
removed.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from graphcdm import conf as conf_mod
from graphcdm.notifications import parse, samples
from graphcdm.notifications.listener import Listener
from graphcdm.sim import emitter
from tests.conftest import SHARED_DATA


@functools.lru_cache(maxsize=1)
def corpus() -> tuple[dict[str, Any], ...]:
    """Every sample whose event graphcdm handles, message form, stamped."""
    out = []
    for path in sorted(Path(SHARED_DATA).rglob("*.json")):
        if "common_payloads" in path.parts or "stacktach" in str(path):
            continue
        try:
            doc = samples.load_sample(path)
        except (ValueError, OSError):
            continue
        for item in doc if isinstance(doc, list) else [doc]:
            if not isinstance(item, dict) or item.get("event_type") not in parse.HANDLERS:
                continue
            msg = copy.deepcopy(item)
            meta = msg.pop("metadata", None) or {}
            msg.setdefault("message_id", meta.get("message_id", "m-0001"))
            msg.setdefault("timestamp", meta.get("timestamp", "2026-11-25 10:00:00.000001"))
            msg.setdefault("publisher_id", "nova-compute:compute-1")
            out.append(msg)
    inst = emitter.Instance("a1000000-0000-4000-8000-00000000000a", "h1", "n1")
    out.append(emitter.instance_event("compute.instance.update", inst,
                                      timestamp="2026-11-25 10:00:00"))
    assert len(out) > 50, "the sample data is missing"
    return tuple(out)


def paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON document (dict keys and list indexes), 8 deep at most."""
    out = [prefix]
    if len(prefix) >= 8:
        return out
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += paths(value, prefix + (i,))
    return out


def nested(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# Strings: every Unicode category (surrogates included), digits that are not
# ASCII, timestamps at the edges, names of real fields.
unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
odd_digits = st.text(st.sampled_from("²³①⑩٣۴४০๕߅０１９"), min_size=1, max_size=4)
edge_timestamps = st.sampled_from([
    "9999-12-31T23:59:59.999999-05:00", "0001-01-01T00:00:00+05:00", "1969-12-31 23:59:59",
    "1970-01-01 00:00:00", "4999-12-31T23:59:59.999999Z", "5000-01-01T00:00:00Z",
    "2031-01-01 00:00:00", "2026-02-30 10:00:00", "2026-11-25 24:00:00",
    "2026-11-25T10:00:00.1234567891234+14:00", "2026-11-25T10:00:00-23:59",
    "２０２６-11-25 10:00:00", "2026-11-25", "", " ", "now"])
numbers = st.one_of(
    st.integers(), st.sampled_from([-1, 0, 2**31, 2**53, 2**53 + 1, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1.5, -0.0, 1e308]))
hostile = st.one_of(
    st.none(), st.booleans(), numbers, unicode_text, odd_digits, edge_timestamps,
    st.sampled_from(["\ud800", "\udfff", "a\ud834b", "\x00", "\u202e", "INFO", "info",
                     "loud", "nova-compute", "a1000000-0000-4000-8000-00000000000a"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                         st.integers(), max_size=3),
    st.integers(min_value=30, max_value=3000).map(nested),
    st.sampled_from([1_050_000, 20_000]).map(lambda n: "é" * n))


class Mutant(tuple):
    """(message, label), printed as its event type and label only.

    Why: hypothesis prints a failing example's arguments, and a message
    mutated to absurd nesting makes its pretty-printer recurse past
    Python's limit, which then hides the test's own failure.
    """

    def __repr__(self) -> str:
        msg, label = self
        event = msg.get("event_type") if isinstance(msg, dict) else None
        return f"Mutant({str(event)[:60]!r}, {label!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


@st.composite
def mutated(draw) -> Mutant:
    """A sample with 1-3 mutations; returns it and a label of the first."""
    msg = copy.deepcopy(draw(st.sampled_from(corpus())))
    label = ""
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(msg)[1:]))
        parent = msg
        for key in where[:-1]:
            parent = parent[key]
        kind = draw(st.sampled_from(["replace", "replace", "replace", "delete"]))
        if kind == "delete" and isinstance(parent, dict):
            del parent[where[-1]]
            value = "<deleted>"
        else:
            value = draw(hostile)
            parent[where[-1]] = value
        label = label or f"{where[-1]}={_category(value)}"
    return Mutant((msg, label))


def _category(value: Any) -> str:
    if value == "<deleted>":
        return "deleted"
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            return "surrogate"
        if len(value) > 10_000:
            return "large"
        return "text"
    if isinstance(value, (dict, list)):
        return "container"
    return type(value).__name__


#: a Listener without __init__: decode() only reads conf
LISTENER = Listener.__new__(Listener)
LISTENER.conf = conf_mod.load([])


class Incoming:
    """What oslo.messaging hands a dispatcher: a decoded body and a context."""

    def __init__(self, body: Any) -> None:
        self.message = body
        self.ctxt = {}
