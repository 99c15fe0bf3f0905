"""Envelope decoding and versions: pure, so unit-tested."""

from __future__ import annotations

import datetime as dt

import pytest

from graphcdm.notifications import envelope
from graphcdm.notifications.envelope import Rejected


@pytest.mark.parametrize("text", [
    "2026-11-25 10:00:00.123456", "2026-11-25T10:00:00.123456Z", "2026-11-25T10:00:00.123456",
    "2026-11-25T11:00:00.123456+01:00", "2026-11-25T11:00:00.123456+0100",
    "2026-11-25 10:00:00.1234569",  # more than µs: truncated
])
def test_timestamps_of_all_emitters_agree(text):
    assert envelope.parse_timestamp(text) == dt.datetime(2026, 11, 25, 10, 0, 0, 123456,
                                                         tzinfo=dt.UTC)


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-13-01 00:00:00", "2026-11-25",
                                 "2026-11-25 25:00:00"])
def test_bad_timestamps_are_rejected(bad):
    with pytest.raises(Rejected):
        envelope.parse_timestamp(bad)


def test_version_is_fixed_width_and_orders_like_time():
    early = envelope.make_version("1999-12-31 23:59:59.999999", "b")
    late = envelope.make_version("2000-01-01 00:00:00", "a")
    assert len(early.split("|")[0]) == 17 and early < late


def test_version_from_datetime_matches_make_version():
    when = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)
    assert envelope.version_from_datetime(when, "x") == envelope.make_version(
        "2026-11-25 10:00:00", "x")
    assert envelope.version_from_datetime(when.replace(tzinfo=None), "x") == \
        envelope.version_from_datetime(when, "x")


@pytest.mark.parametrize("publisher,host", [
    ("nova-compute:h1.example.org", "h1.example.org"),
    ("compute.h1.example.org", "h1.example.org"),
    ("nova-api:fake-mini", "fake-mini"),
    ("compute:Node_0", "Node_0"),
    ("lonely", None), ("", None), (None, None),
])
def test_publisher_host(publisher, host):
    assert envelope.publisher_host(publisher) == host


def _msg(**over):
    base = {"event_type": "instance.update", "publisher_id": "nova-compute:h1",
            "payload": {}, "message_id": "m1", "timestamp": "2026-11-25 10:00:00"}
    base.update(over)
    return base


@pytest.mark.parametrize("over,reason", [
    ({"message_id": "x" * 300}, "longer than"),
    ({"event_type": "instance.\ud800"}, "lone surrogate"),
    ({"metadata": "nope"}, "metadata is not an object"),
    ({"priority": 3}, "priority is int"),
])
def test_envelope_rejections(over, reason):
    with pytest.raises(Rejected, match=reason):
        envelope.from_message(_msg(**over))


def test_nested_wire_and_deep_nesting_are_rejected():
    import json

    inner = {"oslo.version": "2.0", "oslo.message": json.dumps(_msg())}
    with pytest.raises(Rejected, match="nested oslo.message"):
        envelope.from_message({"oslo.version": "2.0", "oslo.message": json.dumps(inner)})
    deep = "[" * 50000 + "]" * 50000
    with pytest.raises(Rejected, match="nested too deeply"):
        envelope.from_message({"oslo.version": "2.0", "oslo.message": deep})


def test_endpoint_metadata_wins_over_top_level():
    n = envelope.from_message(_msg(metadata={"message_id": "meta", "timestamp":
                                             "2026-11-25 11:00:00"}))
    assert n.message_id == "meta" and n.version.endswith("|meta")
