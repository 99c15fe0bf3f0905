"""The listener through RabbitMQ, phase by phase, each beside the raw Neo4j ceiling.

Publishes a simulated cloud's stream (:mod:`graphcdm.sim.simulator`) with
oslo.messaging's messagingv2 driver to a real RabbitMQ, the bytes nova's
Notifier sends, from ``--publishers`` processes, and runs the real
:class:`graphcdm.notifications.listener.Listener` in this process on a pool
of its own. Phases (``--phases``):

``drain``
    ``--count`` notifications are queued first (the listener's queue is
    declared, nothing consumes), then the listener starts: its own rate
    (consume, decode, parse, commit, acknowledge), the publishers not timed.
``e2e``
    The same count published while the listener consumes: count / (last
    commit - first publish), with the publishers' own rate beside it (when
    they are the limit the figure measures them, and says so).
``latency``
    ``--rates`` notifications/s (100, 1,000, 3,000 by default) for
    ``--seconds`` each, paced; p50/p99/max of commit time minus each
    notification's timestamp (stamped at publish, as nova's Notifier
    stamps it), the achieved publish rate, and batches formed.
``scaleout``
    The drain again, by ``--scaleout`` listener processes (1,2 by default)
    on one pool, each a whole graphcdm listener (its own transport, driver
    and executor), started together once every process is connected:
    whether competing consumers add throughput when one process's
    oslo.messaging/kombu poll loop is the limit (see RESULTS.md).
``evacuation``
    A cloud of ``--evac-cloud`` nodes/instances (1,000/20,000) loaded
    first, then ``--evac-hosts`` (40) hosts fail and their instances are
    evacuated as nova sends it, both formats (``service.update`` forced
    down and disabled, ``instance.evacuate`` from nova-api, ``rebuild.end``
    and ``compute.instance.rebuild.end`` from the destination with the old
    host in the payload): seconds from the last notification published to
    the last commit, and the graph then compared with the simulator's
    expected export (a fast wrong graph would not count).

The baseline of every phase is measured in the same run, on the same rows:
the raw Neo4j ceiling (:mod:`benchmarks.baselines`: a bare ``UNWIND MERGE``
of the same notifications' rows, no graphcdm code) at the listener's batch
size for throughput, and, for latency, the floor: one such transaction per
notification, its commit time. Each phase prints the ratio.

The last line, ``RESULT {json}``, is what ``benchmarks/run.py`` reads. The
graph at --uri is EMPTIED (schema kept); pass --yes.

    .venv/bin/python benchmarks/end_to_end.py --uri bolt://127.0.0.1:7862 --yes --quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import shlex
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import neo4j
import oslo_messaging
from oslo_config import cfg
from oslo_messaging.notify.messaging import MessagingV2Driver

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import baselines  # noqa: E402
from graphcdm import conf as conf_mod  # noqa: E402
from graphcdm.graph.writer import GraphWriter  # noqa: E402
from graphcdm.notifications import envelope  # noqa: E402
from graphcdm.notifications.listener import Listener  # noqa: E402
from graphcdm.notifications.pipeline import Pipeline  # noqa: E402
from graphcdm.notifications.stats import percentile  # noqa: E402
from graphcdm.read import export  # noqa: E402
from graphcdm.sim.simulator import Simulator  # noqa: E402

PHASES = ("drain", "e2e", "latency", "scaleout", "evacuation")


def stream(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """At least ``count`` messages of a simulated cloud (mixed formats), cut to count."""
    instances = max(100, count // 6)
    ops = count
    while True:
        sim = Simulator(nodes=max(10, instances // 20), instances=instances, operations=ops,
                        fmt="mixed", seed=seed).run()
        if len(sim.messages) >= count:
            return sim.messages[:count]
        ops *= 2


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:,.1f} ms"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        oslo_messaging.set_transport_defaults("nova")
        self.transport = oslo_messaging.get_notification_transport(cfg.ConfigOpts(),
                                                                   url=args.transport_url)
        self.driver = neo4j.GraphDatabase.driver(args.uri, auth=None,
                                                 notifications_min_severity="OFF")
        self.writer = GraphWriter(self.driver, "neo4j")
        self.results: dict[str, Any] = {}

    def empty(self) -> None:
        self.writer.reset()
        self.writer.ensure_schema()

    def _conf(self, topics: dict[str, str], pool: str, batching: str) -> Any:
        return listener_conf(self._settings(topics, pool, batching))

    def _settings(self, topics: dict[str, str], pool: str, batching: str) -> dict[str, Any]:
        a = self.args
        return {"uri": a.uri, "topics": list(topics.values()), "pool": pool,
                "batching": batching, "batch_size": a.batch_size,
                "batch_timeout": a.batch_timeout, "executor_threads": a.threads,
                "transport_url": a.transport_url}

    # -- the parts every phase shares ----------------------------------------
    def publish(self, messages: list[dict[str, Any]], topics: dict[str, str], rate: float,
                restamp: bool = True) -> tuple[float, float]:
        """Publish from ``--publishers`` processes (one Python publisher is slower
        than the listener); returns wall-clock (first publish, last publish)."""
        n = max(1, self.args.publishers)
        ctx = mp.get_context("spawn")
        results: Any = ctx.Queue()
        start_at = time.time() + 4.0  # every process imported and connected by then
        procs = [ctx.Process(target=_publisher, args=(
            self.args.transport_url, topics, messages[i::n], rate / n, start_at, restamp,
            results)) for i in range(n)]
        for proc in procs:
            proc.start()
        ends = [results.get(timeout=900) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        return start_at, max(ends)

    def run_listener(self, messages: list[dict[str, Any]], rate: float, *,
                     prefill: bool = False, restamp: bool = True,
                     batching: str | None = None) -> dict[str, Any]:
        """One listener on a pool of its own; ``prefill``: the queue is filled
        first and only then consumed (the listener's own rate)."""
        tag = uuid.uuid4().hex[:8]
        topics = {"versioned": f"versioned_notifications_bench_{tag}",
                  "legacy": f"notifications_bench_{tag}"}
        pool = f"graphcdm-bench-{tag}"
        conf = self._conf(topics, pool, batching or self.args.batching)
        try:
            if prefill:
                declare = Listener(conf, writer=self.writer, transport=self.transport)
                declare.start()  # declares the pool's queue and bindings
                declare.stop()
                declare.wait()
                self.publish(messages, topics, 0, restamp)
            listener = Listener(conf, writer=self.writer, transport=self.transport)
            consume_start = time.time()
            listener.start()
            try:
                first, last = (consume_start, consume_start) if prefill else \
                    self.publish(messages, topics, rate, restamp)
                deadline = time.monotonic() + 900
                while True:
                    c = listener.counts
                    if c.processed >= len(messages):
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit(f"timed out: {listener.stats.log_line()}")
                    time.sleep(0.002)
                done = time.time()
            finally:
                listener.stop()
                listener.wait()
        finally:
            for queue in [pool] + [f"{t}.info" for t in topics.values()]:
                _delete_queue(self.args.transport_url, queue)
        snap = listener.stats.snapshot()
        return {"count": len(messages), "first": first, "last": last, "done": done,
                "publish_s": last - first, "total_s": done - first,
                "lags": listener.stats.lags(), "batches": snap["batches"],
                "rejected": listener.counts.rejected, "snapshot": snap}

    def ceiling(self, messages: list[dict[str, Any]], batch_size: int,
                empty: bool = True) -> dict[str, Any]:
        """The raw Neo4j ceiling for the same rows, at ``batch_size`` per transaction."""
        batches = baselines.prepare(messages, batch_size)
        if empty:
            self.empty()
        seconds, rows = baselines.neo4j_ceiling(self.driver, batches)
        if empty:
            self.empty()
        return {"seconds": seconds, "rows": rows, "rate": len(messages) / seconds}

    def floor(self, messages: list[dict[str, Any]], samples: int = 300) -> dict[str, Any]:
        """Neo4j's own commit latency: one raw transaction per notification."""
        step = max(1, len(messages) // samples)
        batches = baselines.prepare(messages[::step][:samples], 1)
        self.empty()
        lat = baselines.neo4j_latencies(self.driver, batches)
        self.empty()
        return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat)}

    # -- phases -----------------------------------------------------------------
    def drain(self, messages: list[dict[str, Any]]) -> str:
        self.empty()
        got = self.run_listener(messages, 0, prefill=True)
        ceil = self.ceiling(messages, self.args.batch_size)
        rate = got["count"] / got["total_s"]
        self.results["drain"] = {"rate": rate, "ceiling": ceil["rate"],
                                 "ratio": rate / ceil["rate"], "batches": got["batches"]}
        return (f"drain: {rate:,.0f} notifications/s consumed and committed from a "
                f"pre-filled queue ({got['count']:,} in {got['total_s']:.2f} s, "
                f"{got['batches']} batches, mean {got['count'] / max(1, got['batches']):.0f}); "
                f"raw Neo4j ceiling, same rows at batch {self.args.batch_size}: "
                f"{ceil['rate']:,.0f}/s; ratio {rate / ceil['rate']:.2f}")

    def scaleout(self, messages: list[dict[str, Any]], counts: list[int]) -> str:
        """The pre-filled drain by N listener processes on one pool, for each N."""
        rates = {}
        for n in counts:
            self.empty()
            tag = uuid.uuid4().hex[:8]
            topics = {"versioned": f"versioned_notifications_bench_{tag}",
                      "legacy": f"notifications_bench_{tag}"}
            pool = f"graphcdm-bench-{tag}"
            settings = self._settings(topics, pool, self.args.batching)
            try:
                declare = Listener(listener_conf(settings), writer=self.writer,
                                   transport=self.transport)
                declare.start()  # declares the pool's queue and bindings
                declare.stop()
                declare.wait()
                self.publish(messages, topics, 0)
                rates[n] = len(messages) / _drain_by_processes(settings, n, len(messages))
            finally:
                for queue in [pool] + [f"{t}.info" for t in topics.values()]:
                    _delete_queue(self.args.transport_url, queue)
        ceil = self.ceiling(messages, self.args.batch_size)
        base = rates[counts[0]]
        self.results["scaleout"] = {"rates": {str(n): r for n, r in rates.items()},
                                    "ceiling": ceil["rate"]}
        shown = "; ".join(f"{n} process{'es' if n > 1 else ''} {r:,.0f}/s "
                          f"(x{r / base:.2f}, ratio {r / ceil['rate']:.2f})"
                          for n, r in rates.items())
        return (f"scale-out drain of {len(messages):,} pre-filled notifications, listener "
                f"processes on one pool: {shown}; raw Neo4j ceiling, same rows at batch "
                f"{self.args.batch_size}: {ceil['rate']:,.0f}/s")

    def e2e(self, messages: list[dict[str, Any]]) -> str:
        self.empty()
        got = self.run_listener(messages, 0)
        ceil = self.ceiling(messages, self.args.batch_size)
        rate = got["count"] / got["total_s"]
        pub = got["count"] / got["publish_s"]
        limit = "the publishers are the limit" if rate >= 0.9 * pub else \
            "the listener is the limit"
        self.results["e2e"] = {"rate": rate, "publishers": pub, "ceiling": ceil["rate"],
                               "ratio": rate / ceil["rate"]}
        return (f"e2e: {rate:,.0f} notifications/s publish to commit ({got['count']:,} in "
                f"{got['total_s']:.2f} s, {got['batches']} batches); {self.args.publishers} "
                f"publishers alone {pub:,.0f}/s ({limit}); raw Neo4j ceiling, same rows: "
                f"{ceil['rate']:,.0f}/s; ratio {rate / ceil['rate']:.2f}")

    def latency(self, messages: list[dict[str, Any]], rate: float,
                batching: str | None = None) -> str:
        self.empty()
        policy = batching or self.args.batching
        got = self.run_listener(messages, rate, batching=policy)
        lags = got["lags"]
        floor = self.floor(messages)
        p50, p99 = percentile(lags, 50), percentile(lags, 99)
        key = f"latency_{rate:.0f}" + ("" if policy == self.args.batching else f"_{policy}")
        self.results[key] = {"rate": rate, "achieved": got["count"] / got["publish_s"],
                             "p50": p50, "p99": p99, "max": max(lags) if lags else None,
                             "floor_p50": floor["p50"], "floor_p99": floor["p99"],
                             "batching": policy, "batches": got["batches"]}
        return (f"latency at {rate:,.0f}/s for {self.args.seconds:.0f} s, {policy} batching "
                f"({got['count']:,} notifications, achieved "
                f"{got['count'] / got['publish_s']:,.0f}/s, {got['batches']} batches, mean "
                f"{got['count'] / max(1, got['batches']):.1f}): event-to-commit "
                f"p50 {ms(p50)} p99 {ms(p99)} max {ms(max(lags) if lags else None)}; batch "
                f"commit p50 {ms(got['snapshot']['commit_p50'])} p99 "
                f"{ms(got['snapshot']['commit_p99'])}; raw Neo4j floor (one bare transaction "
                f"per notification, {floor['n']} of the same rows) p50 {ms(floor['p50'])} p99 "
                f"{ms(floor['p99'])}; ratio p50 {p50 / floor['p50']:.1f}x, p99 "
                f"{p99 / floor['p99']:.1f}x")

    def evacuation(self) -> str:
        nodes, instances = self.args.evac_cloud
        sim = Simulator(nodes=nodes, instances=instances, operations=0, fmt="both", seed=5)
        boot = sim.run().messages
        failed, evac = sim.fail_hosts(self.args.evac_hosts)
        expected = sim.expected()
        self.empty()
        t0 = time.perf_counter()
        pipeline = Pipeline(self.writer)
        for i in range(0, len(boot), 5000):
            pipeline.apply([envelope.from_message(m) for m in boot[i:i + 5000]])
        load_s = time.perf_counter() - t0
        got = self.run_listener(evac, 0, restamp=False)
        converged = got["done"] - got["last"]
        equal = export.export(self.writer) == expected
        # the ceiling: the same rows on the same loaded graph (it re-writes what
        # the listener wrote: the same MERGEs, edges deleted and re-created)
        ceil = self.ceiling(evac, self.args.batch_size, empty=False)
        total = got["done"] - got["first"]
        self.results["evacuation"] = {"converged_s": converged, "total_s": total,
                                      "publish_s": got["publish_s"], "equal": equal,
                                      "ceiling_s": ceil["seconds"],
                                      "ratio": ceil["seconds"] / total,
                                      "notifications": len(evac)}
        return (f"evacuation: cloud {nodes:,} nodes / {instances:,} instances (loaded in "
                f"{load_s:.1f} s), {len(failed)} hosts fail, {sim.counts.get('evacuated', 0):,} "
                f"instances evacuated, {len(evac):,} notifications (both formats) published in "
                f"{got['publish_s']:.2f} s by {self.args.publishers} publishers; converged "
                f"{converged:.2f} s after the last notification published ({total:.2f} s from "
                f"the first, {got['batches']} batches); graph equal to the expected export: "
                f"{'yes' if equal else 'NO'}; raw Neo4j ceiling, same rows on the same graph: "
                f"{ceil['seconds']:.2f} s; ratio (ceiling / first publish to converged) "
                f"{ceil['seconds'] / total:.2f}")


