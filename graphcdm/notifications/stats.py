"""The listener's figures: counters, latencies, /metrics and /healthz.

Why a registry of its own (not prometheus_client's global one): tests and
the demo run several listeners in one process, and each must count only
what it saw. Why keep recent samples besides the histograms: the log line
and ``graphcdm demo`` print percentiles, which Prometheus histograms only
approximate.
"""

from __future__ import annotations

import collections
import importlib.metadata
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


def version() -> str:
    """graphcdm's installed version (pbr/setuptools metadata), "unknown" when not installed."""
    try:
        return importlib.metadata.version("graphcdm")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Stats:
    """Thread-safe counters and latency samples of one listener.

    Exported as Prometheus prefers: one counter per thing counted, the kind of
    outcome a label (``graphcdm_notifications_total{outcome="applied"}``), so
    that ``sum without (outcome)`` and ratios need no metric names spelled out.
    """

    #: what becomes of a received notification, the ``outcome`` label's values
    OUTCOMES = ("applied", "ignored", "rejected", "requeued")
    #: counted apart: bodies oslo.messaging could not decode (never reach an outcome)
    #: and versions stamped ahead of this clock, clamped (they still reach one)
    OTHERS = ("undecodable", "clamped")
    COUNTERS = ("received", *OUTCOMES, *OTHERS)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.registry = prom.CollectorRegistry(auto_describe=True)
        self.values = dict.fromkeys(self.COUNTERS, 0)
        self.batches = 0
        #: wall-clock times (time.time()) of the last commit, resync success and
        #: resync failure; None until they happen
        self.last_commit: float | None = None
        self.last_resync: float | None = None
        self.last_resync_error: tuple[float, str] | None = None
        received = prom.Counter("graphcdm_notifications_received",
                                "Notifications taken from the bus.", registry=self.registry)
        outcomes = prom.Counter("graphcdm_notifications", "Notifications by outcome: applied "
                                "(changed the graph), ignored (nothing to change), rejected "
                                "(malformed, acknowledged), requeued (Neo4j could not be "
                                "written; delivered again).", ["outcome"], registry=self.registry)
        self._prom = {"received": received,
                      **{name: outcomes.labels(outcome=name) for name in self.OUTCOMES},
                      "undecodable": prom.Counter(
                          "graphcdm_notifications_undecodable", "Messages oslo.messaging could "
                          "not decode (not JSON, bad UTF-8, unknown priority), dropped.",
                          registry=self.registry),
                      "clamped": prom.Counter(
                          "graphcdm_notifications_clamped", "Notifications stamped further "
                          "ahead of this clock than [notifications] max_clock_ahead, whose "
                          "version was clamped.", registry=self.registry)}
        for name in self.OUTCOMES:  # every series exists from the start, at 0
            self._prom[name].inc(0)
        prom.Info("graphcdm_build", "graphcdm's version.",
                  registry=self.registry).info({"version": version()})
        self._last_commit = prom.Gauge("graphcdm_last_commit_timestamp_seconds",
                                       "Unix time of the last batch committed to Neo4j.",
                                       registry=self.registry)
        self._last_resync = prom.Gauge("graphcdm_last_resync_timestamp_seconds",
                                       "Unix time of the last successful periodic resync.",
                                       registry=self.registry)
        self._resync_failures = prom.Counter("graphcdm_resync_failures",
                                             "Periodic resyncs that failed.",
                                             registry=self.registry)
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
        now = time.time()
        with self._lock:
            self.batches += 1
            self.last_commit = now
            self._commits.append(seconds)
            self._lags.extend(lags)
        self._last_commit.set(now)
        self._commit.observe(seconds)
        for lag in lags:
            self._lag.observe(lag)

    def resynced(self, error: str | None = None) -> None:
        """Record the end of a periodic resync: success, or its (password-free) error."""
        now = time.time()
        with self._lock:
            if error is None:
                self.last_resync = now
            else:
                self.last_resync_error = (now, error)
        if error is None:
            self._last_resync.set(now)
        else:
            self._resync_failures.inc()

    def ages(self) -> dict[str, Any]:
        """Seconds since the last commit and resync, and the last resync error (for /healthz)."""
        now = time.time()
        with self._lock:
            commit, resync, error = self.last_commit, self.last_resync, self.last_resync_error
        return {"last_commit_age": None if commit is None else round(now - commit, 3),
                "last_resync_age": None if resync is None else round(now - resync, 3),
                "last_resync_error": None if error is None else
                {"age": round(now - error[0], 3), "error": error[1]}}

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

    ``checks`` decide the status (503 when one fails); ``info`` adds facts
    that do not (the resync's last success and error: a nova API outage
    must not make an orchestrator restart a listener that still applies
    notifications). Runs in a daemon thread; ``port`` 0 means "do not serve".
    """

    def __init__(self, stats: Stats, host: str, port: int, checks: dict[str, Check],
                 info: Callable[[], dict[str, Any]] | None = None) -> None:
        self.stats = stats
        self.host = host
        self.port = port
        self.checks = checks
        self.info = info
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def health(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {}
        healthy = True
        for name, check in self.checks.items():
            ok, detail = check()
            body[name] = {"ok": ok, "detail": detail}
            healthy = healthy and ok
        body["last_commit_age"] = self.stats.ages()["last_commit_age"]
        if self.info is not None:
            body.update(self.info())
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
