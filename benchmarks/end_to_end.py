"""End to end through RabbitMQ: notifications/s from publish to commit, and
event-to-commit latency at a steady rate.

Publishes a simulated cloud's stream (:mod:`graphcdm.sim.simulator`) through
oslo.messaging's messagingv2 driver to a real RabbitMQ, exactly the bytes
nova's Notifier sends (each message stamped with the time it is published,
as the Notifier does), and runs the real :class:`graphcdm.notifications.listener.Listener`
in this process on a pool of its own. Two phases:

1. throughput: ``--count`` notifications published as fast as
   ``--publishers`` processes can, consumed at the same time; the rate is
   count / (last commit - first publish). The publishers' own rate is
   printed too (it may be the limit).
2. drain: the same notifications published to the queue first, then
   consumed: the listener's own rate (consume, decode, parse, commit).
3. latency: ``--rate`` notifications/s for ``--seconds``; p50/p99/max of
   commit time minus each notification's timestamp, from the listener's
   own figures.

With several publishers the stream is dealt round robin, so per-entity
order is not the simulator's: the graph is not compared here (the
functional tests do that); the cost of applying is the same.

The graph of the target database is EMPTIED first (schema kept); pass --yes.

    .venv/bin/python benchmarks/end_to_end.py --uri bolt://127.0.0.1:7711 --yes
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import multiprocessing as mp
import shlex
import sys
import time
import uuid
from typing import Any

import neo4j
import oslo_messaging
from oslo_config import cfg
from oslo_messaging.notify.messaging import MessagingV2Driver

from graphcdm import conf as conf_mod
from graphcdm.graph.writer import GraphWriter
from graphcdm.notifications.listener import Listener
from graphcdm.notifications.stats import percentile
from graphcdm.sim.simulator import Simulator


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


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        oslo_messaging.set_transport_defaults("nova")
        self.transport = oslo_messaging.get_notification_transport(cfg.ConfigOpts(),
                                                                   url=args.transport_url)
        self.driver = neo4j.GraphDatabase.driver(args.uri, auth=None,
                                                 notifications_min_severity="OFF")
        self.writer = GraphWriter(self.driver, "neo4j")

    def _conf(self, topics: dict[str, str], pool: str) -> Any:
        conf = conf_mod.load([])
        conf.set_override("uri", self.args.uri, group="neo4j")
        for key, value in {"topics": list(topics.values()), "pool": pool, "exchange": "nova",
                           "batch_size": self.args.batch_size,
                           "batch_timeout": self.args.batch_timeout,
                           "executor_threads": self.args.threads,
                           "transport_url": self.args.transport_url}.items():
            conf.set_override(key, value, group="notifications")
        conf.set_override("port", 0, group="metrics")
        conf.set_override("log_interval", 0, group="metrics")
        return conf

    def publish(self, messages: list[dict[str, Any]], topics: dict[str, str],
                rate: float) -> tuple[float, float]:
        """Publish from ``--publishers`` processes (one Python publisher cannot keep
        up with the listener); returns wall-clock (first publish, last publish)."""
        n = max(1, self.args.publishers)
        ctx = mp.get_context("spawn")
        results: Any = ctx.Queue()
        start_at = time.time() + 4.0  # every process imported and connected by then
        procs = [ctx.Process(target=_publisher, args=(
            self.args.transport_url, topics, messages[i::n], rate / n, start_at, results))
            for i in range(n)]
        for proc in procs:
            proc.start()
        ends = [results.get(timeout=900) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        return start_at, max(ends)

    def run_phase(self, messages: list[dict[str, Any]], rate: float,
                  prefill: bool = False) -> dict[str, Any]:
        """One listener on a pool of its own; ``prefill``: the queue is filled
        first and only then consumed (the listener's own rate)."""
        tag = uuid.uuid4().hex[:8]
        topics = {"versioned": f"versioned_notifications_bench_{tag}",
                  "legacy": f"notifications_bench_{tag}"}
        pool = f"graphcdm-bench-{tag}"
        conf = self._conf(topics, pool)
        try:
            if prefill:
                declare = Listener(conf, writer=self.writer, transport=self.transport)
                declare.start()  # declares the pool's queue and bindings
                declare.stop()
                declare.wait()
                self.publish(messages, topics, 0)
            listener = Listener(conf, writer=self.writer, transport=self.transport)
            consume_start = time.time()
            listener.start()
            try:
                first, last = (consume_start, consume_start) if prefill else \
                    self.publish(messages, topics, rate)
                deadline = time.monotonic() + 900
                while True:
                    c = listener.counts
                    if c.processed >= len(messages):
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit(f"timed out: {listener.stats.log_line()}")
                    time.sleep(0.01)
                done = time.time()
            finally:
                listener.stop()
                listener.wait()
        finally:
            for queue in [pool] + [f"{t}.info" for t in topics.values()]:
                _delete_queue(self.args.transport_url, queue)
        return {"count": len(messages), "publish_s": last - first, "total_s": done - first,
                "lags": listener.stats.lags(), "batches": listener.stats.snapshot()["batches"],
                "snapshot": listener.stats.snapshot()}


def _publisher(url: str, topics: dict[str, str], messages: list[dict[str, Any]],
               rate: float, start_at: float, results: Any) -> None:
    """A publisher process: the messagingv2 driver, stamped at publish time as
    nova's Notifier stamps; paced at ``rate``/s (0 = as fast as it can)."""
    oslo_messaging.set_transport_defaults("nova")
    transport = oslo_messaging.get_notification_transport(cfg.ConfigOpts(), url=url)
    drivers = {k: MessagingV2Driver(transport.conf, topics=[t], transport=transport)
               for k, t in topics.items()}
    time.sleep(max(0.0, start_at - time.time()))
    for n, msg in enumerate(messages, 1):
        kind = "legacy" if msg["event_type"].startswith("compute.") else "versioned"
        body = dict(msg, timestamp=str(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        drivers[kind].notify({}, body, "info", None)
        if rate:
            ahead = start_at + n / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
    results.put(time.time())
    transport.cleanup()


def _delete_queue(url: str, name: str) -> None:
    import kombu

    amqp = url.replace("rabbit://", "amqp://", 1)
    try:
        with kombu.Connection(amqp, connect_timeout=5) as conn:
            conn.default_channel.queue_delete(name)
    except Exception as exc:  # noqa: BLE001 - leftover queue: say so, do not fail
        print(f"(could not delete queue {name}: {exc})", file=sys.stderr)


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:,.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--uri", default="bolt://127.0.0.1:7687", help="Neo4j Bolt URI (EMPTIED)")
    p.add_argument("--transport-url", default="rabbit://guest:guest@127.0.0.1:5672/")
    p.add_argument("--count", type=int, default=20000, help="notifications, throughput phase")
    p.add_argument("--rate", type=float, default=1000.0, help="notifications/s, latency phase")
    p.add_argument("--seconds", type=float, default=15.0, help="length of the latency phase")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--batch-timeout", type=float, default=0.2)
    p.add_argument("--publishers", type=int, default=2, help="publisher processes")
    p.add_argument("--threads", type=int, default=1, help="listener executor threads")
    p.add_argument("--yes", action="store_true", help="agree that the graph is emptied")
    args = p.parse_args(argv)
    if not args.yes:
        p.error(f"this empties the graph at {args.uri}; pass --yes")
    print("command:", shlex.join([sys.executable, *sys.argv]))
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # deadlock retries of concurrent batches
    bench = Bench(args)
    bench.writer.reset()
    bench.writer.ensure_schema()
    steady = int(args.rate * args.seconds)
    messages = stream(args.count + steady)
    try:
        one = bench.run_phase(messages[:args.count], rate=0)
        print(f"throughput: {one['count'] / one['total_s']:,.0f} notifications/s publish to "
              f"commit ({one['count']:,} in {one['total_s']:.2f} s, {one['batches']} batches; "
              f"{args.publishers} publishers alone {one['count'] / one['publish_s']:,.0f}/s)")
        bench.writer.reset()  # the same stream again: not a stream of no-op duplicates
        drain = bench.run_phase(messages[:args.count], rate=0, prefill=True)
        print(f"drain: {drain['count'] / drain['total_s']:,.0f} notifications/s consumed and "
              f"committed from a pre-filled queue ({drain['count']:,} in "
              f"{drain['total_s']:.2f} s, {drain['batches']} batches)")
        two = bench.run_phase(messages[args.count:], rate=args.rate)
        lags = two["lags"]
        print(f"latency at {args.rate:,.0f}/s for {args.seconds:.0f} s "
              f"({two['count']:,} notifications, achieved "
              f"{two['count'] / two['publish_s']:,.0f}/s): event-to-commit "
              f"p50 {ms(percentile(lags, 50))} p99 {ms(percentile(lags, 99))} "
              f"max {ms(max(lags) if lags else None)}; batch commit p50 "
              f"{ms(two['snapshot']['commit_p50'])} p99 {ms(two['snapshot']['commit_p99'])} "
              f"over {two['batches']} batches")
    finally:
        bench.transport.cleanup()
        bench.driver.close()
    print("note: one shared 2-core machine (RabbitMQ, Neo4j, publisher and listener "
          "together, other work running); figures are indicative")
    return 0


if __name__ == "__main__":
    sys.exit(main())