def _publisher(url: str, topics: dict[str, str], messages: list[dict[str, Any]],
               rate: float, start_at: float, restamp: bool, results: Any) -> None:
    """A publisher process: the messagingv2 driver, stamped at publish time as
    nova's Notifier stamps (unless ``restamp`` is off); paced at ``rate``/s
    (0 = as fast as it can)."""
    oslo_messaging.set_transport_defaults("nova")
    transport = oslo_messaging.get_notification_transport(cfg.ConfigOpts(), url=url)
    drivers = {k: MessagingV2Driver(transport.conf, topics=[t], transport=transport)
               for k, t in topics.items()}
    time.sleep(max(0.0, start_at - time.time()))
    # paced from this process's own start: a publisher that started late (spawn
    # and imports on a busy machine) must not burst to catch up, which would
    # measure a backlog instead of the steady rate
    begin = time.time()
    for n, msg in enumerate(messages, 1):
        kind = "legacy" if msg["event_type"].startswith("compute.") else "versioned"
        body = dict(msg, timestamp=str(dt.datetime.now(dt.UTC).replace(tzinfo=None))) \
            if restamp else msg
        drivers[kind].notify({}, body, "info", None)
        if rate:
            ahead = begin + n / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
    results.put(time.time())
    transport.cleanup()


