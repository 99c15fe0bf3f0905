"""All of graphcdm's benchmarks in one command, with their baselines; results to RESULTS.md.

``./run bench`` runs this. It starts a dedicated local Neo4j (its own
directory and ports: the benchmarks EMPTY the graph they use, so never the
demo's or yours) unless ``--uri`` names another, then runs:

a. apply throughput by batch size (benchmarks/apply.py), against the raw
   Neo4j ceiling (bare ``UNWIND ... MERGE`` of the same rows) and Watcher
   17's in-memory notification handler on the same stream;
b. the listener through RabbitMQ (benchmarks/end_to_end.py): drain from a
   pre-filled queue, end to end with the publishers' own rate beside it,
   event-to-commit latency at 100, 1,000 and 3,000 notifications/s (and
   1,000/s with oslo.messaging's own batching for comparison), and a mass
   evacuation (1,000 nodes / 20,000 instances, 40 hosts fail), and the drain
   by 1 and 2 listener processes on one pool, each beside
   the raw Neo4j ceiling (or floor) of the same rows in the same run;
c. resync time by cloud size (benchmarks/sync_time.py), against the raw
   ceiling of loading the same cloud;
d. query latency by cloud size (benchmarks/query_latency.py), against
   Watcher's in-memory model answering the same question;
e. the scale curve (benchmarks/scale_curve.py, plotted to scale_curve.png).

A sub-benchmark whose script is absent prints "not available" and the
others still run. Each figure is reported absolute and as a ratio to its
baseline; the targets are reported as met or missed, never asserted.

    .venv/bin/python benchmarks/run.py                  # everything, recorded
    .venv/bin/python benchmarks/run.py --only apply --no-record
    .venv/bin/python benchmarks/run.py --quick --only e2e   # development sizes
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from graphcdm import redact  # noqa: E402 - after the path is set

RESULTS = HERE / "RESULTS.md"
#: how commands are shown in RESULTS.md: relative to the checkout, no machine paths
PYTHON = ".venv/bin/python"
PARTS = ("apply", "e2e", "sync", "query", "scale")
DEFAULT_TRANSPORT = "rabbit://guest:guest@127.0.0.1:5672/"


# -- machine and conditions ----------------------------------------------

def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal"))
        memory = f"{mem_kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    return {"host": platform.node(), "nproc": str(os.cpu_count()), "memory": memory,
            "cpu": cpu, "load": load, "python": platform.python_version(),
            "java": (java.stderr.splitlines() or ["?"])[0] if java.returncode == 0 else "none"}


# -- services ------------------------------------------------------------

class BenchNeo4j:
    """A Neo4j the benchmarks may empty: ours (started here, stopped after) or --uri."""

    def __init__(self, uri: str | None, bolt_port: int, http_port: int, heap: str) -> None:
        self.given = uri
        self.settings = None
        self.started = False
        if not uri:
            from graphcdm import neo4jlocal

            cache = os.environ.get("GRAPHCDM_CACHE")
            self.settings = neo4jlocal.Settings(home=REPO / ".state" / "neo4j-bench",
                                                bolt_port=bolt_port, http_port=http_port,
                                                heap=heap, pagecache="1g")
            if cache:
                self.settings.cache = Path(cache)

    def __enter__(self) -> str:
        if self.given:
            return self.given
        from graphcdm import neo4jlocal

        was = neo4jlocal.running_pid(self.settings)
        uri = neo4jlocal.start(self.settings, log=lambda m: print(m, flush=True))
        self.started = was is None
        return uri

    def __exit__(self, *exc: object) -> None:
        if self.started:
            from graphcdm import neo4jlocal

            neo4jlocal.stop(self.settings, log=lambda m: print(m, flush=True))


def rabbit_answers(url: str) -> bool:
    m = re.match(r"^\w+://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", url)
    if not m:
        return False
    try:
        with socket.create_connection((m.group(1), int(m.group(2) or 5672)), timeout=2):
            return True
    except OSError:
        return False


# -- sub-benchmark scripts of other modules --------------------------------

def script(name: str, candidates: dict[str, str | None], timeout: float = 900,
           ) -> tuple[str, int | None, list[str]]:
    """Run benchmarks/<name> with the options it knows among ``candidates``.

    Returns (output, exit status or None when absent, command). The
    options are matched against its ``--help``, so a script written by
    another module may take any subset of them; keys may list alternatives
    ("--uri|--neo4j-uri": the first it knows is used).
    """
    path = HERE / name
    if not path.is_file():
        return "not available", None, []
    help_text = subprocess.run([sys.executable, str(path), "--help"], capture_output=True,
                               text=True, check=False, cwd=REPO, timeout=120).stdout
    cmd = [sys.executable, str(path)]
    shown = [PYTHON, f"benchmarks/{name}"]
    for options, value in candidates.items():
        known = [o for o in options.split("|")
                 if re.search(rf"(^|[\s,]){re.escape(o)}\b", help_text)]
        if known:
            cmd += [known[0]] if value is None else [known[0], value]
            shown += [known[0]] if value is None else [known[0], value]
    print(f"$ {shlex.join(shown)}", flush=True)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s", 124, shown
    out = done.stdout + (f"\n[stderr]\n{_tail(done.stderr)}" if done.returncode else "")
    # the scripts print their own command: no machine paths in RESULTS.md
    out = out.replace(sys.executable, PYTHON).replace(f"{REPO}/", "")
    print(out, flush=True)
    return out, done.returncode, shown


def _tail(text: str, lines: int = 25) -> str:
    kept = [ln for ln in text.splitlines() if "Warning" not in ln and "eventlet" not in ln]
    return "\n".join(kept[-lines:])


def figure(pattern: str, text: str) -> float | None:
    """First number after ``pattern`` (a regex) in a script's output."""
    m = re.search(pattern + r"\D{0,40}?([\d][\d,]*\.?\d*)", text, re.IGNORECASE)
    if not m:
        return None
    try:
        return float(m.group(1).replace(",", ""))
    except ValueError:
        return None


