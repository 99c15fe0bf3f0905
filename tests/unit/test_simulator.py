"""The cloud simulator: repeatable, nova-shaped, and its expected export is consistent."""

from __future__ import annotations

import collections
import json

import pytest

from graphcdm.notifications import envelope, parse
from graphcdm.sim import simulator
from graphcdm.sim.simulator import Simulator


def test_a_seed_repeats_a_run_byte_for_byte():
    a = Simulator(nodes=6, instances=40, seed=9, duplicate=0.2, reorder=15).run()
    b = Simulator(nodes=6, instances=40, seed=9, duplicate=0.2, reorder=15).run()
    assert json.dumps(a.messages) == json.dumps(b.messages)
    assert a.expected == b.expected
    c = Simulator(nodes=6, instances=40, seed=10, duplicate=0.2, reorder=15).run()
    assert json.dumps(a.messages) != json.dumps(c.messages)


def test_every_message_decodes_and_parses_without_rejection():
    sim = Simulator(nodes=8, instances=200, seed=2, fmt="both").run()
    for msg in sim.messages:
        n = envelope.from_message(msg)
        parse.parse(n)  # raises Rejected on a malformed one


def test_cloud_keeps_its_size_and_expected_export_is_sorted():
    sim = Simulator(nodes=10, instances=150, seed=3).run()
    exp = sim.expected
    assert len(exp["instances"]) == 150
    assert [i["uuid"] for i in exp["instances"]] == sorted(i["uuid"] for i in exp["instances"])
    names = [n["hypervisor_hostname"] for n in exp["compute_nodes"]]
    assert names == sorted(names)
    hosted = {(i["hosted_on"] or {}).get("hypervisor_hostname") for i in exp["instances"]}
    assert hosted - {None} <= set(names)
    assert all(n["placeholder"] and n["uuid"] is None for n in exp["compute_nodes"])


def test_evacuation_rebuild_end_comes_from_the_destination_with_the_old_host():
    sim = Simulator(nodes=6, instances=300, seed=5, operations=2000).run()
    assert sim.operations.get("evacuated", 0) > 0
    rebuilds = [m for m in sim.messages if m["event_type"] in (
        "instance.rebuild.end", "compute.instance.rebuild.end")]
    moved = [m for m in rebuilds
             if envelope.publisher_host(m["publisher_id"]) != _payload_host(m)]
    assert moved, "no evacuation rebuild.end with publisher host != payload host"
    evacuate = [m for m in sim.messages if m["event_type"] == "instance.evacuate"]
    assert evacuate and all(m["publisher_id"].startswith("nova-api:") for m in evacuate)


def test_live_migration_post_end_is_later_and_still_shows_the_source():
    sim = Simulator(nodes=5, instances=100, seed=4, fmt="versioned").run()
    by_uuid: dict[str, list[dict]] = collections.defaultdict(list)
    for m in sim.messages:
        if m["event_type"].startswith("instance.live_migration_post"):
            by_uuid[m["payload"]["nova_object.data"]["uuid"]].append(m)
    assert by_uuid
    for events in by_uuid.values():
        for dest, post in zip(events[::2], events[1::2], strict=True):
            assert dest["event_type"] == "instance.live_migration_post_dest.end"
            assert post["event_type"] == "instance.live_migration_post.end"
            assert post["timestamp"] > dest["timestamp"]
            assert _payload_host(post) != _payload_host(dest)
            assert dest["publisher_id"] == f"nova-compute:{_payload_host(dest)}"


@pytest.mark.parametrize("fmt,prefixes", [
    ("versioned", ("instance.", "service.")),
    ("legacy", ("compute.instance.", "service.", "instance.lock", "instance.unlock",
                "instance.evacuate")),
])
def test_formats(fmt, prefixes):
    sim = Simulator(nodes=5, instances=80, seed=6, fmt=fmt).run()
    assert all(m["event_type"].startswith(prefixes) for m in sim.messages)
    legacy = [m for m in sim.messages if m["event_type"].startswith("compute.")]
    assert all(m["publisher_id"].startswith("compute.") for m in legacy)


def test_both_formats_send_twins():
    sim = Simulator(nodes=4, instances=20, seed=7, fmt="both", operations=0).run()
    kinds = collections.Counter(m["event_type"] for m in sim.messages)
    assert kinds["instance.create.end"] == kinds["compute.instance.create.end"] == 20


def test_duplication_and_reordering_deliver_the_same_messages():
    plain = Simulator(nodes=5, instances=60, seed=8).run()
    faulty = Simulator(nodes=5, instances=60, seed=8, duplicate=0.3, reorder=25).run()
    ids = [m["message_id"] for m in faulty.messages]
    assert len(ids) > len(set(ids))  # duplicates
    assert set(ids) == {m["message_id"] for m in plain.messages}
    first = list(dict.fromkeys(ids))
    assert first != [m["message_id"] for m in plain.messages]  # reordered
    assert faulty.expected == plain.expected


def test_services_reported_give_node_status():
    sim = Simulator(nodes=6, instances=300, seed=5, operations=2000).run()
    nodes = sim.expected["compute_nodes"]
    assert {n["status"] for n in nodes} <= {"enabled", "disabled"}
    assert {n["state"] for n in nodes} <= {"up", "down"}


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        Simulator(nodes=1)
    with pytest.raises(ValueError):
        Simulator(fmt="xml")


def test_stream_file_round_trip(tmp_path):
    sim = Simulator(nodes=3, instances=5, seed=1).run()
    path = tmp_path / "s.jsonl"
    simulator.write_stream(sim.messages, path)
    assert list(simulator.iter_stream(path)) == sim.messages


def _payload_host(m: dict) -> str | None:
    payload = m["payload"]
    return payload.get("nova_object.data", payload).get("host")


def test_simulate_command_writes_stream_and_expected(tmp_path):
    from click.testing import CliRunner

    from graphcdm.cli import main

    out = tmp_path / "cloud.jsonl"
    done = CliRunner().invoke(main, ["simulate", "--nodes", "4", "--instances", "12",
                                     "--seed", "3", "--duplicate", "0.5", "-o", str(out)])
    assert done.exit_code == 0, done.output
    expected = json.loads((tmp_path / "cloud.expected.json").read_text())
    sim = Simulator(nodes=4, instances=12, seed=3, duplicate=0.5).run()
    assert expected == sim.expected
    assert list(simulator.iter_stream(out)) == sim.messages
    bad = CliRunner().invoke(main, ["simulate", "--nodes", "1", "-o", str(out)])
    assert bad.exit_code == 2
