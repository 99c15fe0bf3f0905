"""``graphcdm listen`` as real processes: SIGKILL mid-stream and a restart lose
nothing, SIGTERM exits 0 after the batch in flight, and two processes on one
pool leave the same graph as one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support


@pytest.fixture
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
            "pool": f"graphcdm-test-{tag}", "exchange": "nova"}


class Proc:
    """One ``graphcdm listen`` process with its log file."""

    def __init__(self, tmp: Path, name: str, names: dict[str, str], neo4j_uri: str,
                 rabbit_url: str) -> None:
        config = tmp / "graphcdm.conf"
        config.write_text(
            "[notifications]\n"
            f"topics = {names['versioned']},{names['legacy']}\n"
            f"pool = {names['pool']}\nexchange = {names['exchange']}\n"
            "batch_size = 100\nbatch_timeout = 0.1\nrequeue_backoff = 0.5\n"
            "[metrics]\nport = 0\nlog_interval = 1\n")
        env = dict(os.environ, GRAPHCDM_NEO4J_URI=neo4j_uri, GRAPHCDM_NEO4J_PASSWORD="",
                   GRAPHCDM_TRANSPORT_URL=rabbit_url)
        self.log = tmp / f"{name}.log"
        self._out = self.log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "graphcdm.cli", "--config-file", str(config), "listen"],
            env=env, stdout=self._out, stderr=subprocess.STDOUT, cwd=support.REPO)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_consuming(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "listener consuming" not in self.text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"listener did not start:\n{self.text()[-3000:]}")
            time.sleep(0.2)

    def end(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)
        self._out.close()


def wait_graph(writer, expected, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = export.export(writer)
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_sigkill_mid_stream_then_restart_loses_nothing_and_sigterm_exits_0(
        writer, neo4j_uri, rabbit_url, names, tmp_path):
    sim = Simulator(nodes=10, instances=300, operations=600, fmt="mixed", seed=21,
                    duplicate=0.02, reorder=10).run()
    transport = support.nova_transport(rabbit_url)
    procs = []
    try:
        first = Proc(tmp_path, "first", names, neo4j_uri, rabbit_url)
        procs.append(first)
        first.wait_consuming()
        support.publish_raw(transport, sim.messages, names)
        deadline = time.monotonic() + 60
        while not export.export(writer)["instances"]:  # it is applying: kill it now
            if time.monotonic() > deadline:
                pytest.fail(f"first listener applied nothing:\n{first.text()[-2000:]}")
            time.sleep(0.1)
        first.popen.send_signal(signal.SIGKILL)
        first.popen.wait(timeout=30)
        left = support.queue_depth(rabbit_url, names["pool"])
        second = Proc(tmp_path, "second", names, neo4j_uri, rabbit_url)
        procs.append(second)
        second.wait_consuming()
        got = wait_graph(writer, sim.expected, timeout=90)
        second.popen.send_signal(signal.SIGTERM)
        rc = second.popen.wait(timeout=60)
    finally:
        for p in procs:
            p.end()
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    assert left > 0, "the first listener had read everything before it was killed"
    assert got == sim.expected
    assert rc == 0, second.text()[-2000:]
    assert "listener stopped" in second.text()


def test_two_processes_on_one_pool_give_the_single_process_graph(
        writer, neo4j_uri, rabbit_url, names, tmp_path):
    sim = Simulator(nodes=10, instances=300, operations=600, fmt="both", seed=5,
                    duplicate=0.02, reorder=10).run()
    transport = support.nova_transport(rabbit_url)
    procs = []
    try:
        for name in ("a", "b"):
            home = tmp_path / name
            home.mkdir()
            procs.append(Proc(home, name, names, neo4j_uri, rabbit_url))
        for p in procs:
            p.wait_consuming()
        support.publish_raw(transport, sim.messages, names)
        got = wait_graph(writer, sim.expected, timeout=90)
        for p in procs:
            p.popen.send_signal(signal.SIGTERM)
        rcs = [p.popen.wait(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.end()
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    assert got == sim.expected
    assert rcs == [0, 0]
    received = [_last_received(p.text()) for p in procs]
    assert sum(received) >= len(sim.messages), received


def _last_received(log: str) -> int:
    lines = [line for line in log.splitlines() if "listener stopped: received" in line]
    return int(lines[-1].split("received ")[1].split()[0]) if lines else 0
