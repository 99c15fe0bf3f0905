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
