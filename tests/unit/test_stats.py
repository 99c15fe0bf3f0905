"""Stats: counters, percentiles, and the /metrics and /healthz answers."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from graphcdm.notifications.stats import CachedCheck, MetricsServer, Stats, percentile


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_counters_and_snapshot():
    stats = Stats()
    stats.add("received", 5)
    stats.add("applied", 3)
    stats.add("rejected", 1)
    stats.add("ignored", 0)
    stats.committed(0.02, [0.1, 0.2, 0.3])
    snap = stats.snapshot()
    assert (snap["received"], snap["applied"], snap["rejected"], snap["ignored"]) == (5, 3, 1, 0)
    assert snap["batches"] == 1 and snap["lag_p50"] == 0.2 and snap["commit_p99"] == 0.02
    assert "received 5 applied 3" in stats.log_line()


def test_each_stats_has_its_own_registry():
    a, b = Stats(), Stats()
    a.add("received", 2)
    assert b.snapshot()["received"] == 0


def test_cached_check_turns_exceptions_into_down_and_caches():
    calls = []

    def check():
        calls.append(1)
        raise ConnectionError("refused")

    cached = CachedCheck(check, ttl=60)
    assert cached() == (False, "ConnectionError: refused")
    cached()
    assert len(calls) == 1


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_metrics_and_healthz_endpoints():
    stats = Stats()
    stats.add("received", 7)
    state = {"bus": True}
    server = MetricsServer(stats, "127.0.0.1", _port(), {
        "neo4j": lambda: (True, "bolt://x"), "bus": lambda: (state["bus"], "amqp")})
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        code, body = _get(base + "/metrics")
        assert code == 200 and b"graphcdm_notifications_received_total 7.0" in body
        code, body = _get(base + "/healthz")
        assert code == 200 and json.loads(body)["status"] == "ok"
        state["bus"] = False
        code, body = _get(base + "/healthz")
        assert code == 503
        assert json.loads(body)["bus"] == {"ok": False, "detail": "amqp"}
        assert _get(base + "/nope")[0] == 404
    finally:
        server.stop()


def test_port_zero_is_off():
    server = MetricsServer(Stats(), "127.0.0.1", 0, {})
    server.start()
    assert server._server is None
    server.stop()


def _exposition(stats: Stats) -> str:
    import prometheus_client as prom

    return prom.generate_latest(stats.registry).decode()


def test_outcomes_are_one_metric_with_an_outcome_label():
    stats = Stats()
    stats.add("received", 6)
    stats.add("applied", 3)
    stats.add("ignored", 2)
    stats.add("requeued", 1)
    text = _exposition(stats)
    assert 'graphcdm_notifications_total{outcome="applied"} 3.0' in text
    assert 'graphcdm_notifications_total{outcome="ignored"} 2.0' in text
    assert 'graphcdm_notifications_total{outcome="rejected"} 0.0' in text  # present at 0
    assert 'graphcdm_notifications_total{outcome="requeued"} 1.0' in text
    assert "graphcdm_notifications_received_total 6.0" in text
    assert "graphcdm_notifications_applied_total" not in text


def test_build_info_and_last_commit_and_resync_times():
    import importlib.metadata
    import time

    stats = Stats()
    before = time.time()
    stats.committed(0.01, [])
    stats.resynced()
    stats.resynced("PollFailed: servers listing failed")
    text = _exposition(stats)
    version = importlib.metadata.version("graphcdm")
    assert f'graphcdm_build_info{{version="{version}"}} 1.0' in text
    for name in ("graphcdm_last_commit_timestamp_seconds",
                 "graphcdm_last_resync_timestamp_seconds"):
        value = float(next(line for line in text.splitlines() if line.startswith(name + " "))
                      .split()[1])
        assert before <= value <= time.time(), name
    assert "graphcdm_resync_failures_total 1.0" in text
    ages = stats.ages()
    assert 0 <= ages["last_commit_age"] < 60 and 0 <= ages["last_resync_age"] < 60
    assert ages["last_resync_error"]["error"] == "PollFailed: servers listing failed"


def test_healthz_adds_information_that_does_not_decide_the_status():
    stats = Stats()
    server = MetricsServer(stats, "127.0.0.1", _port(), {"neo4j": lambda: (True, "x")},
                           info=lambda: {"resync": {"ok": False, "last_success_age": None}})
    server.start()
    try:
        code, body = _get(f"http://127.0.0.1:{server.port}/healthz")
    finally:
        server.stop()
    assert code == 200
    assert json.loads(body) == {"neo4j": {"ok": True, "detail": "x"}, "last_commit_age": None,
                                "resync": {"ok": False, "last_success_age": None},
                                "status": "ok"}


def test_promtool_finds_the_exposition_clean():
    """``promtool check metrics`` (Debian's prometheus package): naming and help lint.

    Runs only where promtool is installed: it is a lint of the names, which
    the tests above pin as well, not a behaviour of graphcdm.
    """
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        return  # the names are pinned by the tests above; nothing more to lint here
    stats = Stats()
    stats.add("received", 1)
    stats.add("applied", 1)
    stats.committed(0.01, [0.5])
    stats.resynced()
    done = subprocess.run([promtool, "check", "metrics"], input=_exposition(stats),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
