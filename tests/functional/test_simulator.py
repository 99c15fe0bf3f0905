"""The simulator's streams through the real pipeline give the simulator's expected export.

The expected export comes from the simulator's own state of the cloud, not
from graphcdm, so equality checks the whole decode -> parse -> write path,
in order, duplicated and reordered, in both formats, on a real Neo4j.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator


def _apply(writer, messages, batch_size):
    pipeline = Pipeline(writer)
    for i in range(0, len(messages), batch_size):
        pipeline.apply([envelope.from_message(m) for m in messages[i:i + batch_size]])
    return pipeline.counts


def _diff(got, expected) -> str:
    """The first differences, readable, for a failing comparison."""
    lines = []
    for key, field in (("compute_nodes", "hypervisor_hostname"), ("instances", "uuid")):
        g = {row[field]: row for row in got[key]}
        e = {row[field]: row for row in expected[key]}
        for name in sorted(set(g) | set(e)):
            if g.get(name) != e.get(name):
                lines.append(f"{key} {name}:\n  graph    {g.get(name)}\n  expected {e.get(name)}")
    return "\n".join(lines[:10]) + (f"\n... {len(lines) - 10} more" if len(lines) > 10 else "")


@pytest.mark.parametrize("seed,fmt,duplicate,reorder,batch", [
    (1, "mixed", 0.0, 0, 500),
    (2, "mixed", 0.25, 40, 100),
    (3, "both", 0.0, 0, 250),
    (4, "both", 0.3, 200, 64),
    (5, "legacy", 0.2, 60, 1),
    (6, "versioned", 0.5, 500, 1000),
])
def test_stream_gives_the_expected_export(writer, seed, fmt, duplicate, reorder, batch):
    sim = Simulator(nodes=12, instances=150, seed=seed, fmt=fmt, duplicate=duplicate,
                    reorder=reorder, operations=400).run()
    counts = _apply(writer, sim.messages, batch)
    assert counts.rejected == 0
    got = export.export(writer)
    assert got == sim.expected, _diff(got, sim.expected)


def test_host_failures_and_unrevealed_hosts(writer):
    """More hosts than instances: evacuations onto hosts whose node no event names."""
    sim = Simulator(nodes=40, instances=20, seed=9, operations=150, duplicate=0.2,
                    reorder=80).run()
    assert sim.operations.get("evacuated", 0) > 0
    assert any(n["hypervisor_hostname"] == n["hostname"] for n in sim.expected["compute_nodes"])
    on = [i["hosted_on"] for i in sim.expected["instances"] if i["hosted_on"]]
    assert any(h["hypervisor_hostname"] == h["hostname"] for h in on)  # onto a host-only node
    _apply(writer, sim.messages, 50)
    got = export.export(writer)
    assert got == sim.expected, _diff(got, sim.expected)


def test_replaying_twice_changes_nothing(writer):
    sim = Simulator(nodes=6, instances=60, seed=12, duplicate=0.1, reorder=30).run()
    _apply(writer, sim.messages, 200)
    _apply(writer, list(reversed(sim.messages)), 37)
    got = export.export(writer)
    assert got == sim.expected, _diff(got, sim.expected)


def test_simulate_then_replay_cli(writer, conf, tmp_path):
    """`graphcdm simulate` files through `graphcdm replay` and `graphcdm export`."""
    runner = CliRunner()
    stream = tmp_path / "cloud.jsonl"
    done = runner.invoke(main, ["simulate", "--nodes", "8", "--instances", "80", "--seed", "21",
                                "--duplicate", "0.2", "--reorder", "50", "-o", str(stream)])
    assert done.exit_code == 0, done.output
    expected = json.loads((tmp_path / "cloud.expected.json").read_text())
    done = runner.invoke(main, ["replay", "--batch-size", "100", str(stream)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["export"])
    assert done.exit_code == 0, done.output
    got = json.loads(done.output[done.output.index("{"):])
    assert got == expected, _diff(got, expected)
