"""Watcher's per-audit compute model: graphcdm's fresh ModelRoot vs Watcher's cached copy.

One cloud (--nodes compute nodes, --instances instances, benchmarks/sync_time's
topology) is served by Watcher 17's Nova and Placement emulators on loopback
and read twice, in this process:

- by Watcher's own ``NovaClusterDataModelCollector`` (loaded by Watcher's
  loader, openstacksdk on the emulators), which builds its model once and
  then gives each audit ``get_latest_cluster_data_model()``: a deep copy of
  the cached model (and, in Watcher 17, a ``to_xml()`` of it for a debug
  line, evaluated whatever the log level);
- by graphcdm: ``graphcdm sync`` into the Neo4j at --uri, then the graph
  collector's ``get_latest_cluster_data_model()``, a fresh ``ModelRoot``
  from one Cypher query per audit (the path stock strategies take through
  ``graphcdm-watcher-decision-engine``).

Printed per path: best and median of --reps runs. Same-run baseline:
graphcdm's build with Watcher's own element constructor for every row and the
cyclic GC on (the build before this one). The two models are compared first
(nodes, instances, edges, every element's fields): a fast wrong model would
not count. Whether the neo4j Rust extension (``graphcdm[fast]``) is loaded
is printed; the driver's decoding is most of the rest.

    .venv/bin/python benchmarks/watcher_model.py --uri bolt://127.0.0.1:7850 --yes

The graph at --uri is emptied (schema kept); --yes says that is fine.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sync_time import topology  # noqa: E402
from graphcdm import conf as conf_mod  # noqa: E402
from graphcdm.graph.writer import GraphWriter  # noqa: E402
from graphcdm.read.query import GraphQuery, build_watcher_model, cyclic_gc_paused  # noqa: E402
from graphcdm.sync import resync  # noqa: E402
from tests.functional.emulators import Cloud  # noqa: E402


def timed(fn: Callable[[], Any], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def figures(label: str, seconds: list[float]) -> str:
    return (f"{label:<58} best {min(seconds):6.2f} s   median "
            f"{statistics.median(seconds):6.2f} s   ({len(seconds)} runs)")


def same(a: Any, b: Any) -> bool:
    """Two ModelRoots hold the same nodes, instances, edges and element fields."""
    an, bn = a.get_all_compute_nodes(), b.get_all_compute_nodes()
    ai, bi = a.get_all_instances(), b.get_all_instances()
    return (an.keys() == bn.keys() and ai.keys() == bi.keys()
            and sorted(a.edges) == sorted(b.edges)
            and all(an[u].as_dict() == bn[u].as_dict() for u in an)
            and all(ai[u].as_dict() == bi[u].as_dict() for u in ai))


def watcher_collector(cloud: Cloud) -> Any:
    """Watcher's stock compute collector, its openstacksdk on the emulators."""
    import fixtures
    import openstack.connection
    from keystoneauth1 import noauth
    from keystoneauth1 import session as ks_session
    from oslo_config import cfg
    from watcher.decision_engine.loading import default

    cfg.CONF(args=[], project="watcher", default_config_files=[])
    sess = ks_session.Session(auth=noauth.NoAuth(endpoint=cloud.compute_url))
    conn = openstack.connection.Connection(session=sess,
                                           compute_endpoint_override=cloud.compute_url,
                                           placement_endpoint_override=cloud.placement_url)
    fixtures.MockPatch("watcher.common.clients.get_sdk_connection",
                       return_value=conn).setUp()
    collector = default.ClusterDataModelCollectorLoader().load("compute")
    collector.get_audit_scope_handler([])
    return collector


def graph_collector(uri: str) -> Any:
    from oslo_config import cfg
    from watcher.decision_engine.loading import default

    from graphcdm.read.watcher_collector import CONFIG_GROUP, GraphComputeModelCollector

    cfg.CONF.register_opts(GraphComputeModelCollector.get_config_opts(), group=CONFIG_GROUP)
    cfg.CONF.set_override("uri", uri, group=CONFIG_GROUP)
    cfg.CONF.set_override("password", "", group=CONFIG_GROUP)
    return default.ClusterDataModelCollectorLoader().load("graphcdm_compute")


