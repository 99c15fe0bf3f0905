"""The service: an oslo.messaging batch listener that keeps the graph current.

Why a *batch* listener: one Neo4j transaction per batch instead of one per
message is what makes the listener keep up with a busy cloud; batches are
formed by group commit (:mod:`graphcdm.notifications.batching`: a free
executor thread takes everything read so far, up to ``batch_size``), so a
quiet cloud's notification is committed at once. Why it loses nothing:
a batch is acknowledged only after its transaction committed; when Neo4j
cannot be written (after the writer's own retries) the endpoint returns
``REQUEUE`` and RabbitMQ delivers the messages again later. A redelivered
message carries its original version, so applying it twice is a no-op
(see :mod:`graphcdm.notifications.envelope`); so are concurrent batches of several
threads or processes on the same pool (see :mod:`graphcdm.graph.writer`).

Whatever a message holds, :meth:`Listener.handle` does one of three things
with it and never raises: commits it; rejects it alone (a malformed
notification, or data Neo4j refuses: counted, logged with the reason,
appended to the dead-letter file ``graphcdm replay`` reads, acknowledged)
while the valid ones around it are applied; or requeues the whole batch,
after a back-off, when the *database* is at fault (unreachable, refusing
our credentials, rate-limiting us, TLS mismatch) -- then ``/healthz``
answers 503 and ``graphcdm_graph_write_failing`` is 1 until a batch commits
again. Nothing is acknowledged that was neither committed nor rejected for
its own fault. :mod:`graphcdm.notifications.dispatcher` says why
oslo.messaging's own dispatcher is not used.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

import prometheus_client as prom
from oslo_config import cfg

from graphcdm import redact
from graphcdm.graph import db
from graphcdm.graph.writer import GraphWriter, WriteFailed
from graphcdm.notifications import batching, bus, deadletter, envelope
from graphcdm.notifications.bus import oslo_messaging
from graphcdm.notifications.dispatcher import Dispatcher, UndecodableCounter
from graphcdm.notifications.envelope import Notification, Rejected
from graphcdm.notifications.pipeline import Counts, Pipeline
from graphcdm.notifications.stats import CachedCheck, MetricsServer, Reporter, Stats

LOG = logging.getLogger(__name__)

PRIORITIES = envelope.PRIORITIES


class _Endpoint:
    """The batch endpoint: every priority goes to :meth:`Listener.handle`."""

    def __init__(self, listener: Listener) -> None:
        for priority in PRIORITIES:
            setattr(self, priority, listener.handle)


class Listener:
    """Reads nova's notifications from the bus and applies them to the graph.

    ``writer`` and ``transport`` default to ones built from ``conf`` (and are
    then closed by :meth:`wait`); pass your own to share them (tests, demo).
    """

    def __init__(self, conf: cfg.ConfigOpts, writer: GraphWriter | None = None,
                 transport: Any = None) -> None:
        self.conf = conf
        n = conf.notifications
        self._own_driver = None
        if writer is None:
            self._own_driver = db.connect(conf)
            writer = GraphWriter(self._own_driver, conf.neo4j.database,
                                 retries=conf.neo4j.write_retries)
        self.writer = writer
        self._own_transport = transport is None
        if transport is None:
            transport = bus.notification_transport(conf)
        else:
            bus.register_opts(conf)
        self.transport = transport
        self.stats = Stats()
        self._local = threading.local()
        self._pipelines: list[Pipeline] = []
        self._plock = threading.Lock()
        self._dead_lock = threading.Lock()
        self._stopping = threading.Event()
        targets = [oslo_messaging.Target(topic=t, exchange=n.exchange) for t in n.topics]
        self._server = batching.batch_listener(
            transport, targets, Dispatcher([_Endpoint(self)], self.handle),
            policy=n.batching, batch_size=n.batch_size, batch_timeout=n.batch_timeout,
            workers=n.executor_threads, pool=n.pool or None)
        #: why the last batch could not be written (None: the last one committed)
        self._write_fault: str | None = None
        self._failing = prom.Gauge("graphcdm_graph_write_failing",
                                   "1 while batches are requeued because Neo4j cannot be "
                                   "written (unreachable, refusing credentials, TLS).",
                                   registry=self.stats.registry)
        self._undecodable = UndecodableCounter(lambda: self.stats.add("undecodable"))
        self._reporter = Reporter(self.stats, conf.metrics.log_interval)
        self._metrics = MetricsServer(
            self.stats, conf.metrics.host, conf.metrics.port,
            {"neo4j": CachedCheck(self._neo4j_ok), "bus": CachedCheck(self._bus_ok),
             "writes": self._writes_ok},
            info=self._resync_info)
        self._resync: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------
    def start(self) -> None:
        """Ensure the schema, declare the queues and start consuming."""
        n = self.conf.notifications
        LOG.info("listening on %s exchange %s topics %s pool %s (%s batching, batch %d, "
                 "timeout %.2fs, %d threads)", redact.url(bus.transport_url(self.conf)),
                 n.exchange, ",".join(n.topics), n.pool or "-", n.batching, n.batch_size,
                 n.batch_timeout, n.executor_threads)
        LOG.info("writing Neo4j %s database %s", redact.url(self.conf.neo4j.uri),
                 self.conf.neo4j.database)
        self.writer.ensure_schema()
        self._metrics.start()
        self._reporter.start()
        self._undecodable.install()
        self._server.start(override_pool_size=n.executor_threads)
        self._start_resync()
        LOG.info("listener consuming")

    def stop(self) -> None:
        """Stop taking new batches; the batches in flight finish (see :meth:`wait`)."""
        self._stopping.set()
        self._server.stop()

    def wait(self) -> None:
        """Wait for in-flight batches, then release what this listener opened."""
        self._server.wait()
        if self._resync is not None:
            self._resync.join(timeout=60)
        self._reporter.stop()
        self._metrics.stop()
        self._undecodable.remove()
        LOG.info("listener stopped: %s", self.stats.log_line())
        if self._own_transport:
            self.transport.cleanup()
        if self._own_driver is not None:
            self._own_driver.close()

    @property
    def metrics_port(self) -> int:
        """The port /metrics is served on (0 when off)."""
        return self._metrics.port

    @property
    def counts(self) -> Counts:
        """applied/ignored/rejected/changes/batches summed over the worker threads."""
        total = Counts()
        with self._plock:
            pipelines = list(self._pipelines)
        for p in pipelines:
            total.add(p.counts)
        return total

    # -- the endpoint ----------------------------------------------------
    def _pipeline(self) -> Pipeline:
        """One Pipeline per executor thread: its counters are not shared."""
        pipeline = getattr(self._local, "pipeline", None)
        if pipeline is None:
            pipeline = Pipeline(self.writer,
                                max_ahead=self.conf.notifications.max_clock_ahead)
            self._local.pipeline = pipeline
            with self._plock:
                self._pipelines.append(pipeline)
        return pipeline

    def decode(self, message: dict[str, Any]) -> Notification | Rejected:
        """One endpoint message (ctxt, publisher_id, event_type, payload, metadata,
        priority); never raises."""
        try:
            metadata = message.get("metadata")
            extra = {"priority": message["priority"]} if "priority" in message else {}
            return envelope.from_endpoint(message.get("publisher_id"), message.get("event_type"),
                                          message.get("payload"),
                                          metadata if isinstance(metadata, dict) else {},
                                          self.conf.notifications.max_payload_bytes, **extra)
        except Rejected as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a bug must cost one message, not a loop
            LOG.exception("decoding raised %s (a graphcdm bug): rejected", type(exc).__name__)
            return Rejected(f"cannot decode: {type(exc).__name__}")

    def handle(self, messages: list[dict[str, Any]]) -> Any:
        """Apply one batch: HANDLED (ack) after it committed, REQUEUE for the database.

        Never raises: oslo.messaging would requeue the whole batch at once,
        and it would come straight back.
        """
        try:
            return self._handle(messages)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            LOG.exception("batch of %d failed unexpectedly; requeued", len(messages))
            return self._requeue(messages, f"{type(exc).__name__}")

    def _handle(self, messages: list[dict[str, Any]]) -> Any:
        self.stats.add("received", len(messages))
        pipeline = self._pipeline()
        items = [self.decode(m) for m in messages]
        started = time.monotonic()
        clamped = pipeline.counts.clamped
        try:
            outcomes = pipeline.apply(items)
        except WriteFailed as exc:
            return self._requeue(messages, str(exc))
        if self._write_fault is not None:
            LOG.warning("Neo4j written again after: %s", self._write_fault)
            self._write_fault = None
            self._failing.set(0)
        now = dt.datetime.now(dt.timezone.utc)
        lags = []
        for message, item, outcome in zip(messages, items, outcomes, strict=True):
            if outcome.status == "rejected":
                self._reject(message, outcome.reason)
            elif isinstance(item, Notification):
                lags.append((now - envelope.parse_timestamp(item.timestamp)).total_seconds())
        batch = Counts()
        batch.tally(outcomes)
        for status in ("applied", "ignored", "rejected"):
            self.stats.add(status, getattr(batch, status))
        self.stats.add("clamped", pipeline.counts.clamped - clamped)
        self.stats.committed(time.monotonic() - started, lags)
        return oslo_messaging.NotificationResult.HANDLED

    def _requeue(self, messages: list[dict[str, Any]], reason: str) -> Any:
        """Requeue a batch for the database's fault: alarm, back off, never ack."""
        self.stats.add("requeued", len(messages))
        self._write_fault = reason[:300]
        self._failing.set(1)
        backoff = self.conf.notifications.requeue_backoff
        LOG.error("batch of %d requeued, Neo4j cannot be written (%s); "
                  "next attempt in %.1fs", len(messages), self._write_fault, backoff)
        self._stopping.wait(backoff)  # do not spin on redeliveries
        return oslo_messaging.NotificationResult.REQUEUE

    def _writes_ok(self) -> tuple[bool, str]:
        """/healthz: false while batches are requeued for the database's fault."""
        fault = self._write_fault
        return (True, "last batch committed") if fault is None else (False, fault)

    def _reject(self, message: dict[str, Any], reason: str) -> None:
        metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
        LOG.warning("rejected notification %s %s from %s: %s",
                    str(metadata.get("message_id"))[:64], str(message.get("event_type"))[:100],
                    str(message.get("publisher_id"))[:100], reason)
        path = self.conf.notifications.dead_letter_file
        if path:
            deadletter.append(path, deadletter.record(
                message, reason, self.conf.notifications.max_payload_bytes))

    # -- health ------------------------------------------------------------
    def _neo4j_ok(self) -> tuple[bool, str]:
        self.writer.driver.verify_connectivity()
        return True, redact.url(self.conf.neo4j.uri)

    def _bus_ok(self) -> tuple[bool, str]:
        """A broker handshake (TLS as configured) and the exchange's durability."""
        if not self._own_transport and bus.transport_url(self.conf).startswith("fake:"):
            return True, "fake:// transport"
        try:
            return True, bus.probe(self.conf, timeout=3)
        except bus.BusError as exc:
            return False, str(exc)

    def _resync_info(self) -> dict[str, Any]:
        """/healthz's ``resync`` entry when ``[sync] interval`` is set (informational)."""
        interval = self.conf.sync.interval
        if interval <= 0:
            return {}
        ages = self.stats.ages()
        age = ages["last_resync_age"]
        # late: no success for two intervals (counted from start when none succeeded yet)
        since = age if age is not None else time.monotonic() - self.stats.started
        return {"resync": {"interval": interval, "last_success_age": age,
                           "last_error": ages["last_resync_error"],
                           "ok": since <= 2 * interval + 60}}

    # -- periodic resync ---------------------------------------------------
    def _start_resync(self) -> None:
        interval = self.conf.sync.interval
        if interval <= 0:
            return
        self._resync = threading.Thread(target=self._resync_loop, args=(interval,),
                                        name="graphcdm-resync", daemon=True)
        self._resync.start()

    def _resync_loop(self, interval: float) -> None:
        """Call graphcdm.sync.resync every interval."""
        from graphcdm.sync import resync

        while not self._stopping.wait(interval):
            try:
                LOG.info("periodic resync starting")
                report = resync(self.conf, self.writer)
                self.stats.resynced()
                LOG.info("periodic resync done: %s", report)
            except Exception as exc:  # noqa: BLE001 - the next interval tries again
                self.stats.resynced(db.describe(exc, self.conf))
                LOG.exception("periodic resync failed; next attempt in %ss", interval)
