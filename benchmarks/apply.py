"""Apply throughput: a simulated cloud's stream replayed into Neo4j, by batch size.

For each batch size, a seeded cloud from :mod:`graphcdm.sim.simulator`
(versioned notifications, the format Watcher reads too) goes through
:class:`graphcdm.notifications.pipeline.Pipeline` (decode -> parse -> write, the path of
``graphcdm replay`` and the listener) into an emptied graph, and then the
same notifications' rows through the raw Neo4j ceiling
(:func:`benchmarks.baselines.neo4j_ceiling`) into an emptied graph, at the
same batch size. Small batches use a smaller cloud (one transaction per
notification takes long). The export is compared with the simulator's
expected one after each graphcdm run: a fast wrong answer would not count.

Also: Watcher 17's in-memory handler on the same stream (the largest
cloud), and where the time of graphcdm's path goes (decode, parse, write;
cProfile of decode+parse).

    .venv/bin/python benchmarks/apply.py --uri bolt://127.0.0.1:7751 --yes

The graph at --uri is emptied (schema kept).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import baselines  # noqa: E402
from graphcdm.graph.writer import GraphWriter  # noqa: E402
from graphcdm.notifications import envelope  # noqa: E402
from graphcdm.notifications.pipeline import Pipeline, classify  # noqa: E402
from graphcdm.read import export  # noqa: E402
from graphcdm.sim import simulator  # noqa: E402

BATCH_SIZES = (1, 10, 100, 1000, 10000)

#: batch size -> (compute nodes, instances) of the cloud it replays
CLOUDS = {1: (20, 400), 10: (50, 1500)}
DEFAULT_CLOUD = (100, 5000)


def cloud(nodes: int, instances: int, seed: int = 1) -> tuple[simulator.Simulator,
                                                              simulator.Simulation]:
    sim = simulator.Simulator(nodes=nodes, instances=instances, seed=seed, fmt="versioned")
    return sim, sim.run()


def empty(writer: GraphWriter) -> None:
    writer.reset()
    writer.ensure_schema()


def graphcdm_apply(writer: GraphWriter, messages: list[dict[str, Any]], batch_size: int,
                   ) -> dict[str, Any]:
    """Replay through the Pipeline (timed: decode, parse, write)."""
    pipeline = Pipeline(writer)
    start = time.perf_counter()
    for i in range(0, len(messages), batch_size):
        pipeline.apply([envelope.from_message(m) for m in messages[i:i + batch_size]])
    seconds = time.perf_counter() - start
    c = pipeline.counts
    return {"seconds": seconds, "notifications": len(messages), "changes": c.changes,
            "rejected": c.rejected, "rate": len(messages) / seconds,
            "changes_rate": c.changes / seconds}


def cpu_split(messages: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds of pure decode and parse over the stream (no Neo4j)."""
    t0 = time.perf_counter()
    items = [envelope.from_message(m) for m in messages]
    t1 = time.perf_counter()
    for item in items:
        classify(item)
    return {"decode": t1 - t0, "parse": time.perf_counter() - t1}


def profile_parse(messages: list[dict[str, Any]], top: int = 12) -> str:
    """cProfile of decode + parse: where the CPU of the pure path goes."""
    prof = cProfile.Profile()
    prof.enable()
    for m in messages:
        classify(envelope.from_message(m))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:start + top + 1])


def statement_profile(driver: neo4j.Driver, messages: list[dict[str, Any]], batch_size: int,
                      ) -> list[tuple[str, float, int]]:
    """Server time per graphcdm statement: (name, seconds, rows), on an emptied graph.

    Runs the writer's own (statement, rows) work list, as ``GraphWriter.apply``
    does, timing each statement inside its transaction.
    """
    from graphcdm.graph import cypher
    from graphcdm.graph import tx as graph_tx
    from graphcdm.graph.writer import FromGraph, rows_by_statement

    totals: dict[str, list[float]] = {}

    def tx_fn(tx: neo4j.ManagedTransaction, work: list) -> None:
        for name, rows in work:
            t0 = time.perf_counter()
            if isinstance(rows, FromGraph):  # rows the step reads first (timed with it)
                rows = graph_tx.records(tx, rows.statement)
                if not rows:
                    continue
            tx.run(cypher.load(name), {"rows": rows} if rows else {}).consume()
            entry = totals.setdefault(name, [0.0, 0])
            entry[0] += time.perf_counter() - t0
            entry[1] += len(rows)

    with driver.session() as session:
        for i in range(0, len(messages), batch_size):
            changes = [c for m in messages[i:i + batch_size]
                       for c in classify(envelope.from_message(m)).changes]
            session.execute_write(tx_fn, rows_by_statement(changes))
    return sorted(((n, s, r) for n, (s, r) in totals.items()), key=lambda t: -t[1])


