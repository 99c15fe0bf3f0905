"""Reading replay files: the three layouts, line numbers, and per-line rejections."""

from __future__ import annotations

import datetime as dt
import json

from graphcdm.notifications import replay
from graphcdm.notifications.envelope import Rejected

MSG = {"event_type": "instance.update", "publisher_id": "nova-compute:h1",
       "payload": {"nova_object.data": {}}, "message_id": "m1",
       "timestamp": "2026-11-25 10:00:00"}


def _items(tmp_path, data: bytes, **kw):
    path = tmp_path / "f.json"
    path.write_bytes(data)
    return [(i.line, i.notification) for i in replay.read(path, replay.ReplayClock(), **kw)]


def test_json_lines_keep_line_numbers_and_skip_blanks(tmp_path):
    data = (json.dumps(MSG) + "\n\n" + "{oops\n" + json.dumps(MSG) + "\n").encode()
    got = _items(tmp_path, data)
    assert [line for line, _ in got] == [1, 3, 4]
    assert isinstance(got[1][1], Rejected) and "malformed JSON" in str(got[1][1])


def test_json_array_lines(tmp_path):
    data = ("[\n" + json.dumps(MSG) + ",\n\n  " + json.dumps(MSG) + "\n]").encode()
    assert [line for line, _ in _items(tmp_path, data)] == [2, 4]


def test_pretty_single_object(tmp_path):
    got = _items(tmp_path, ("\n" + json.dumps(MSG, indent=2)).encode())
    assert len(got) == 1 and got[0][0] == 2 and got[0][1].event_type == "instance.update"


def test_json_lines_starting_with_an_array_line(tmp_path):
    data = b"[1, 2]\n" + json.dumps(MSG).encode() + b"\n"
    got = _items(tmp_path, data)
    assert isinstance(got[0][1], Rejected) and "not an object" in str(got[0][1])
    assert got[1][1].message_id == "m1"


def test_broken_array_is_one_rejection(tmp_path):
    got = _items(tmp_path, b'[\n {"event_type": "x",\n')
    assert len(got) == 1 and "not a JSON array" in str(got[0][1])


def test_oversized_line_is_rejected_unread(tmp_path):
    big = json.dumps(dict(MSG, pad="x" * 5000)).encode()
    got = _items(tmp_path, big + b"\n" + json.dumps(MSG).encode(), max_bytes=4096)
    assert "byte limit" in str(got[0][1]) and got[1][1].message_id == "m1"


def test_missing_file_is_a_rejection(tmp_path):
    items = list(replay.read(tmp_path / "nope.json", replay.ReplayClock()))
    assert len(items) == 1 and "cannot read file" in str(items[0].notification)


def test_clock_stamps_only_unstamped_items_in_file_order():
    clock = replay.ReplayClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    bare = {k: v for k, v in MSG.items() if k not in ("message_id", "timestamp")}
    first, second = clock.stamp(bare), clock.stamp(bare)
    assert first["timestamp"] < second["timestamp"]
    assert first["message_id"] != second["message_id"]
    assert clock.stamp(MSG) is MSG
    half = {k: v for k, v in MSG.items() if k != "timestamp"}
    assert clock.stamp(half) is half  # the envelope will reject it: not a doc sample


def test_doc_samples_resolve_refs(tmp_path):
    (tmp_path / "common.json").write_text(json.dumps({"a": 1, "b": {"c": 2, "d": 3}}))
    sample = dict(MSG, payload={"$ref": "common.json#", "b": {"d": 4}})
    (tmp_path / "s.json").write_text(json.dumps(sample))
    [item] = list(replay.read(tmp_path / "s.json", replay.ReplayClock(), resolve_refs=True))
    assert item.notification.payload == {"a": 1, "b": {"c": 2, "d": 4}}
    (tmp_path / "loop.json").write_text(json.dumps(dict(MSG, payload={"$ref": "loop.json"})))
    [item] = list(replay.read(tmp_path / "loop.json", replay.ReplayClock(), resolve_refs=True))
    assert isinstance(item.notification, Rejected)
