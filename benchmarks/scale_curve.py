"""Scale curve: apply throughput and query latency as the cloud grows.

For each size (instances; compute nodes = instances / 20, at least 10), a
seeded simulated cloud (versioned notifications, boot plus instances/4
operations, no ``*.start`` noise) is replayed through graphcdm's Pipeline
at batch 1,000 into an emptied graph, then its rows through the raw Neo4j
ceiling; Watcher 17's in-memory handler gets the same stream, time-boxed
(its cost per notification grows with the model, see RESULTS.md). On the
graph graphcdm built, compute nodes get capacities (a fixture: what the
resync would set), and the whole-cloud ``free_resources`` and
``used_resources`` queries are timed (p50 of 7 after 2 warm-ups).

Plots both curves to benchmarks/scale_curve.png (matplotlib) and prints a
table.

    .venv/bin/python benchmarks/scale_curve.py --uri bolt://127.0.0.1:7751 --yes
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import apply, baselines  # noqa: E402
from graphcdm.graph.writer import GraphWriter  # noqa: E402
from graphcdm.read.query import GraphQuery  # noqa: E402
from graphcdm.sim import simulator  # noqa: E402

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
PNG = Path(__file__).resolve().parent / "scale_curve.png"

# Fixture, like query_latency's loader: the capacities a resync would set.
CAPACITIES = """
MATCH (c:ComputeNode)
SET c.vcpus = 64, c.vcpu_reserved = 2, c.vcpu_ratio = 4.0, c.memory_mb = 262144,
    c.memory_mb_reserved = 4096, c.memory_ratio = 1.0, c.disk_gb = 2000,
    c.disk_gb_reserved = 50, c.disk_ratio = 1.0
"""


def timed_query(writer: GraphWriter, name: str, reps: int = 7) -> float:
    for _ in range(2):
        GraphQuery.of(writer).read(name)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        GraphQuery.of(writer).read(name)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(driver: neo4j.Driver, instances: int, watcher_seconds: float = 10.0,
            batch: int = 1000, log=print) -> dict[str, Any]:
    nodes = max(10, instances // 20)
    t0 = time.perf_counter()
    sim = simulator.Simulator(nodes=nodes, instances=instances, seed=1, fmt="versioned",
                              operations=instances // 4, start_events=False)
    run = sim.run()
    gen = time.perf_counter() - t0
    log(f"scale: {instances:,} instances, {nodes:,} nodes: {len(run.messages):,} "
        f"notifications (generated in {gen:.1f} s)")
    writer = GraphWriter(driver)
    apply.empty(writer)
    seconds, _ = baselines.neo4j_ceiling(driver, baselines.prepare(run.messages, batch))
    ceiling = len(run.messages) / seconds
    apply.empty(writer)
    ours = apply.graphcdm_apply(writer, run.messages, batch)
    with driver.session() as session:
        session.run(CAPACITIES).consume()
    free_ms = timed_query(writer, "queries/free_resources")
    used_ms = timed_query(writer, "queries/used_resources")
    watcher = _watcher_boxed(run.messages, sim.hosts, watcher_seconds)
    row = {"instances": instances, "nodes": nodes, "notifications": len(run.messages),
           "graphcdm": ours["rate"], "changes": ours["changes_rate"], "ceiling": ceiling,
           "ratio": ours["rate"] / ceiling, "watcher": watcher["rate"],
           "watcher_share": watcher["share"], "free_ms": free_ms, "used_ms": used_ms}
    log(f"  graphcdm {row['graphcdm']:,.0f}/s, ceiling {ceiling:,.0f}/s, Watcher "
        f"{row['watcher']:,.0f}/s; free_resources {free_ms:.1f} ms")
    return row


def _watcher_boxed(messages: list[dict[str, Any]], hosts: list[str], budget: float,
                   ) -> dict[str, float]:
    """Watcher's handler on the stream for at most ``budget`` seconds (chunks of 1,000)."""
    handler = baselines.watcher_endpoint(hosts)
    spent, done = 0.0, 0
    for i in range(0, len(messages), 1000):
        chunk = messages[i:i + 1000]
        spent = handler.feed(chunk).seconds
        done += len(chunk)
        if spent > budget:
            break
    return {"rate": done / spent if spent else 0.0, "share": done / len(messages)}


