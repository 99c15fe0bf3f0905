"""The listener's figures: counters, latencies, /metrics and /healthz.

Why a registry of its own (not prometheus_client's global one): tests and
the demo run several listeners in one process, and each must count only
what it saw. Why keep recent samples besides the histograms: the log line
and ``graphcdm demo`` print percentiles, which Prometheus histograms only
approximate.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import prometheus_client as prom

LOG = logging.getLogger(__name__)

#: How many recent samples the percentiles are computed from.
SAMPLES = 100_000

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

#: A health check returns (ok, detail).
Check = Callable[[], tuple[bool, str]]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of unsorted values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[min(len(ordered), int(rank)) - 1]


class Stats:
    """Thread-safe counters and latency samples of one listener."""

    COUNTERS = ("received", "applied", "ignored", "rejected", "requeued", "undecodable",
                "clamped")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.registry = prom.CollectorRegistry(auto_describe=True)
        self.values = dict.fromkeys(self.COUNTERS, 0)
        self.batches = 0
        self._prom = {
            name: prom.Counter(f"graphcdm_notifications_{name}", f"Notifications {name}.",
                               registry=self.registry)
            for name in self.COUNTERS
        }
        self._commit = prom.Histogram("graphcdm_batch_commit_seconds",
                                      "Seconds to commit one batch to Neo4j.",
                                      buckets=_LATENCY_BUCKETS, registry=self.registry)
        self._lag = prom.Histogram("graphcdm_event_to_commit_seconds",
                                   "Commit time minus the notification's own timestamp.",
                                   buckets=_LAG_BUCKETS, registry=self.registry)
        self._commits: collections.deque[float] = collections.deque(maxlen=SAMPLES)
        self._lags: collections.deque[float] = collections.deque(maxlen=SAMPLES)
        self.started = time.monotonic()

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to one of :data:`COUNTERS`."""
        if n <= 0:
            return
        with self._lock:
            self.values[name] += n
        self._prom[name].inc(n)

    def committed(self, seconds: float, lags: list[float]) -> None:
        """Record one committed batch: its commit time and each event's lag."""
        with self._lock:
            self.batches += 1
            self._commits.append(seconds)
            self._lags.extend(lags)
        self._commit.observe(seconds)
        for lag in lags:
            self._lag.observe(lag)

    def lags(self) -> list[float]:
        """Recent event-to-commit lags in seconds (benchmarks read them)."""
        with self._lock:
            return list(self._lags)

    def snapshot(self) -> dict[str, Any]:
        """Counters and p50/p99 of recent commit latency and lag (seconds)."""
        with self._lock:
            commits, lags = list(self._commits), list(self._lags)
            out: dict[str, Any] = dict(self.values)
            out["batches"] = self.batches
        out["commit_p50"] = percentile(commits, 50)
        out["commit_p99"] = percentile(commits, 99)
        out["lag_p50"] = percentile(lags, 50)
        out["lag_p99"] = percentile(lags, 99)
        return out

    def log_line(self) -> str:
        s = self.snapshot()

        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v * 1000:.0f}ms"
        return (f"received {s['received']} applied {s['applied']} ignored {s['ignored']} "
                f"rejected {s['rejected']} requeued {s['requeued']} batches {s['batches']} "
                f"commit p50 {ms(s['commit_p50'])} p99 {ms(s['commit_p99'])} "
                f"lag p50 {ms(s['lag_p50'])} p99 {ms(s['lag_p99'])}")


class Reporter:
    """Logs :meth:`Stats.log_line` every ``interval`` seconds (0 = never)."""

    def __init__(self, stats: Stats, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="graphcdm-stats-log",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            LOG.info("stats: %s", self.stats.log_line())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class CachedCheck:
    """A health check run at most every ``ttl`` seconds: scrapes stay cheap."""

    def __init__(self, check: Check, ttl: float = 5.0) -> None:
        self.check = check
        self.ttl = ttl
        self._lock = threading.Lock()
        self._at = -1e9
        self._result: tuple[bool, str] = (False, "not checked yet")

    def __call__(self) -> tuple[bool, str]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                try:
                    self._result = self.check()
                except Exception as exc:  # noqa: BLE001 - a failing check is a "down"
                    self._result = (False, f"{type(exc).__name__}: {exc}"[:300])
                self._at = time.monotonic()
            return self._result


class MetricsServer:
    """``/metrics`` (Prometheus text) and ``/healthz`` (JSON, 200 or 503).

    Runs in a daemon thread; ``port`` 0 means "do not serve".
    """

    def __init__(self, stats: Stats, host: str, port: int, checks: dict[str, Check]) -> None:
        self.stats = stats
        self.host = host
        self.port = port
        self.checks = checks
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def health(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {}
        healthy = True
        for name, check in self.checks.items():
            ok, detail = check()
            body[name] = {"ok": ok, "detail": detail}
            healthy = healthy and ok
        body["status"] = "ok" if healthy else "unavailable"
        return healthy, body

    def start(self) -> None:
        if not self.port:
            return
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    data = prom.generate_latest(outer.stats.registry)
                    self._send(200, prom.CONTENT_TYPE_LATEST, data)
                elif path == "/healthz":
                    healthy, body = outer.health()
                    self._send(200 if healthy else 503, "application/json",
                               json.dumps(body, sort_keys=True).encode())
                else:
                    self._send(404, "text/plain", b"not found: try /metrics or /healthz\n")

            def _send(self, code: int, ctype: str, data: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, fmt: str, *args: Any) -> None:
                LOG.debug("metrics http: " + fmt, *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="graphcdm-metrics", daemon=True)
        self._thread.start()
        LOG.info("metrics on http://%s:%d/metrics and /healthz", self.host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
