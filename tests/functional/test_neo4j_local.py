"""`graphcdm neo4j start|status|stop` against a real server of its own.

Uses free ports of its own (chosen at import) and a temporary home, so the session's
test server is untouched; the jars come from the shared cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest

from tests.functional.fixtures import free_port

#: Free ports, not fixed ones: two checkouts running this test at once
#: must not meet on one port.
BOLT, HTTP = free_port(), free_port()
PORTS = ["--bolt-port", str(BOLT), "--http-port", str(HTTP)]


def _graphcdm(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphcdm.cli", "neo4j", *args,
                           "--home", str(home), *PORTS],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def home(tmp_path):
    yield tmp_path / "neo4j"
    _graphcdm("stop", home=tmp_path / "neo4j")  # never leave it running


def test_start_status_stop_twice_in_a_row(home):
    for _round in range(2):
        started = _graphcdm("start", home=home)
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == f"bolt://127.0.0.1:{BOLT}"
        again = _graphcdm("start", home=home)
        assert again.returncode == 0 and "already running" in again.stderr
        status = _graphcdm("status", home=home)
        assert status.returncode == 0, status.stderr
        page = urllib.request.urlopen(f"http://127.0.0.1:{HTTP}/browser/", timeout=10).read()
        assert b"Neo4j Browser" in page
        stopped = _graphcdm("stop", home=home)
        assert stopped.returncode == 0 and "stopped" in stopped.stderr
        down = _graphcdm("status", home=home)
        assert down.returncode == 3


def test_stop_without_a_server_of_ours_says_so(home):
    result = _graphcdm("stop", home=home)
    assert result.returncode == 0
    assert "not running" in result.stderr


def test_missing_java_names_the_package_to_install(home):
    env = dict(os.environ, PATH="/nonexistent")
    result = subprocess.run([sys.executable, "-m", "graphcdm.cli", "neo4j", "start",
                             "--home", str(home), "--cache", str(home / "cache"), *PORTS],
                            capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 1
    assert "apt-get install" in result.stderr


def test_second_start_from_the_same_home_on_other_ports_keeps_the_pid_file(home):
    """Issue 16 item 9: the refused start must not take the running server's pid file."""
    started = _graphcdm("start", home=home)
    assert started.returncode == 0, started.stderr
    pid_file = home / "run" / "graphcdm-neo4j.pid"
    recorded = pid_file.read_text()
    other = subprocess.run([sys.executable, "-m", "graphcdm.cli", "neo4j", "start",
                            "--home", str(home), "--bolt-port", "7836", "--http-port", "7837"],
                           capture_output=True, text=True, timeout=300, check=False)
    assert other.returncode == 1
    assert "is running" in other.stderr and "other ports" in other.stderr
    assert pid_file.read_text() == recorded
    assert _graphcdm("status", home=home).returncode == 0
    stopped = _graphcdm("stop", home=home)
    assert stopped.returncode == 0 and f"pid {recorded.strip()}" in stopped.stderr
    assert _graphcdm("status", home=home).returncode == 3