# -- the run ---------------------------------------------------------------

class Run:
    def __init__(self, args: argparse.Namespace, uri: str) -> None:
        self.args = args
        self.uri = uri
        self.sections: list[str] = []
        self.targets: list[tuple[str, str, str, str]] = []  # target, figure, verdict, note
        self.apply_result: dict[str, Any] | None = None
        self.timings: dict[str, float] = {}
        self.e2e_result: dict[str, Any] = {}

    def part(self, name: str, fn: Callable[[], str]) -> None:
        t0 = time.perf_counter()
        print(f"\n=== {name}", flush=True)
        try:
            text = fn()
        except Exception:  # one part failing must not lose the others
            text = "failed:\n\n```\n" + traceback.format_exc()[-3000:] + "```\n"
            print(text, flush=True)
        self.timings[name] = time.perf_counter() - t0
        self.sections.append(f"### {name} ({self.timings[name]:.0f} s)\n\n{text.strip()}\n")

    def driver(self):
        import neo4j

        return neo4j.GraphDatabase.driver(self.uri, auth=None, notifications_min_severity="OFF")

    # (a)
    def apply(self) -> str:
        from benchmarks import apply

        sizes = (100, 1000) if self.args.quick else (1, 10, 100, 1000, 10000)
        cloud = (50, 2000) if self.args.quick else (self.args.apply_nodes,
                                                    self.args.apply_instances)
        with self.driver() as driver:
            result = apply.run(driver, sizes, cloud, reps=1 if self.args.quick else 2)
        self.apply_result = result
        # the target is judged at replay's default batch size (1,000)
        at = next((r for r in result["rows"] if r["batch"] == 1000), result.get("best"))
        if at:
            ratio = at["ratio"]
            self.targets.append((
                "replay apply >= 50% of the raw Neo4j ceiling (same rows)",
                f"{at['graphcdm']['rate']:,.0f} vs {at['ceiling']['rate']:,.0f} "
                f"notifications/s at batch {at['batch']}: {ratio:.0%}",
                "met" if ratio >= 0.5 else "missed", ""))
        return ("Command: `" + shlex.join([PYTHON, "benchmarks/apply.py", "--uri", self.uri,
                                           "--batch-sizes", ",".join(map(str, sizes)),
                                           "--yes"]) + "` (same code, in-process)\n\n"
                + apply.report(result))

    # (b)
    def e2e(self) -> str:
        url = self.args.transport_url
        if not rabbit_answers(url):
            return (f"not available: RabbitMQ does not answer at {redact.url(url)} "
                    "(start it: tools/rabbitmq-local start)")
        options: dict[str, str | None] = {"--uri": self.uri, "--transport-url": url,
                                          "--compare-timeout": None, "--yes": None}
        if self.args.quick:
            options["--quick"] = None
        out, rc, cmd = script("end_to_end.py", options, timeout=1800)
        if rc is None:
            return "not available (benchmarks/end_to_end.py is not there yet)"
        shown = [ln for ln in out.splitlines() if not ln.startswith("RESULT ")]
        text = f"Command: `{shlex.join(cmd)}`\n\n```\n" + "\n".join(shown).strip() + "\n```\n"
        line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
        got = json.loads(line[len("RESULT "):]) if line else {}
        self.e2e_result = got
        if "drain" in got:
            d = got["drain"]
            self.targets.append((
                "listener drain >= 50% of the raw Neo4j ceiling (same rows, same run)",
                f"{d['rate']:,.0f} vs {d['ceiling']:,.0f}/s: {d['ratio']:.0%}",
                "met" if d["ratio"] >= 0.5 else "missed", ""))
        if "e2e" in got:
            e = got["e2e"]
            self.targets.append((
                "end to end >= 5,000 notifications/s",
                f"{e['rate']:,.0f}/s ({e['ratio']:.2f} x ceiling {e['ceiling']:,.0f}/s; "
                f"publishers alone {e['publishers']:,.0f}/s)",
                "met" if e["rate"] >= 5000 else "missed", ""))
        for key in sorted(k for k in got if k.startswith("latency_")):
            lat = got[key]
            if lat.get("p50") is None:
                continue
            label = (f"latency at {lat['rate']:,.0f}/s ({lat['batching']} batching, achieved "
                     f"{lat['achieved']:,.0f}/s)")
            figures = (f"p50 {lat['p50'] * 1000:,.0f} ms, p99 {lat['p99'] * 1000:,.0f} ms "
                       f"(floor p50 {lat['floor_p50'] * 1000:,.0f} ms, p99 "
                       f"{lat['floor_p99'] * 1000:,.0f} ms)")
            if key == "latency_1000":
                met = lat["p50"] <= 0.05 and lat["p99"] <= 0.25
                self.targets.append(("at 1,000/s p50 <= 50 ms and p99 <= 250 ms", figures,
                                     "met" if met else "missed", ""))
            else:
                self.targets.append((label, figures, "reported", ""))
        if "scaleout" in got:
            so = got["scaleout"]
            self.targets.append((
                "drain by listener processes on one pool (competing consumers)",
                ", ".join(f"{n}: {r:,.0f}/s" for n, r in so["rates"].items())
                + f" (ceiling {so['ceiling']:,.0f}/s)", "reported", ""))
        if "evacuation" in got:
            ev = got["evacuation"]
            ok = ev["converged_s"] <= 2 and ev["equal"]
            self.targets.append((
                "mass evacuation converged <= 2 s after the last notification",
                f"{ev['converged_s']:.2f} s ({ev['notifications']:,} notifications; graph "
                f"{'equal to' if ev['equal'] else 'DIFFERENT from'} the expected export; "
                f"ceiling {ev['ceiling_s']:.2f} s for the same rows)",
                "met" if ok else "missed", ""))
        return text

    # (c)
    def sync(self) -> str:
        out, rc, cmd = script("sync_time.py", {"--uri|--neo4j-uri": self.uri, "--yes": None})
        if rc is None:
            return "not available (benchmarks/sync_time.py is not there yet)"
        text = f"Command: `{shlex.join(cmd)}`\n\n```\n{out.strip()}\n```\n"
        # the slowest of its timed lines (initial load, resyncs): "label  12.34 s  (...)"
        timed = [float(m.group(1)) for m in re.finditer(r"^\S.*?\s(\d+\.\d+) s\s", out,
                                                          re.MULTILINE)]
        seconds = max(timed) if timed else None
        ceiling = self.load_ceiling(1000, 20000)
        text += (f"\nBaseline: the raw Neo4j ceiling loads the same-size cloud (1,000 nodes, "
                 f"20,000 instances, HOSTED_ON edges; bare UNWIND MERGE, batches of 5,000) in "
                 f"{ceiling:.2f} s")
        if seconds is not None:
            text += f"; the slowest resync above takes {seconds / ceiling:.1f} x that"
            self.targets.append(("resync 1,000 nodes / 20,000 instances <= 10 s",
                                 f"{seconds:.1f} s (slowest; {seconds / ceiling:.1f} x the "
                                 f"raw load {ceiling:.2f} s)",
                                 "met" if seconds <= 10 else "missed", ""))
        return text + ".\n"

    def load_ceiling(self, nodes: int, instances: int) -> float:
        from benchmarks import apply
        from graphcdm.graph.writer import GraphWriter

        node_rows = [{"host": f"compute-{n:05d}", "node": f"compute-{n:05d}.example.org"}
                     for n in range(nodes)]
        inst_rows = [{"uuid": f"10000000-0000-4000-8000-{i:012d}",
                      "node": node_rows[i % nodes]["node"],
                      "props": {"name": f"vm-{i}", "state": "active", "vcpus": 2,
                                "memory_mb": 4096, "disk_gb": 40, "flavor": "m1.medium",
                                "project_id": f"p{i % 97}"}} for i in range(instances)]
        nodes_q = ("UNWIND $rows AS row MERGE (c:ComputeNode {hypervisor_hostname: row.node}) "
                   "SET c.hostname = row.host, c.vcpus = 64, c.memory_mb = 262144, "
                   "c.disk_gb = 2000")
        inst_q = ("UNWIND $rows AS row MERGE (i:Instance {uuid: row.uuid}) SET i += row.props "
                  "WITH i, row MATCH (c:ComputeNode {hypervisor_hostname: row.node}) "
                  "MERGE (i)-[:HOSTED_ON]->(c)")
        with self.driver() as driver:
            writer = GraphWriter(driver)
            apply.empty(writer)
            t0 = time.perf_counter()
            with driver.session() as session:
                for query, rows in ((nodes_q, node_rows), (inst_q, inst_rows)):
                    for i in range(0, len(rows), 5000):
                        session.execute_write(
                            lambda tx, q=query, r=rows[i:i + 5000]: tx.run(q, rows=r).consume())
            seconds = time.perf_counter() - t0
            apply.empty(writer)
        return seconds

    # (d)
    def query(self) -> str:
        out, rc, cmd = script("query_latency.py", {"--uri|--neo4j-uri": self.uri, "--yes": None})
        if rc is None:
            return "not available (benchmarks/query_latency.py is not there yet)"
        text = f"Command: `{shlex.join(cmd)}`\n\n```\n{out.strip()}\n```\n"
        free = figure(r"free_resources\s+p50", out)
        watcher = figure(r"watcher_free_all\s+p50", out)
        if free is not None:
            if watcher:
                text += (f"\nRatio: graphcdm's whole-cloud free_resources p50 {free:.1f} ms is "
                         f"{free / watcher:.2f} x Watcher's in-memory model answering the same "
                         f"(get_node_free_resources over every node, cache emptied: "
                         f"{watcher:.1f} ms).\n")
            self.targets.append(("whole-cloud free resources <= 50 ms at 1,000/20,000",
                                 f"{free:.1f} ms p50"
                                 + (f" ({free / watcher:.2f} x Watcher's in-memory model)"
                                    if watcher else ""),
                                 "met" if free <= 50 else "missed", ""))
        return text

    # (e)
    def scale(self) -> str:
        from benchmarks import scale_curve

        sizes = tuple(int(s) for s in self.args.scale_sizes.split(","))
        with self.driver() as driver:
            rows, png = scale_curve.run(driver, sizes)
        return ("Command: `" + shlex.join([PYTHON, "benchmarks/scale_curve.py",
                                           "--uri", self.uri, "--sizes",
                                           self.args.scale_sizes, "--yes"])
                + "` (same code, in-process)\n\n" + scale_curve.report(rows, png)
                + (f"\n![scale curve]({png.name})\n" if png else ""))


