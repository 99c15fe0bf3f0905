"""Replay throughput: notifications/s and changes/s committed to a real Neo4j.

Generates a nova-shaped stream with :mod:`graphcdm.sim.emitter` (creates, state
changes, live migrations, resizes, evacuations, shelve offloads, deletes and
service updates over a cloud of hosts, both formats), then applies it
through :class:`graphcdm.notifications.pipeline.Pipeline` (decode -> parse -> write, the
path of ``graphcdm replay`` and the listener) in batches, and prints the
rates and the command line that produced them. Generation is not timed.

    .venv/bin/python benchmarks/replay_throughput.py --uri bolt://127.0.0.1:7711 \\
        --count 100000 --batch-size 1000

The graph of the target database is emptied first (schema kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shlex
import sys
import time
from typing import Any

import neo4j

from graphcdm.graph.writer import GraphWriter
from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from graphcdm.sim.emitter import Flavor, Instance

FLAVORS = [Flavor("m1.small", "2", 1, 2048, 20), Flavor("m1.medium", "3", 2, 4096, 40),
           Flavor("m1.large", "4", 4, 8192, 80)]


def generate(count: int, hosts: int, seed: int = 1) -> list[dict[str, Any]]:
    """A plausible stream of ``count`` notifications in emitter-time order."""
    rng = random.Random(seed)
    clock = emitter.Clock(start=dt.datetime(2026, 11, 25), step=dt.timedelta(milliseconds=1))
    names = [f"cmp{h:04d}" for h in range(hosts)]
    live: dict[str, Instance] = {}
    out: list[dict[str, Any]] = []
    n = 0

    def event(kind: str, inst: Instance, **kw: Any) -> None:
        legacy = rng.random() < 0.3 and kind in LEGACY
        out.append(emitter.instance_event(LEGACY[kind] if legacy else kind, inst,
                                          timestamp=clock(), **kw))

    while len(out) < count:
        roll = rng.random()
        if roll < 0.2 or len(live) < 50:
            host = rng.choice(names)
            n += 1
            inst = Instance(f"{n:08d}-0000-4000-8000-{rng.getrandbits(48):012x}", host,
                            f"{host}.node", name=f"vm{n}", flavor=rng.choice(FLAVORS),
                            project_id=f"project{rng.randrange(50)}")
            live[inst.uuid] = inst
            event("instance.create.end", inst)
            continue
        inst = live[rng.choice(list(live))]
        if roll < 0.55:
            kind, state = rng.choice([("instance.update", "active"),
                                      ("instance.power_off.end", "stopped"),
                                      ("instance.power_on.end", "active"),
                                      ("instance.pause.end", "paused"),
                                      ("instance.unpause.end", "active")])
            live[inst.uuid] = inst = inst.replace(state=state)
            event(kind, inst)
        elif roll < 0.7 and inst.host:
            dest = rng.choice(names)
            moved = inst.replace(host=dest, node=f"{dest}.node")
            event("instance.live_migration_post_dest.end", moved)
            event("instance.live_migration_post.end", inst, publisher_host=inst.host)
            live[inst.uuid] = moved
        elif roll < 0.78 and inst.host:
            dest = rng.choice(names)
            resized = inst.replace(host=dest, node=f"{dest}.node", flavor=rng.choice(FLAVORS))
            event("instance.resize_finish.end", resized)
            event("instance.resize_confirm.end", resized, publisher_host=inst.host)
            live[inst.uuid] = resized
        elif roll < 0.82 and inst.host:
            dest = rng.choice(names)
            event("instance.rebuild.end", inst, publisher_host=dest)  # evacuation
            live[inst.uuid] = inst.replace(host=dest, node=f"{dest}.node")
        elif roll < 0.85 and inst.host:
            off = inst.replace(host=None, node=None, state="shelved_offloaded")
            event("instance.shelve_offload.end", off, publisher_host=inst.host)
            live[inst.uuid] = off
        elif roll < 0.9 and not inst.host:
            dest = rng.choice(names)
            back = inst.replace(host=dest, node=f"{dest}.node", state="active")
            event("instance.unshelve.end", back)
            live[inst.uuid] = back
        elif roll < 0.97:
            event("instance.delete.end", inst.replace(state="deleted"),
                  publisher_host=inst.host or "api")
            del live[inst.uuid]
        else:
            disabled = rng.random() < 0.5
            out.append(emitter.service_event(
                "service.update", rng.choice(names), timestamp=clock(), disabled=disabled,
                disabled_reason="maintenance" if disabled else None))
    return out[:count]


LEGACY = {
    "instance.create.end": "compute.instance.create.end",
    "instance.update": "compute.instance.update",
    "instance.power_off.end": "compute.instance.power_off.end",
    "instance.power_on.end": "compute.instance.power_on.end",
    "instance.live_migration_post_dest.end": "compute.instance.live_migration.post.dest.end",
    "instance.resize_confirm.end": "compute.instance.resize.confirm.end",
    "instance.rebuild.end": "compute.instance.rebuild.end",
    "instance.delete.end": "compute.instance.delete.end",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", default="bolt://127.0.0.1:7687", help="Neo4j Bolt URI")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="", help="empty = no authentication")
    parser.add_argument("--database", default="neo4j")
    parser.add_argument("--count", type=int, default=100_000, help="notifications")
    parser.add_argument("--hosts", type=int, default=200, help="compute hosts")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="notifications per transaction (replay's default)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    messages = generate(args.count, args.hosts, args.seed)
    gen_s = time.perf_counter() - t0
    print(f"generated {len(messages)} notifications in {gen_s:.1f}s", flush=True)

    driver = neo4j.GraphDatabase.driver(args.uri, auth=(args.user, args.password)
                                        if args.password else None,
                                        notifications_min_severity="OFF")
    try:
        writer = GraphWriter(driver, args.database)
        writer.reset()
        writer.ensure_schema()
        pipeline = Pipeline(writer)
        start = time.perf_counter()
        for i in range(0, len(messages), args.batch_size):
            pipeline.apply([envelope.from_message(m)
                            for m in messages[i:i + args.batch_size]])
        elapsed = time.perf_counter() - start
        data = export.export(writer)
    finally:
        driver.close()
    c = pipeline.counts
    print(f"applied {c.applied}, ignored {c.ignored}, rejected {c.rejected}; "
          f"{c.changes} changes in {c.batches} transactions, {elapsed:.1f}s")
    print(f"graph: {len(data['compute_nodes'])} compute nodes, "
          f"{len(data['instances'])} instances")
    print(f"throughput: {len(messages) / elapsed:,.0f} notifications/s, "
          f"{c.changes / elapsed:,.0f} changes/s committed "
          f"(batch {args.batch_size}, decode+parse+write)")
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    return 0 if c.rejected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
