"""One-shot commands fail fast and say so in one line; the listener's start is stoppable.

Real processes and real sockets: a Neo4j port nothing listens on, a "broker"
that accepts TCP and never speaks AMQP. Every output is searched for the
passwords configured (issue 10's safety paragraph).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.functional import fixtures as support

NEO4J_PW = "neo4j-Secret-pw-0815"
BUS_PW = "bus-Secret-pw-0816"

#: each one-shot command with arguments that would work against a live Neo4j
ONE_SHOT = {
    "export": ["export"],
    "query": ["query", "empty_hosts"],
    "viz": ["viz", "--out", "{tmp}/x.html"],
    "replay": ["replay", "--no-progress", "{tmp}/one.jsonl"],
    "reset": ["reset", "--yes"],
    "purge-tombstones": ["purge-tombstones"],
    "sync": ["sync", "--no-progress"],
}


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphcdm.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=support.REPO,
                          check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "one.jsonl").write_text("{}\n")
    port = support.free_port()
    return dict(os.environ, GRAPHCDM_NEO4J_URI=f"bolt://neo4j:{NEO4J_PW}@127.0.0.1:{port}",
                GRAPHCDM_NEO4J_PASSWORD=NEO4J_PW,
                GRAPHCDM_TRANSPORT_URL=f"rabbit://graphcdm:{BUS_PW}@127.0.0.1:{port}/")


def test_every_one_shot_command_exits_3_in_one_line_when_neo4j_is_down(env, tmp_path):
    """The README's one status for "Neo4j unavailable": 3, one line on stderr, no
    traceback, no password, within [neo4j] check_timeout (not the driver's
    minutes of retries)."""
    for name, args in ONE_SHOT.items():
        done = _run([a.format(tmp=tmp_path) for a in args], env)
        out = done.stdout + done.stderr
        assert done.returncode == 3, (name, out)
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "unavailable" in errors[0], (name, out)
        assert "Traceback" not in out, (name, out)
        assert NEO4J_PW not in out and BUS_PW not in out, (name, out)


def test_configuration_errors_are_one_line_exit_2(env, tmp_path):
    bad_value = tmp_path / "bad-value.conf"
    bad_value.write_text("[neo4j]\ncheck_timeout = soon\n")
    bad_ini = tmp_path / "bad-ini.conf"
    bad_ini.write_text("[neo4j\nuri = x\n")
    for args in (["--config-file", str(tmp_path / "missing.conf"), "export"],
                 ["--config-file", str(bad_value), "export"],
                 ["--config-file", str(bad_ini), "query", "empty_hosts"],
                 ["--config-file", str(bad_value), "listen"]):
        done = _run(args, env)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: configuration:"), (args, lines)


class _SilentBroker:
    """Accepts TCP connections and never answers: a broker that hangs the AMQP handshake."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_listen_with_the_bus_unreachable_honours_sigterm_and_exits_1(env, neo4j_uri, tmp_path):
    """Issue 16 item 6: before, the listener retried forever and ignored SIGTERM, so
    systemd's stop hung. Now it checks the bus before consuming, and a signal during
    the start ends it with the documented status 1."""
    broker = _SilentBroker()
    config = tmp_path / "graphcdm.conf"
    config.write_text("[metrics]\nport = 0\n")
    run_env = dict(env, GRAPHCDM_NEO4J_URI=neo4j_uri, GRAPHCDM_NEO4J_PASSWORD="",
                   GRAPHCDM_TRANSPORT_URL=f"rabbit://graphcdm:{BUS_PW}@127.0.0.1:{broker.port}/")
    log = tmp_path / "listen.log"
    try:
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "graphcdm.cli", "--config-file",
                                     str(config), "listen"], env=run_env, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=support.REPO)
            deadline = time.monotonic() + 60
            while b"Configuration options gathered" not in log.read_bytes():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        broker.close()
    text = log.read_text()
    assert code == 1, text
    assert "SIGTERM received" in text and "cannot start the listener" in text, text
    assert BUS_PW not in text and "Traceback" not in text


def test_a_tls_mismatch_fails_fast_in_one_line(neo4j_uri, env):
    """Issue 16 item 7: bolt+s:// against the test server's plain Bolt used to be
    retried for minutes; it is Neo4j unavailable, exit 3, in one line."""
    host_port = neo4j_uri.partition("://")[2]
    for scheme in ("bolt+s", "bolt+ssc"):
        done = _run(["export"], dict(env, GRAPHCDM_NEO4J_URI=f"{scheme}://{host_port}"))
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert done.returncode == 3 and len(errors) == 1, done.stderr
        assert f"{scheme}://{host_port} unavailable" in errors[0], errors
        assert NEO4J_PW not in done.stdout + done.stderr