def record(run: Run, info: dict[str, str], started: dt.datetime, command: str) -> str:
    total = sum(run.timings.values())
    lines = [f"## {started:%Y-%m-%d %H:%M} UTC — `{command}`", "",
             f"- machine: {info['host']}, {info['nproc']} CPUs ({info['cpu']}), "
             f"{info['memory']} memory; load average at start {info['load']}",
             f"- software: Python {info['python']}, {info['java']}, Neo4j 5.26 "
             + (f"(graphcdm neo4j, {run.args.heap} heap, started for the run) "
                if not run.args.uri else "(given with --uri) ")
             + f"at {run.uri}, RabbitMQ "
             f"{redact.url(run.args.transport_url)}",
             f"- conditions: {run.args.note}",
             f"- duration: {total / 60:.1f} min", ""]
    if run.targets:
        lines += ["| target | measured | verdict |", "|---|---|---|"]
        lines += [f"| {t} | {f} | {v} |" for t, f, v, _ in run.targets]
        lines.append("")
    lines += run.sections
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", help="Use this Neo4j (it will be EMPTIED) instead of starting "
                        "the dedicated benchmark server.")
    parser.add_argument("--yes", action="store_true",
                        help="Confirm emptying the graph at --uri.")
    parser.add_argument("--bolt-port", type=int, default=7697,
                        help="Bolt port of the dedicated benchmark Neo4j.")
    parser.add_argument("--http-port", type=int, default=7797)
    parser.add_argument("--heap", default="2g", help="Heap of the dedicated benchmark Neo4j.")
    parser.add_argument("--transport-url",
                        default=os.environ.get("GRAPHCDM_TRANSPORT_URL", DEFAULT_TRANSPORT))
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"Comma-separated parts among {', '.join(PARTS)}.")
    parser.add_argument("--apply-nodes", type=int, default=200)
    parser.add_argument("--apply-instances", type=int, default=10000)
    parser.add_argument("--scale-sizes", default="1000,3000,10000,30000,100000")
    parser.add_argument("--note", default="as found (other processes may share the machine)",
                        help="Conditions to record (who else used the machine).")
    parser.add_argument("--quick", action="store_true",
                        help="Development sizes (apply at batch 100/1,000 on a small cloud, "
                             "end_to_end.py --quick, scale curve to 3,000); not recorded "
                             "unless --record.")
    parser.add_argument("--record", action="store_true", help="Record even with --quick.")
    parser.add_argument("--no-record", action="store_true",
                        help="Print only; do not append to benchmarks/RESULTS.md.")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale_sizes = "1000,3000"
        args.no_record = args.no_record or not args.record
    if args.uri and not args.yes:
        parser.error("the benchmarks empty the graph at --uri; add --yes")
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    started = dt.datetime.now(dt.UTC)
    info = machine()
    command = shlex.join(["benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"graphcdm benchmarks {started:%Y-%m-%d %H:%M} UTC on {info['nproc']} CPUs "
          f"({info['cpu']}), {info['memory']}, load {info['load']}", flush=True)
    names = {"apply": "(a) apply throughput by batch size",
             "e2e": "(b) end to end through RabbitMQ",
             "sync": "(c) resync time by cloud size",
             "query": "(d) query latency by cloud size",
             "scale": "(e) scale curve"}
    with BenchNeo4j(args.uri, args.bolt_port, args.http_port, args.heap) as uri:
        run = Run(args, uri)
        for part in PARTS:
            if part in parts:
                run.part(names[part], getattr(run, part))
    text = record(run, info, started, command)
    print("\n" + text)
    if not args.no_record:
        header = "" if RESULTS.exists() else (
            "# Benchmark results\n\nAppended by `./run bench` (benchmarks/run.py), newest "
            "last. Figures are absolute and as ratios to their baselines (the raw Neo4j "
            "ceiling, Watcher 17's in-memory handler); targets are reported, never asserted "
            "in tests.\n\n")
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(header + text + "\n")
        print(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