def main(argv: list[str] | None = None) -> int:
    port = os.environ.get("GRAPHCDM_TEST_BOLT_PORT")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default=f"bolt://127.0.0.1:{port}" if port else None,
                        help="Neo4j to load (emptied!). [default: bolt://127.0.0.1:"
                             "$GRAPHCDM_TEST_BOLT_PORT when set]")
    parser.add_argument("--nodes", type=int, default=1000, help="compute nodes [1000]")
    parser.add_argument("--instances", type=int, default=20000, help="instances [20000]")
    parser.add_argument("--reps", type=int, default=5, help="runs per path [5]")
    parser.add_argument("--watcher-model", choices=("collector", "graph"), default="collector",
                        help="how Watcher's cached model is made: its collector reading the "
                             "emulators (minutes at 20,000 instances), or the graph's model "
                             "(same content; the per-audit copy only depends on the content) "
                             "[collector]")
    parser.add_argument("--yes", action="store_true", help="empty the graph at --uri")
    args = parser.parse_args(argv)
    if not args.uri:
        parser.error("--uri is required (or set GRAPHCDM_TEST_BOLT_PORT)")
    if not args.yes:
        parser.error("the graph at --uri is emptied: pass --yes")
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")

    sys.stdout.reconfigure(line_buffering=True)
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    rust = importlib.util.find_spec("neo4j._rust") is not None
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared with other work); "
          f"neo4j Rust extension: {'loaded' if rust else 'not installed'}")
    topo = topology(args.nodes, args.instances)
    cloud = Cloud(topo)
    driver = neo4j.GraphDatabase.driver(args.uri, auth=None, notifications_min_severity="OFF")
    try:
        writer = GraphWriter(driver)
        writer.ensure_schema()
        writer.reset()
        conf = conf_mod.load([])
        for key, value in cloud.conf_overrides().items():
            conf.set_override(key, value, group="nova")
        t0 = time.perf_counter()
        resync(conf, writer)
        print(f"graphcdm sync of {args.nodes:,} nodes / {len(topo.instances):,} instances: "
              f"{time.perf_counter() - t0:.1f} s")

        theirs = watcher_collector(cloud)
        ours = graph_collector(args.uri)
        fresh = ours.get_latest_cluster_data_model()
        if args.watcher_model == "collector":
            t0 = time.perf_counter()
            cached = theirs.cluster_data_model          # Watcher's build from the nova API
            print(f"Watcher's collector builds its cached model from the nova API: "
                  f"{time.perf_counter() - t0:.1f} s (once, then per period)")
            ok = same(fresh, cached)
            print(f"check: graph model == Watcher's model "
                  f"({len(fresh.get_all_compute_nodes()):,} nodes, "
                  f"{len(fresh.get_all_instances()):,} instances) -> "
                  f"{'OK' if ok else 'DIFFERENT'}")
        else:
            cached = theirs.cluster_data_model = ours.get_latest_cluster_data_model()
            print("Watcher's cached model: the graph's (--watcher-model graph; equality with "
                  "Watcher's own build is checked by tests/functional/test_watcher_strategies)")
            ok = True
        ok = ok and len(fresh.get_all_instances()) == len(topo.instances)

        import copy
        q = GraphQuery(driver)
        rows: list[Any] = []

        def read_rows() -> None:
            with cyclic_gc_paused():
                rows.append(q.watcher_rows())

        def build() -> None:
            with cyclic_gc_paused():
                build_watcher_model(nodes, instances)

        rows_s = timed(read_rows, args.reps)
        nodes, instances = rows[-1]
        print(figures("graphcdm: per audit, fresh ModelRoot from the graph", timed(
            ours.get_latest_cluster_data_model, args.reps)))
        print(figures("  of which the query (driver decoding)", rows_s))
        print(figures("  of which the build (direct fill, cyclic GC paused)", timed(
            build, args.reps)))
        print(figures("  baseline: build as before (Watcher's constructor, GC on)", timed(
            lambda: build_watcher_model(nodes, instances, direct=False), args.reps)))
        print(figures("Watcher: per audit, get_latest_cluster_data_model()", timed(
            theirs.get_latest_cluster_data_model, args.reps)))
        print(figures("  of which copy.deepcopy(cached model)", timed(
            lambda: copy.deepcopy(cached), args.reps)))
        writer.reset()
        return 0 if ok else 1
    finally:
        driver.close()
        cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
