"""The field readers' contract (graphcdm/notifications/fields.py), case by case.

The hypothesis suite (tests/unit/test_fuzz.py) explores the same readers at
random; these are the cases the reliability review of issue 16 found, each
of which used to escape parsing as a non-``Rejected`` exception.
"""

from __future__ import annotations

import datetime as dt

import pytest

from graphcdm.notifications import envelope, fields, parse
from graphcdm.notifications.fields import Rejected
from graphcdm.sim import emitter

INST = emitter.Instance("a1000000-0000-4000-8000-00000000000a", "h1", "n1")


@pytest.mark.parametrize("value,expected", [
    (4, 4), (4.0, 4), ("4", 4), (" 16 ", 16), ("", None), (None, None), (0, 0),
    (2**53, 2**53),
])
def test_whole_numbers_accepted(value, expected):
    assert fields.whole({"k": value}, "k") == expected


@pytest.mark.parametrize("value", [
    "²", "①", "٣", "４", "-1", -1, 2**53 + 1, 1.5, float("nan"), float("inf"), True, "0x10",
    "1e3", [], {}, "9" * 30,
])
def test_whole_numbers_refused(value):
    with pytest.raises(Rejected):
        fields.whole({"k": value}, "k")


@pytest.mark.parametrize("value", [
    "9999-12-31T23:59:59-01:00",  # OverflowError in astimezone
    "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
    "1969-12-31T23:59:59Z",  # a negative version
    "5000-01-01T00:00:00Z",  # 18 digits of microseconds
    "２０２６-11-25 10:00:00",  # full-width digits
    "2026-11-25 10:00:00" + "0" * 100, None, 20261125, "2026-02-30 10:00:00",
])
def test_timestamps_refused(value):
    with pytest.raises(Rejected):
        fields.timestamp(value)


def test_timestamp_range_edges_accepted():
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert fields.timestamp("1970-01-01T00:00:00Z") == epoch
    last = fields.timestamp("4999-12-31T23:59:59.999999Z")
    assert len(str(fields.epoch_us(last))) == 17


@pytest.mark.parametrize("value,canonical", [
    ("A1000000-0000-4000-8000-00000000000A", "a1000000-0000-4000-8000-00000000000a"),
    ("a10000000000400080000000000000 0a".replace(" ", ""),
     "a1000000-0000-4000-8000-00000000000a"),
    ("{a1000000-0000-4000-8000-00000000000a}", "a1000000-0000-4000-8000-00000000000a"),
    ("urn:uuid:a1000000-0000-4000-8000-00000000000a", "a1000000-0000-4000-8000-00000000000a"),
])
def test_instance_uuids_are_canonical(value, canonical):
    assert fields.instance_uuid({"u": value}, "u") == canonical


@pytest.mark.parametrize("value", ["vm-1", "a1000000-0000-4000-8000-00000000000", "x" * 36,
                                   "a1000000-0000-4000-8000-00000000000g", "", None, 7,
                                   "a1000000-0000-4000-8000-00000000000a\ud800"])
def test_invalid_instance_uuids_refused(value):
    with pytest.raises(Rejected):
        fields.instance_uuid({"u": value}, "u")


def test_text_refuses_surrogates_and_types_and_keeps_everything_else():
    odd = "\u202e\x00 ' MATCH (n) DETACH DELETE n // \U0001f600"
    assert fields.text({"k": odd}, "k") == odd
    for bad in ("\udfff", 3, ["x"], "x" * 1025):
        with pytest.raises(Rejected):
            fields.text({"k": bad}, "k")
    assert fields.name({"k": ""}, "k") is None


def test_measure_stops_at_the_limits_without_recursion():
    deep: list = []
    for _ in range(200_000):
        deep = [deep]
    with pytest.raises(Rejected, match="nested too deeply"):
        fields.measure(deep, 10**9)
    with pytest.raises(Rejected, match="byte limit"):
        fields.measure({"blob": "é" * 600_000}, 1024 * 1024)
    assert fields.measure({"a": [1, "b"]}, 100) < 100


def _msg(**over):
    base = emitter.instance_event("instance.update", INST, timestamp=dt.datetime(
        2026, 11, 25, 10, tzinfo=dt.timezone.utc))
    base.update(over)
    return base


@pytest.mark.parametrize("priority", [None, 3, "loud", ["INFO"]])
def test_priority_null_unknown_or_not_a_string_is_rejected(priority):
    with pytest.raises(Rejected, match="priority"):
        envelope.from_message(_msg(priority=priority))


def test_priority_absent_is_info_and_case_is_free():
    msg = _msg()
    msg.pop("priority", None)
    assert envelope.from_message(msg).priority == "INFO"
    assert envelope.from_message(_msg(priority="warn")).priority == "WARN"


@pytest.mark.parametrize("field,value", [
    ("vcpus", "²"), ("memory_mb", "①"), ("root_gb", float("nan")), ("swap", 2**60),
])
def test_flavor_numbers_review_found_are_rejected_by_parse(field, value):
    msg = _msg()
    msg["payload"]["nova_object.data"]["flavor"]["nova_object.data"][field] = value
    with pytest.raises(Rejected, match=field):
        parse.parse(envelope.from_message(msg))


def test_timestamp_at_the_datetime_edge_is_rejected_by_the_envelope():
    with pytest.raises(Rejected, match="timestamp"):
        envelope.from_message(_msg(timestamp="9999-12-31T23:59:59.999999-05:00"))


def test_invalid_instance_uuid_is_rejected_by_parse():
    msg = _msg()
    msg["payload"]["nova_object.data"]["uuid"] = "not-a-uuid"
    with pytest.raises(Rejected, match="not a UUID"):
        parse.parse(envelope.from_message(msg))


def test_future_versions_are_clamped_to_the_receivers_clock():
    now = dt.datetime(2026, 11, 25, 10, tzinfo=dt.timezone.utc)
    ahead = envelope.from_message(_msg(timestamp="2031-01-01 00:00:00", message_id="m1"))
    near = envelope.from_message(_msg(timestamp="2026-11-25 10:00:30", message_id="m2"))
    clamped = envelope.bounded(ahead, now, 60)
    assert clamped.clamped and clamped.version == envelope.version_from_datetime(
        now + dt.timedelta(seconds=60), "m1")
    assert envelope.bounded(near, now, 60) is near
    # a resync starting a minute later is newer than the clamped change
    later = envelope.version_from_datetime(now + dt.timedelta(seconds=61), "sync")
    assert later > clamped.version