def listener_conf(settings: dict[str, Any]) -> Any:
    """graphcdm's configuration for one benchmark listener (no metrics, no resync)."""
    conf = conf_mod.load([])
    conf.set_override("uri", settings["uri"], group="neo4j")
    for key, value in settings.items():
        if key != "uri":
            conf.set_override(key, value, group="notifications")
    conf.set_override("exchange", "nova", group="notifications")
    conf.set_override("port", 0, group="metrics")
    conf.set_override("log_interval", 0, group="metrics")
    conf.set_override("interval", 0, group="sync")
    return conf


def _drain_by_processes(settings: dict[str, Any], n: int, total: int) -> float:
    """Seconds for ``n`` listener processes on one pool to process ``total``
    queued notifications, from the moment all of them start consuming."""
    ctx = mp.get_context("spawn")
    ready, go, stop = ctx.Barrier(n + 1), ctx.Event(), ctx.Event()
    processed = [ctx.Value("q", 0) for _ in range(n)]
    procs = [ctx.Process(target=_listener_process, args=(settings, ready, go, stop, c))
             for c in processed]
    for proc in procs:
        proc.start()
    try:
        ready.wait(timeout=120)  # every process imported, its driver connected
        start = time.time()
        go.set()
        deadline = time.monotonic() + 900
        while sum(c.value for c in processed) < total:
            if time.monotonic() > deadline or not any(p.is_alive() for p in procs):
                raise SystemExit(f"scale-out drain stopped at "
                                 f"{sum(c.value for c in processed):,} of {total:,}")
            time.sleep(0.002)
        return time.time() - start
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=60)


