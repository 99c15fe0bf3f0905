"""Bad input is a counted rejection with a reason; nothing valid around it is lost.

A replay file mixes valid notifications with malformed JSON, unknown
events, wrong types, a null host, a lone surrogate, absurd nesting and a
payload over 1 MiB. Every valid one is applied, every bad one is counted
with its file, line and reason, unknown events are ignored, and
``graphcdm replay`` exits 1.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from tests.functional.test_scenarios import inst, view

A = "a1000000-0000-4000-8000-00000000000a"
B = "b1000000-0000-4000-8000-00000000000b"
C = "c1000000-0000-4000-8000-00000000000c"


def _lines() -> tuple[list[bytes], dict[int, str], int]:
    """File lines, {line number: expected reason fragment} of the bad ones, ignored count."""
    clock = emitter.Clock()
    a = emitter.Instance(A, "h1", "n1")
    b = emitter.Instance(B, "h2", "n2")
    c = emitter.Instance(C, "h1", "n1")
    good = lambda m: json.dumps(m).encode()  # noqa: E731
    lines: list[bytes] = []
    bad: dict[int, str] = {}

    def add(raw: bytes, reason: str | None = None) -> None:
        lines.append(raw)
        if reason:
            bad[len(lines)] = reason

    add(good(emitter.instance_event("instance.create.end", a, timestamp=clock())))
    add(b'{"event_type": "instance.update", "payload": {', "malformed JSON")
    add(good(emitter.to_wire(emitter.instance_event("instance.create.end", b,
                                                    timestamp=clock()))))
    add(good({"event_type": "keypair.create.end", "publisher_id": "nova-api:x",
              "payload": {}, "message_id": "k1", "timestamp": str(clock())}))  # ignored
    wrong = emitter.instance_event("instance.update", c, timestamp=clock())
    wrong["payload"]["nova_object.data"]["flavor"]["nova_object.data"]["vcpus"] = "four"
    add(good(wrong), "vcpus")
    null_host = emitter.service_event("service.update", "h1", timestamp=clock())
    null_host["payload"]["nova_object.data"]["host"] = None
    add(good(null_host), "missing host")
    add(good({"event_type": 42, "payload": {}, "message_id": "m", "timestamp": "2026-01-01"}),
        "event_type is int")
    no_ts = emitter.instance_event("instance.update", c, timestamp=clock())
    del no_ts["timestamp"]
    no_ts["message_id"] = "given"  # a message id but no time: not a doc sample
    add(good(no_ts), "missing timestamp")
    huge = emitter.instance_event("instance.update", c, timestamp=clock())
    huge["payload"]["nova_object.data"]["metadata"] = {"blob": "x" * (1024 * 1024 + 10)}
    add(good(huge), "byte limit")
    huge_wire = emitter.to_wire(emitter.instance_event("instance.update", c, timestamp=clock()))
    huge_wire["oslo.message"] = huge_wire["oslo.message"][:-1] + ', "pad": "' + (
        "y" * (1024 * 1024)) + '"}'
    add(good(huge_wire), "byte limit")
    add(b"[" * 100000 + b"]" * 100000, "nested too deeply")
    surrogate = good(emitter.instance_event("instance.update", c, timestamp=clock()))
    add(surrogate.replace(b'"display_name": "vm"', b'"display_name": "\\ud800"'),
        "lone surrogate")
    add(b"\xff\xfe not utf-8", "not UTF-8")
    add(b"42", "not an object")
    add(good({"oslo.version": "2.0", "oslo.message": "{nope"}), "not JSON")
    add(b"")  # blank lines are skipped, not counted
    add(good(emitter.instance_event("instance.live_migration_post_dest.end",
                                    a.replace(host="h2", node="n2"), timestamp=clock())))
    add(good(emitter.service_event("service.update", "h2", timestamp=clock(), disabled=True,
                                   disabled_reason="maintenance")))
    add(good(emitter.instance_event("instance.unknown_future_event.end", c,
                                    timestamp=clock())))  # ignored
    return lines, bad, 2


EXPECT = {
    "nodes": {"n1": {"hostname": "h1", "status": None, "disabled_reason": None,
                     "placeholder": True},
              "n2": {"hostname": "h2", "status": "disabled", "disabled_reason": "maintenance",
                     "placeholder": True}},
    "instances": {A: inst("n2", "h2"), B: inst("n2", "h2")},
}


@pytest.fixture
def mixed_file(tmp_path):
    lines, bad, ignored = _lines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, bad, ignored, len([x for x in lines if x.strip()])


def test_replay_command_counts_every_rejection_and_applies_the_rest(writer, conf, mixed_file):
    path, bad, ignored, total = mixed_file
    result = CliRunner().invoke(main, ["replay", "--no-progress", "--batch-size", "4",
                                       str(path)])
    assert result.exit_code == 1, result.output
    applied = total - len(bad) - ignored
    assert f"applied {applied}, ignored {ignored}, rejected {len(bad)}" in result.output
    rejected = [line for line in result.output.splitlines() if line.startswith("rejected ")]
    assert len(rejected) == len(bad)
    for (number, reason), line in zip(sorted(bad.items()), rejected, strict=True):
        assert line.startswith(f"rejected {path}:{number}: "), line
        assert reason in line, (reason, line)
        assert len(line) < 600  # a reason, not a dump of the payload
    assert view(export.export(writer)) == EXPECT


def test_each_batch_size_gives_the_same_graph(writer, mixed_file):
    """Rejections inside a batch do not take the valid notifications with them."""
    from graphcdm.notifications import replay

    path, bad, ignored, total = mixed_file
    for size in (1, 3, 100):
        writer.reset()
        items = list(replay.read(path, replay.ReplayClock()))
        pipeline = Pipeline(writer)
        for start in range(0, len(items), size):
            pipeline.apply([i.notification for i in items[start:start + size]])
        assert pipeline.counts.rejected == len(bad)
        assert pipeline.counts.ignored == ignored
        assert view(export.export(writer)) == EXPECT


def test_a_value_neo4j_refuses_costs_only_its_own_notification(writer):
    """A poison change (here a value the driver cannot send) is isolated, not fatal."""
    from graphcdm.graph.changes import InstanceUpsert

    clock = emitter.Clock()
    ok = envelope.from_message(emitter.instance_event(
        "instance.create.end", emitter.Instance(A, "h1", "n1"), timestamp=clock()))
    poison = envelope.from_message(emitter.instance_event(
        "instance.update", emitter.Instance(B, "h1", "n1"), timestamp=clock()))
    pipeline = Pipeline(writer)
    real_parse = __import__("graphcdm.notifications.parse", fromlist=["parse"]).parse

    def parse_with_poison(n):
        changes = real_parse(n)
        if n is poison:  # bypass parse's own checks to reach Neo4j with a bad value
            changes[0] = InstanceUpsert(B, changes[0].version, {"name": object()})
        return changes

    import graphcdm.notifications.pipeline as pl
    original = pl.parse.parse
    pl.parse.parse = parse_with_poison
    try:
        outcomes = pipeline.apply([ok, poison])
    finally:
        pl.parse.parse = original
    assert [o.status for o in outcomes] == ["applied", "rejected"]
    assert "Neo4j refused" in outcomes[1].reason
    assert [i["uuid"] for i in export.export(writer)["instances"]] == [A]


def test_json_array_and_single_object_files(writer, conf, tmp_path):
    clock = emitter.Clock()
    a = emitter.Instance(A, "h1", "n1")
    array = tmp_path / "array.json"
    elements = [emitter.instance_event("instance.create.end", a, timestamp=clock()),
                {"event_type": "instance.update", "payload": [], "message_id": "m",
                 "timestamp": str(clock())}]
    array.write_text("[\n" + ",\n".join(json.dumps(e) for e in elements) + "\n]\n")
    single = tmp_path / "single.json"
    single.write_text(json.dumps(emitter.to_endpoint(emitter.instance_event(
        "instance.pause.end", a.replace(state="paused"), timestamp=clock())), indent=2))
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"event_type": "instance.update",\n')
    result = CliRunner().invoke(main, ["replay", "--no-progress", str(array), str(single),
                                       str(broken)])
    assert result.exit_code == 1, result.output
    assert "applied 2, ignored 0, rejected 2" in result.output
    assert f"rejected {array}:3: payload is missing or not an object" in result.output
    assert f"rejected {broken}:1: not a JSON array" in result.output
    assert view(export.export(writer))["instances"] == {A: inst("n1", "h1", state="paused")}