def warm_up(driver: neo4j.Driver) -> None:
    """Untimed: compile every statement once, so the first point pays no planning."""
    sim = simulator.Simulator(nodes=10, instances=300, seed=99, fmt="versioned")
    run_ = sim.run()
    writer = GraphWriter(driver)
    apply.empty(writer)
    baselines.neo4j_ceiling(driver, baselines.prepare(run_.messages, 100))
    apply.empty(writer)
    apply.graphcdm_apply(writer, run_.messages, 100)
    for name in ("queries/free_resources", "queries/used_resources"):
        GraphQuery.of(writer).read(name)


def plot(rows: list[dict[str, Any]], path: Path = PNG) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    xs = [r["instances"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    left.plot(xs, [r["ceiling"] for r in rows], "s--", color="grey",
              label="raw Neo4j ceiling (UNWIND MERGE, same rows)")
    left.plot(xs, [r["graphcdm"] for r in rows], "o-", color="tab:blue",
              label="graphcdm replay (decode+parse+write)")
    left.plot(xs, [r["watcher"] for r in rows], "^:", color="tab:red",
              label="Watcher 17 in-memory handler")
    left.set(xscale="log", yscale="log", xlabel="instances in the cloud (nodes = instances/20)",
             ylabel="notifications / s", title="Apply throughput (batch 1,000)")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    right.plot(xs, [r["free_ms"] for r in rows], "o-", color="tab:green",
               label="free_resources (whole cloud)")
    right.plot(xs, [r["used_ms"] for r in rows], "s-", color="tab:olive",
               label="used_resources (whole cloud)")
    right.axhline(100, color="grey", linestyle="--", linewidth=1, label="target 100 ms")
    right.set(xscale="log", yscale="log", xlabel="instances in the cloud",
              ylabel="p50 latency (ms)", title="Whole-cloud query latency")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(f"graphcdm scale curve ({time.strftime('%Y-%m-%d')}, "
                 f"{os.cpu_count()} CPUs, Neo4j 5.26 local)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(rows: list[dict[str, Any]], png: Path | None) -> str:
    lines = ["instances | nodes | notifications | graphcdm notif/s | ceiling notif/s | "
             "ratio | Watcher notif/s (share of stream fed) | graphcdm/Watcher | "
             "free_resources p50 ms | used_resources p50 ms",
             "---|---|---|---|---|---|---|---|---|---"]
    for r in rows:
        lines.append(
            f"{r['instances']:,} | {r['nodes']:,} | {r['notifications']:,} | "
            f"{r['graphcdm']:,.0f} | {r['ceiling']:,.0f} | {r['ratio']:.2f} | "
            f"{r['watcher']:,.0f} ({r['watcher_share']:.0%}) | "
            f"{r['graphcdm'] / r['watcher']:.1f} | {r['free_ms']:.1f} | {r['used_ms']:.1f}")
    lines.append("")
    lines.append(f"plot: {png.name if png else 'not available (matplotlib not installed)'}")
    return "\n".join(lines) + "\n"


def run(driver: neo4j.Driver, sizes: tuple[int, ...] = SIZES, log=print,
        png: Path = PNG) -> tuple[list[dict[str, Any]], Path | None]:
    warm_up(driver)
    rows = [measure(driver, size, log=log) for size in sizes]
    apply.empty(GraphWriter(driver))
    return rows, plot(rows, png)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", default=os.environ.get("GRAPHCDM_NEO4J_URI",
                                                        "bolt://127.0.0.1:7687"))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="instances per point, comma-separated")
    parser.add_argument("--png", type=Path, default=PNG)
    parser.add_argument("--yes", action="store_true", help="Really empty the graph at --uri.")
    args = parser.parse_args(argv)
    if not args.yes:
        parser.error("this empties the graph at --uri; pass --yes")
    driver = neo4j.GraphDatabase.driver(args.uri, auth=None, notifications_min_severity="OFF")
    try:
        rows, png = run(driver, tuple(int(s) for s in args.sizes.split(",")), png=args.png)
    finally:
        driver.close()
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    print(report(rows, png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
