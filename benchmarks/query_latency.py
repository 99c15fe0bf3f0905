"""Latency of the read side on a synthetic cloud, next to Watcher's in-memory model.

Loads N compute nodes and M instances (defaults: 1,000 and 20,000) with
Cypher ``UNWIND`` batches into an *emptied* graph, then times, over several
repetitions:

- ``used_resources``: the whole-cloud used-resources query (one query);
- ``free_resources``: the whole-cloud free-resources query (one query);
- ``to_watcher_model``: a Watcher ``ModelRoot`` built from the graph (one query);
- ``watcher_used_all``: Watcher's own ``get_node_used_resources`` over every
  node of that model, with its per-node cache emptied before each repetition
  (the first call per node is what an audit pays);
- ``watcher_free_all``: the same for ``get_node_free_resources``.

Prints p50/p95/min in milliseconds and the command line. Speed is measured
here, never asserted in tests.

    .venv/bin/python benchmarks/query_latency.py --uri bolt://127.0.0.1:7741 --yes
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import neo4j

from graphcdm.read.query import GraphQuery

# The loader is a fixture, like the tests' plain-Cypher graphs: it writes a
# known shape directly, bypassing the writer's version rules on purpose.
LOAD_NODES = """
UNWIND $rows AS row
CREATE (c:ComputeNode) SET c = row
"""
LOAD_INSTANCES = """
UNWIND $rows AS row
CREATE (i:Instance) SET i = row.props
WITH i, row WHERE row.node IS NOT NULL
MATCH (c:ComputeNode {hypervisor_hostname: row.node})
CREATE (i)-[:HOSTED_ON]->(c)
"""
SCHEMA = [
    "CREATE CONSTRAINT instance_uuid IF NOT EXISTS FOR (i:Instance) REQUIRE i.uuid IS UNIQUE",
    "CREATE CONSTRAINT compute_node_hypervisor_hostname IF NOT EXISTS "
    "FOR (c:ComputeNode) REQUIRE c.hypervisor_hostname IS UNIQUE",
    "CREATE CONSTRAINT compute_node_uuid IF NOT EXISTS "
    "FOR (c:ComputeNode) REQUIRE c.uuid IS UNIQUE",
    "CREATE INDEX compute_node_hostname IF NOT EXISTS FOR (c:ComputeNode) ON (c.hostname)",
]


def synthetic(nodes: int, instances: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """A cloud: 1% placeholder nodes, 5% unmapped instances, mixed states and flavors."""
    rnd = random.Random(seed)
    node_rows = []
    for n in range(nodes):
        name = f"compute-{n:05d}"
        if n % 100 == 99:
            node_rows.append({"hostname": name, "hypervisor_hostname": name,
                              "placeholder": True})
            continue
        node_rows.append({
            "uuid": f"00000000-0000-4000-8000-{n:012d}", "hostname": name,
            "hypervisor_hostname": f"{name}.example.org", "state": "up",
            "status": "disabled" if n % 50 == 0 else "enabled", "placeholder": False,
            "vcpus": rnd.choice([32, 64, 96]), "vcpu_reserved": 2, "vcpu_ratio": 4.0,
            "memory_mb": rnd.choice([262144, 524288]), "memory_mb_reserved": 4096,
            "memory_ratio": 1.0, "disk_gb": 2000, "disk_gb_reserved": 50, "disk_ratio": 1.0,
            "availability_zone": f"az{n % 3}"})
    targets = [r["hypervisor_hostname"] for r in node_rows]
    flavors = [(1, 2048, 20), (2, 4096, 40), (4, 8192, 80), (8, 16384, 160)]
    instance_rows = []
    for i in range(instances):
        vcpus, mem, disk = rnd.choice(flavors)
        node = None if rnd.random() < 0.05 else rnd.choice(targets)
        instance_rows.append({"node": node, "props": {
            "uuid": f"10000000-0000-4000-8000-{i:012d}", "name": f"vm-{i}",
            "state": rnd.choice(["active"] * 8 + ["stopped", "error"]),
            "vcpus": vcpus, "memory_mb": mem, "disk_gb": disk,
            "project_id": f"project-{i % 97}", "metadata": '{"app": "bench"}',
            "created_at": "2026-01-01T00:00:00Z", "host": node, "node": node}})
    return node_rows, instance_rows


def load(driver: neo4j.Driver, nodes: list[dict], instances: list[dict], batch: int = 5000
         ) -> None:
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                    ).consume()
        for statement in SCHEMA:
            session.run(statement).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
        for statement, rows in ((LOAD_NODES, nodes), (LOAD_INSTANCES, instances)):
            for start in range(0, len(rows), batch):
                chunk = rows[start:start + batch]
                session.execute_write(lambda tx, c=chunk, s=statement: tx.run(s, rows=c).consume())


def timed(fn: Callable[[], Any], reps: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def summary(name: str, ms: list[float]) -> str:
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"{name:22} p50 {p50:9.1f} ms   p95 {p95:9.1f} ms   min {min(ms):9.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", default=os.environ.get("GRAPHCDM_NEO4J_URI",
                                                        "bolt://127.0.0.1:7687"))
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--yes", action="store_true",
                        help="Really empty the graph at --uri before loading.")
    args = parser.parse_args(argv)
    if not args.yes:
        parser.error("this empties the graph at --uri; pass --yes")

    driver = neo4j.GraphDatabase.driver(args.uri, auth=None, notifications_min_severity="OFF")
    try:
        t0 = time.perf_counter()
        nodes, instances = synthetic(args.nodes, args.instances)
        load(driver, nodes, instances)
        load_s = time.perf_counter() - t0
        q = GraphQuery(driver)
        used = q.used_resources_all()
        model = q.to_watcher_model()
        watcher_nodes = list(model.get_all_compute_nodes().values())

        def watcher_used() -> None:
            model.invalidate_resource_cache()
            for node in watcher_nodes:
                model.get_node_used_resources(node)

        def watcher_free() -> None:
            model.invalidate_resource_cache()
            for node in watcher_nodes:
                model.get_node_free_resources(node)

        # Same answers, or the timing means nothing.
        for node in watcher_nodes[:50]:
            hh = next(n["hypervisor_hostname"] for n in nodes if n.get("uuid") == node.uuid)
            assert model.get_node_used_resources(node) == used[hh]

        results = [
            ("used_resources", timed(q.used_resources_all, args.reps)),
            ("free_resources", timed(q.free_resources_all, args.reps)),
            ("to_watcher_model", timed(q.to_watcher_model, args.reps)),
            ("watcher_used_all", timed(watcher_used, args.reps)),
            ("watcher_free_all", timed(watcher_free, args.reps)),
        ]
    finally:
        driver.close()

    print("command: " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    print(f"graph: {args.nodes} compute nodes ({len(watcher_nodes)} in Watcher's model, the rest "
          f"placeholders), {args.instances} instances (~5% unmapped); loaded in {load_s:.1f} s")
    print(f"host: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, neo4j driver {neo4j.__version__}; {args.reps} reps "
          f"after 2 warm-ups (the machine may be shared: figures are indicative)")
    for name, ms in results:
        print(summary(name, ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