def _listener_process(settings: dict[str, Any], ready: Any, go: Any, stop: Any,
                      processed: Any) -> None:
    """One whole listener (own transport, driver, executor) until ``stop``."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    driver = neo4j.GraphDatabase.driver(settings["uri"], auth=None,
                                        notifications_min_severity="OFF")
    driver.verify_connectivity()
    listener = Listener(listener_conf(settings), writer=GraphWriter(driver, "neo4j"))
    ready.wait(timeout=120)
    go.wait(timeout=120)
    listener.start()
    try:
        while not stop.wait(0.005):
            processed.value = listener.counts.processed
    finally:
        listener.stop()
        listener.wait()
        driver.close()


def _delete_queue(url: str, name: str) -> None:
    import kombu

    amqp = url.replace("rabbit://", "amqp://", 1)
    try:
        with kombu.Connection(amqp, connect_timeout=5) as conn:
            conn.default_channel.queue_delete(name)
    except Exception as exc:  # noqa: BLE001 - leftover queue: say so, do not fail
        print(f"(could not delete queue {name}: {exc})", file=sys.stderr)


def _pair(text: str) -> tuple[int, int]:
    a, _, b = text.partition("/")
    return int(a), int(b)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--uri", required=True, help="Neo4j Bolt URI (its graph is EMPTIED)")
    p.add_argument("--transport-url",
                   default=os.environ.get("GRAPHCDM_TRANSPORT_URL",
                                          "rabbit://guest:guest@127.0.0.1:5672/"))
    p.add_argument("--phases", default=",".join(PHASES), help=f"among {', '.join(PHASES)}")
    p.add_argument("--count", type=int, default=20000, help="notifications, drain and e2e")
    p.add_argument("--rates", default="100,1000,3000", help="notifications/s, latency phases")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each latency phase")
    p.add_argument("--compare-timeout", action="store_true",
                   help="also run the 1,000/s latency phase with oslo.messaging's own "
                        "batching (batching = timeout) for comparison")
    p.add_argument("--evac-cloud", type=_pair, default=(1000, 20000), metavar="NODES/INSTANCES")
    p.add_argument("--evac-hosts", type=int, default=40, help="hosts failing, evacuation")
    p.add_argument("--batching", default="group", choices=("group", "timeout"))
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--batch-timeout", type=float, default=0.2)
    p.add_argument("--publishers", type=int, default=3, help="publisher processes")
    p.add_argument("--threads", type=int, default=1, help="listener executor threads")
    p.add_argument("--scaleout", default="1,2",
                   help="listener processes on one pool, scaleout phase [1,2]")
    p.add_argument("--quick", action="store_true",
                   help="development sizes: 5,000 notifications, 4 s per rate, a 200/4,000 "
                        "cloud with 8 hosts failing")
    p.add_argument("--yes", action="store_true", help="agree that the graph is emptied")
    args = p.parse_args(argv)
    if not args.yes:
        p.error(f"this empties the graph at {args.uri}; pass --yes")
    if args.quick:
        args.count, args.seconds = min(args.count, 5000), min(args.seconds, 4.0)
        args.evac_cloud, args.evac_hosts = (200, 4000), min(args.evac_hosts, 8)
    phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    if set(phases) - set(PHASES):
        p.error(f"unknown phases: {', '.join(sorted(set(phases) - set(PHASES)))}")
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    print("command:", shlex.join(["benchmarks/end_to_end.py", *(argv or sys.argv[1:])]))
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # deadlock retries of concurrent batches
    bench = Bench(args)
    steady = int(max(rates, default=0) * args.seconds)
    messages = stream(max(args.count, steady))
    try:
        if "drain" in phases:
            print(bench.drain(messages[:args.count]), flush=True)
        if "e2e" in phases:
            print(bench.e2e(messages[:args.count]), flush=True)
        if "latency" in phases:
            for rate in rates:
                print(bench.latency(messages[:int(rate * args.seconds)], rate), flush=True)
            if args.compare_timeout:
                other = "timeout" if args.batching == "group" else "group"
                print(bench.latency(messages[:int(1000 * args.seconds)], 1000, other),
                      flush=True)
        if "scaleout" in phases:
            counts = [int(n) for n in args.scaleout.split(",") if n.strip()]
            print(bench.scaleout(messages[:args.count], counts), flush=True)
        if "evacuation" in phases:
            print(bench.evacuation(), flush=True)
    finally:
        bench.transport.cleanup()
        bench.driver.close()
    print(f"note: one shared {os.cpu_count()}-CPU machine (RabbitMQ, Neo4j, publishers and "
          "listener together, other work running); figures are indicative")
    print("RESULT " + json.dumps(bench.results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
