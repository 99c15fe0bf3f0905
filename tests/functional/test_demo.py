"""`graphcdm demo` end to end: the README's first command, on the test Neo4j.

The demo is run as users run it (the installed ``graphcdm`` script, in a
subprocess), on a small cloud; the graph it leaves is compared with the
simulator's expected export for the same seed, computed here independently.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support
from tests.functional.conftest import TEST_BOLT_PORT, TEST_HTTP_PORT

REPO = Path(__file__).resolve().parents[2]
GRAPHCDM = str(Path(sys.executable).with_name("graphcdm"))
SMALL = ["--nodes", "6", "--instances", "40", "--seed", "7", "--no-progress"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GRAPHCDM_NEO4J_URI", "GRAPHCDM_TRANSPORT_URL")}
    env.update(extra)
    return env


def _expected():
    return Simulator(nodes=6, instances=40, seed=7, duplicate=0.05, reorder=20).run().expected


def _demo(args: list[str], env: dict[str, str], timeout: float = 300):
    return subprocess.run([GRAPHCDM, "demo", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO, check=False)


def _local_port(uri: str) -> int | None:
    """The Bolt port when the test Neo4j is the local server the fixture started."""
    return TEST_BOLT_PORT if uri.rstrip("/").endswith(f":{TEST_BOLT_PORT}") else None


def test_demo_on_the_local_neo4j_with_the_fake_transport(neo4j_uri, writer):
    """No broker, no configured URI: the demo starts (here: reuses) the local Neo4j."""
    port = _local_port(neo4j_uri)
    if port is None:
        pytest.fail("this test needs the local test Neo4j (unset GRAPHCDM_NEO4J_URI)")
    http = str(TEST_HTTP_PORT)
    home = REPO / ".state" / f"neo4j-test-{port}"
    done = _demo([*SMALL, "--home", str(home), "--bolt-port", str(port), "--http-port", http],
                 _env())
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Listener started on fake://" in out
    assert "graph equals the simulated cloud: yes" in out
    assert "rejected 0" in out
    assert f"Neo4j Browser: http://127.0.0.1:{http}/browser/" in out
    assert "graphcdm neo4j stop" in out
    assert out.count("-- ") >= 3 and "MATCH" in out  # three example queries
    assert export.export(writer) == _expected()


def test_demo_through_rabbitmq_on_the_configured_neo4j(neo4j_uri, rabbit_url, writer):
    """--transport-url: the real listener reads RabbitMQ; a configured graph needs --reset."""
    from graphcdm.notifications import envelope
    from graphcdm.notifications.pipeline import Pipeline
    from graphcdm.sim import emitter

    stale = emitter.instance_event("instance.create.end",
                                   emitter.Instance("57a1e000-0000-4000-8000-000000000001",
                                                    "old", "old.node"),
                                   timestamp="2026-01-01 00:00:00")
    Pipeline(writer).apply([envelope.from_message(stale)])
    assert len(export.export(writer)["instances"]) == 1  # a graph with something in it
    env = _env(GRAPHCDM_NEO4J_URI=neo4j_uri)

    refused = _demo([*SMALL, "--transport-url", rabbit_url], env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "not empty" in refused.stderr and "--reset" in refused.stderr
    assert len(export.export(writer)["instances"]) == 1  # untouched

    done = _demo([*SMALL, "--transport-url", rabbit_url, "--reset"], env)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Using the configured Neo4j" in out
    # the Browser of the server used (the test server's HTTP port), not a default
    assert f"Neo4j Browser: http://127.0.0.1:{TEST_HTTP_PORT}/browser/" in out
    assert "Listener started on rabbit://guest:***@" in out  # password not shown
    assert "graph equals the simulated cloud: yes" in out
    assert export.export(writer) == _expected()


def test_ctrl_c_stops_the_demo(neo4j_uri, writer):
    """SIGINT while publishing: the demo stops its listener and exits 130."""
    proc = subprocess.Popen(
        [GRAPHCDM, "demo", *SMALL, "--rate", "20", "--reset"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=_env(GRAPHCDM_NEO4J_URI=neo4j_uri))
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while "Listener started" not in seen:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail(f"demo ended early: {seen}{proc.stderr.read()}")
            seen += line
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not start its listener: {seen}")
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 130, proc.stderr.read()
    assert "interrupted" in proc.stderr.read()


def test_a_configured_neo4j_that_does_not_answer_stops_the_demo(tmp_path):
    """GRAPHCDM_NEO4J_URI names a server that is down: say so, exit 2, start nothing.

    Falling back to a local server would fill (and, on the next run, empty)
    a graph the user did not name.
    """
    dead = support.free_port()  # closed again: nothing answers there
    home = tmp_path / "neo4j"
    done = _demo([*SMALL, "--home", str(home), "--bolt-port", str(dead)],
                 _env(GRAPHCDM_NEO4J_URI=f"bolt://127.0.0.1:{dead}"), timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"GRAPHCDM_NEO4J_URI=bolt://127.0.0.1:{dead} does not answer" in done.stderr
    assert "Starting a local Neo4j" not in done.stdout
    assert not home.exists()  # no local server was set up