def run(driver: neo4j.Driver, batch_sizes: tuple[int, ...] = BATCH_SIZES,
        cloud_size: tuple[int, int] = DEFAULT_CLOUD, watcher: bool = True,
        log=print, reps: int = 2) -> dict[str, Any]:
    """All measurements as one dict (see :func:`report` for the text).

    Every batch size >= 100 runs ``reps`` times, graphcdm and ceiling
    alternating; the best of each is kept (noise on a shared machine only
    ever slows a run down).
    """
    writer = GraphWriter(driver)
    from benchmarks.scale_curve import warm_up

    warm_up(driver)
    rows = []
    clouds: dict[tuple[int, int], tuple[simulator.Simulator, simulator.Simulation]] = {}
    for b in batch_sizes:
        size = CLOUDS.get(b, cloud_size)
        if size not in clouds:
            clouds[size] = cloud(*size)
        sim, run_ = clouds[size]
        log(f"apply: batch {b}: {len(run_.messages)} notifications "
            f"({size[0]} nodes, {size[1]} instances)")
        ours: dict[str, Any] = {}
        ceiling: dict[str, Any] = {}
        prepared = baselines.prepare(run_.messages, b)
        for _ in range(reps if b >= 100 else 1):  # alternate, keep the best of each
            empty(writer)
            got = graphcdm_apply(writer, run_.messages, b)
            got["export_matches"] = export.export(writer) == run_.expected
            matched = got["export_matches"] and ours.get("export_matches", True)
            if not ours or got["rate"] > ours["rate"]:
                ours = got
            ours["export_matches"] = matched
            empty(writer)
            seconds, raw_rows = baselines.neo4j_ceiling(driver, prepared)
            if not ceiling or len(run_.messages) / seconds > ceiling["rate"]:
                ceiling = {"seconds": seconds, "rows": raw_rows,
                           "rate": len(run_.messages) / seconds}
        rows.append({"batch": b, "nodes": size[0], "instances": size[1], "graphcdm": ours,
                     "ceiling": ceiling, "ratio": ours["rate"] / ceiling["rate"]})
        log(f"  graphcdm {ours['rate']:,.0f}/s, ceiling {ceiling['rate']:,.0f}/s, "
            f"ratio {rows[-1]['ratio']:.2f}")
    sim, main_run = clouds.get(cloud_size) or cloud(*cloud_size)
    split = cpu_split(main_run.messages)
    result: dict[str, Any] = {"rows": rows, "cloud": cloud_size,
                              "notifications": len(main_run.messages), "cpu": split,
                              "profile": profile_parse(main_run.messages)}
    big = [r for r in rows if (r["nodes"], r["instances"]) == cloud_size]
    if big:
        best = max(big, key=lambda r: r["graphcdm"]["rate"])
        result["best"] = best
        total = best["graphcdm"]["seconds"]
        result["split"] = {"decode": split["decode"], "parse": split["parse"],
                           "write": max(0.0, total - split["decode"] - split["parse"]),
                           "total": total}
    if big:
        empty(writer)
        result["statements"] = statement_profile(driver, main_run.messages,
                                                 result["best"]["batch"])
    if watcher:
        log("apply: Watcher 17 handler on the same stream")
        result["watcher"] = baselines.watcher_rate(main_run.messages, sim.hosts)
    empty(writer)
    return result


def report(result: dict[str, Any]) -> str:
    lines = ["batch | cloud (nodes/instances) | notifications | graphcdm notif/s | "
             "graphcdm changes/s | export = expected | raw Neo4j ceiling notif/s | ratio",
             "---|---|---|---|---|---|---|---"]
    for r in result["rows"]:
        g, c = r["graphcdm"], r["ceiling"]
        lines.append(f"{r['batch']} | {r['nodes']}/{r['instances']} | {g['notifications']:,} | "
                     f"{g['rate']:,.0f} | {g['changes_rate']:,.0f} | "
                     f"{'yes' if g['export_matches'] else 'NO'} | {c['rate']:,.0f} | "
                     f"{r['ratio']:.2f}")
    out = "\n".join(lines) + "\n"
    if "split" in result:
        s = result["split"]
        out += (f"\nWhere graphcdm's time goes at batch {result['best']['batch']} "
                f"({result['notifications']:,} notifications, {s['total']:.1f} s): decode "
                f"{s['decode']:.2f} s ({s['decode'] / s['total']:.0%}), parse {s['parse']:.2f} s "
                f"({s['parse'] / s['total']:.0%}), Neo4j write (driver + server) "
                f"{s['write']:.2f} s ({s['write'] / s['total']:.0%}).\n")
    if "statements" in result:
        total = sum(s for _, s, _ in result["statements"]) or 1.0
        out += ("\nNeo4j time per graphcdm statement (same stream, same batches, timed inside "
                "the transaction):\n\nstatement | seconds | share | rows\n---|---|---|---\n")
        out += "".join(f"{n} | {s:.2f} | {s / total:.0%} | {r:,}\n"
                       for n, s, r in result["statements"])
    if "watcher" in result:
        w = result["watcher"]
        best = result.get("best")
        ratio = f"; graphcdm/Watcher = {best['graphcdm']['rate'] / w['rate']:.2f}" if best else ""
        out += (f"\nWatcher 17 in-memory handler, same stream ({w['notifications']:,} "
                f"notifications, {w['instances']:,} instances at the end, {w['errors']} "
                f"errors): {w['rate']:,.0f} notifications/s{ratio}.\n")
    out += "\ncProfile of decode + parse (tottime, top functions):\n\n```\n" + \
        result["profile"] + "\n```\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", default=os.environ.get("GRAPHCDM_NEO4J_URI",
                                                        "bolt://127.0.0.1:7687"))
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--nodes", type=int, default=DEFAULT_CLOUD[0])
    parser.add_argument("--instances", type=int, default=DEFAULT_CLOUD[1])
    parser.add_argument("--no-watcher", action="store_true")
    parser.add_argument("--yes", action="store_true",
                        help="Really empty the graph at --uri.")
    args = parser.parse_args(argv)
    if not args.yes:
        parser.error("this empties the graph at --uri; pass --yes")
    driver = neo4j.GraphDatabase.driver(args.uri, auth=None, notifications_min_severity="OFF")
    try:
        result = run(driver, tuple(int(b) for b in args.batch_sizes.split(",")),
                     (args.nodes, args.instances), watcher=not args.no_watcher)
    finally:
        driver.close()
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
