"""Resync time: a synthetic cloud served by Watcher 17's Nova/Placement emulators.

A topology of --nodes compute nodes and --instances instances (spread
evenly, a few aggregates) is served over HTTP on loopback by the emulators
(tests/functional/emulators.py), and :func:`graphcdm.sync.resync` reads it
through openstacksdk into the Neo4j at --uri, as ``graphcdm sync`` would:

1. initial load into an emptied graph;
2. a resync of the unchanged cloud (the steady state of the periodic resync);
3. a resync after churn (2% of instances moved, 1% deleted, 1% of nodes gone);
4. a dry run (poll + diff only).

Each line gives the total and its split: poll (HTTP + openstacksdk, the
emulators run in this process and share its CPU), diff (graph read +
compare), load, cleanup. The graph is checked after the initial load (node
and instance counts, every instance placed): a fast wrong answer would not
count. Timings on a shared machine vary; the script prints its own command
line and the machine's load average.

    .venv/bin/python benchmarks/sync_time.py --uri bolt://127.0.0.1:7731 --yes

The graph at --uri is emptied (schema kept); --yes says that is fine.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shlex
import sys
import time
import uuid as uuidlib
from pathlib import Path

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphcdm import conf as conf_mod  # noqa: E402
from graphcdm.graph.writer import GraphWriter  # noqa: E402
from graphcdm.sync import SyncReport, resync  # noqa: E402
from tests.functional.emulators import Aggregate, Cloud, ComputeTopology, Instance  # noqa: E402


def topology(nodes: int, instances: int, seed: int = 1) -> ComputeTopology:
    """Evenly spread instances, mixed flavors (some boot-from-volume), 4 aggregates."""
    from watcher.tests.functional.topology import DEFAULT_PROJECT_ID  # after emulators

    rnd = random.Random(seed)
    t = ComputeTopology().add_computes(count=nodes, vcpus=64, memory=262144, disk=2000,
                                       vcpu_ratio=4.0, memory_ratio=1.5, vcpu_reserved=2)
    hosts = [n.hostname for n in t.compute_nodes]
    per, extra = divmod(instances, nodes)
    # what ComputeTopology.add_instances builds, host by host, without its
    # scan of every instance so far per call (quadratic: a 1,000,000-instance
    # cloud never finished building)
    vm = 1
    for i, host in enumerate(hosts):
        count = per + (1 if i < extra else 0)
        if count:
            vcpus = rnd.choice((1, 2, 4))
            size = {"vcpus": vcpus, "memory": vcpus * 2048, "disk": 20 * vcpus,
                    "swap": rnd.choice((0, 512, 2048)), "bfv": rnd.random() < 0.1}
            for _ in range(count):
                t.instances.append(Instance(uuid="", name=f"vm-{vm}", host=host,
                                            project_id=DEFAULT_PROJECT_ID, **size))
                vm += 1
    for a in range(4):
        t.aggregates.append(Aggregate(id=a + 1, name=f"agg-{a + 1}",
                                      hosts=hosts[a::4], metadata={"tier": str(a)}))
    # Watcher's generator numbers instances 'bbbb%04d-...': from the 10,000th on the
    # first group has 5+ digits, not a UUID, and Watcher's collector rejects those.
    for n, inst in enumerate(t.instances, 1):
        inst.uuid = str(uuidlib.UUID(int=(0xBBBB << 112) | n))
    return t


def churn(t: ComputeTopology, seed: int = 2) -> None:
    """2% of instances move, 1% are deleted, 1% of the nodes (and their instances) go."""
    rnd = random.Random(seed)
    hosts = [n.hostname for n in t.compute_nodes]
    gone = set(rnd.sample(hosts, max(1, len(hosts) // 100)))
    t.compute_nodes = [n for n in t.compute_nodes if n.hostname not in gone]
    kept = [h for h in hosts if h not in gone]
    t.instances = [i for i in t.instances if i.host not in gone and rnd.random() >= 0.01]
    for inst in rnd.sample(t.instances, len(t.instances) // 50):
        inst.host = rnd.choice(kept)
    for agg in t.aggregates:
        agg.hosts = [h for h in agg.hosts if h not in gone]


def line(label: str, report: SyncReport, total: float) -> str:
    s = report.seconds
    split = ", ".join(f"{k} {s[k]:.2f}" for k in ("poll", "diff", "load", "cleanup") if k in s)
    drift = {k: {w: n for w, n in d.counts().items() if n}
             for k, d in report.drift.kinds.items()}
    drift = {k: v for k, v in drift.items() if v}
    return f"{label:<44} {total:7.2f} s  ({split})  drift {drift or 'none'}"


def main(argv: list[str] | None = None) -> int:
    # No fixed default: on a shared machine a default port may be someone
    # else's Neo4j, and this script empties the graph it is given.
    port = os.environ.get("GRAPHCDM_TEST_BOLT_PORT")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", "--neo4j-uri", dest="uri",
                        default=f"bolt://127.0.0.1:{port}" if port else None,
                        help="Neo4j to load (emptied!). [default: bolt://127.0.0.1:"
                             "$GRAPHCDM_TEST_BOLT_PORT when set]")
    parser.add_argument("--nodes", type=int, default=1000, help="compute nodes [1000]")
    parser.add_argument("--instances", type=int, default=20000, help="instances [20000]")
    parser.add_argument("--batch-size", type=int, default=2000, help="[sync] batch_size [2000]")
    parser.add_argument("--page-size", type=int, default=1000, help="[sync] page_size [1000]")
    parser.add_argument("--yes", action="store_true", help="empty the graph at --uri")
    args = parser.parse_args(argv)
    if not args.uri:
        parser.error("--uri is required (or set GRAPHCDM_TEST_BOLT_PORT)")
    if not args.yes:
        parser.error("the graph at --uri is emptied: pass --yes")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("openstack").setLevel(logging.ERROR)
    import warnings
    warnings.simplefilter("ignore")

    print("$ " + shlex.join([sys.executable, *sys.argv]))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared with other work)")
    t0 = time.perf_counter()
    topo = topology(args.nodes, args.instances)
    cloud = Cloud(topo)
    print(f"emulators serving the topology on loopback, in this process "
          f"(set up in {time.perf_counter() - t0:.1f} s)")
    conf = conf_mod.load([])
    for key, value in cloud.conf_overrides().items():
        conf.set_override(key, value, group="nova")
    conf.set_override("batch_size", args.batch_size, group="sync")
    conf.set_override("page_size", args.page_size, group="sync")
    driver = neo4j.GraphDatabase.driver(args.uri, auth=None, notifications_min_severity="OFF")
    try:
        writer = GraphWriter(driver)
        writer.ensure_schema()
        writer.reset()

        def timed(label: str, **kw: bool) -> SyncReport:
            start = time.perf_counter()
            report = resync(conf, writer, **kw)
            print(line(label, report, time.perf_counter() - start), flush=True)
            return report

        size = f"{args.nodes:,} nodes / {len(topo.instances):,} instances"
        timed(f"initial load {size}")
        with driver.session() as s:
            counts = s.run("MATCH (c:ComputeNode) WITH count(c) AS n "
                           "MATCH (i:Instance) OPTIONAL MATCH (i)-[h:HOSTED_ON]->() "
                           "RETURN n, count(i) AS i, count(h) AS h").single()
        ok = (counts["n"], counts["i"], counts["h"]) == (args.nodes, len(topo.instances),
                                                         len(topo.instances))
        print(f"check: {counts['n']:,} nodes, {counts['i']:,} instances, {counts['h']:,} "
              f"placed -> {'OK' if ok else 'WRONG'}")
        timed("resync, cloud unchanged")
        churn(topo)
        cloud.load(topo)
        timed("dry run after churn", dry_run=True)
        timed("resync after churn (2% moved, 1% deleted, 1% nodes)")
        writer.reset()
        return 0 if ok else 1
    finally:
        driver.close()
        cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
