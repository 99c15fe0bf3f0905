"""All of graphcdm's benchmarks in one command, with their baselines; results to RESULTS.md.

``./run bench`` runs this. It starts a dedicated local Neo4j (its own
directory and ports: the benchmarks EMPTY the graph they use, so never the
demo's or yours) unless ``--uri`` names another, then runs:

a. apply throughput by batch size (benchmarks/apply.py), against the raw
   Neo4j ceiling (bare ``UNWIND ... MERGE`` of the same rows) and Watcher
   17's in-memory notification handler on the same stream;
b. end-to-end notifications/s through RabbitMQ and event-to-commit latency
   (benchmarks/end_to_end.py), against the same two baselines;
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
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    for options, value in candidates.items():
        known = [o for o in options.split("|")
                 if re.search(rf"(^|[\s,]){re.escape(o)}\b", help_text)]
        if known:
            cmd += [known[0]] if value is None else [known[0], value]
    print(f"$ {shlex.join(cmd)}", flush=True)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s", 124, cmd
    out = done.stdout + (f"\n[stderr]\n{_tail(done.stderr)}" if done.returncode else "")
    print(out, flush=True)
    return out, done.returncode, cmd


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
        self.drain_rate: float | None = None

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

        sizes = (1, 10, 100, 1000, 10000)
        with self.driver() as driver:
            result = apply.run(driver, sizes, (self.args.apply_nodes, self.args.apply_instances))
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
        return ("Command: `" + shlex.join([sys.executable, str(HERE / "apply.py"), "--uri",
                                           self.uri, "--yes"]) + "` (same code, in-process)\n\n"
                + apply.report(result))

    # (b)
    def e2e(self) -> str:
        url = self.args.transport_url
        if not rabbit_answers(url):
            return (f"not available: RabbitMQ does not answer at {redact.url(url)} "
                    "(start it: tools/rabbitmq-local start)")
        out, rc, cmd = script("end_to_end.py", {
            "--uri|--neo4j-uri": self.uri, "--transport-url|--url": url, "--yes": None})
        if rc is None:
            return "not available (benchmarks/end_to_end.py is not there yet)"
        rate = figure(r"(?:throughput|max(?:imum)?|peak)[^\n]*?", out) or \
            figure(r"", _line(out, "notifications/s"))
        p99 = figure(r"p99", _line(out, "1,000/s") or _line(out, "1000/s") or out)
        text = f"Command: `{shlex.join(cmd)}`\n\n```\n{out.strip()}\n```\n"
        text += self._e2e_ratios(rate)
        try:
            text += self.drain(url)
        except Exception as exc:  # noqa: BLE001 - the script's figures still count
            text += f"\nListener drain measurement failed: {type(exc).__name__}: {exc}\n"
        if rate is not None:
            self.targets.append(("end-to-end >= 5,000 notifications/s through RabbitMQ",
                                 f"{rate:,.0f}/s", "met" if rate >= 5000 else "missed", ""))
        if p99 is not None:
            self.targets.append(("p99 event-to-commit <= 250 ms at 1,000/s", f"{p99:,.0f} ms",
                                 "met" if p99 <= 250 else "missed", ""))
        return text

    def drain(self, url: str, count: int = 20000) -> str:
        """The listener alone: a queue filled first, then drained (publisher not timed).

        Why: one Python publisher is slower than nova's many computes, so
        publish-to-commit through one publisher measures the publisher.
        """
        import uuid

        import oslo_messaging
        from oslo_config import cfg
        from oslo_messaging.notify.messaging import MessagingV2Driver

        from benchmarks import apply
        from graphcdm import conf as conf_mod
        from graphcdm.graph.writer import GraphWriter
        from graphcdm.notifications.listener import Listener
        from graphcdm.sim import simulator

        tag = uuid.uuid4().hex[:8]
        exchange = f"graphcdm-bench-{tag}"
        topics = [f"graphcdm-bench-{tag}-versioned", f"graphcdm-bench-{tag}-legacy"]
        oslo_messaging.set_transport_defaults(control_exchange=exchange)
        own = cfg.ConfigOpts()
        transport = oslo_messaging.get_notification_transport(own, url=url)
        own.set_override("amqp_auto_delete", True, group="oslo_messaging_rabbit")
        conf = conf_mod.load([])
        conf.set_override("uri", self.uri, group="neo4j")
        for key, value in {"transport_url": url, "exchange": exchange, "topics": topics,
                           "pool": None}.items():
            conf.set_override(key, value, group="notifications")
        conf.set_override("port", 0, group="metrics")
        conf.set_override("log_interval", 0, group="metrics")
        conf.set_override("interval", 0, group="sync")
        sim = simulator.Simulator(nodes=100, instances=max(100, count // 5), seed=3).run()
        messages = sim.messages[:count]
        drivers = {"versioned": MessagingV2Driver(own, topics=[topics[0]], transport=transport),
                   "legacy": MessagingV2Driver(own, topics=[topics[1]], transport=transport)}
        with self.driver() as driver:
            writer = GraphWriter(driver)
            apply.empty(writer)
            t0 = time.perf_counter()
            for msg in messages:
                kind = "legacy" if msg["event_type"].startswith("compute.") else "versioned"
                drivers[kind].notify({}, msg, "info", None)
            publish_s = time.perf_counter() - t0
            listener = Listener(conf, writer=writer, transport=transport)
            t0 = time.perf_counter()
            listener.start()
            try:
                deadline = time.monotonic() + 600
                while True:
                    c = listener.counts
                    if c.processed >= len(messages):
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(listener.stats.log_line())
                    time.sleep(0.01)
                drain_s = time.perf_counter() - t0
            finally:
                listener.stop()
                listener.wait()
                transport.cleanup()
            stats = listener.stats.snapshot()
            commits = getattr(listener.stats, "_commits", None)  # not public: may go
            apply.empty(writer)
        rate = len(messages) / drain_s
        self.drain_rate = rate
        out = (f"\nListener alone (this run's own measurement): {len(messages):,} notifications "
               f"published first ({len(messages) / publish_s:,.0f}/s, one publisher, not timed), "
               f"then drained from RabbitMQ by graphcdm's Listener (default batch 500, 4 "
               f"threads) in {drain_s:.1f} s: **{rate:,.0f} notifications/s** "
               f"({stats.get('batches', 0)} batches, commit p50 "
               f"{(stats.get('commit_p50') or 0) * 1000:.0f} ms, p99 "
               f"{(stats.get('commit_p99') or 0) * 1000:.0f} ms"
               + (f"; batch handling (parse + Neo4j commit) {sum(commits):.1f} s of the "
                  f"{drain_s:.1f} s summed over threads, the rest is oslo.messaging/kombu "
                  f"fetching, decoding and acknowledging" if commits else "") + ")")
        a = self.apply_result
        if a and a.get("best"):
            out += (f"; {rate / a['best']['ceiling']['rate']:.2f} x the raw Neo4j ceiling of (a)"
                    + (f", {rate / a['watcher']['rate']:.2f} x Watcher 17's handler of (a)"
                       if "watcher" in a else ""))
        return out + ".\n"

    def _e2e_ratios(self, rate: float | None) -> str:
        a = self.apply_result
        if rate is None or not a or not a.get("best"):
            return ""
        out = (f"\nRatios: end-to-end {rate:,.0f}/s is {rate / a['best']['ceiling']['rate']:.2f}"
               f" x the raw Neo4j ceiling of (a) at batch {a['best']['batch']}")
        if "watcher" in a:
            out += f" and {rate / a['watcher']['rate']:.2f} x Watcher 17's handler of (a)"
        return out + ".\n"

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
            self.targets.append(("resync 1,000 nodes / 20,000 instances <= 30 s",
                                 f"{seconds:.1f} s", "met" if seconds <= 30 else "missed", ""))
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
            self.targets.append(("whole-cloud free-resources query <= 100 ms at 1,000/20,000",
                                 f"{free:.1f} ms p50", "met" if free <= 100 else "missed", ""))
        return text

    # (e)
    def scale(self) -> str:
        from benchmarks import scale_curve

        sizes = tuple(int(s) for s in self.args.scale_sizes.split(","))
        with self.driver() as driver:
            rows, png = scale_curve.run(driver, sizes)
        return ("Command: `" + shlex.join([sys.executable, str(HERE / "scale_curve.py"),
                                           "--uri", self.uri, "--sizes",
                                           self.args.scale_sizes, "--yes"])
                + "` (same code, in-process)\n\n" + scale_curve.report(rows, png)
                + (f"\n![scale curve]({png.name})\n" if png else ""))


def _line(text: str, needle: str) -> str:
    return next((ln for ln in text.splitlines() if needle in ln), "")


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
    parser.add_argument("--no-record", action="store_true",
                        help="Print only; do not append to benchmarks/RESULTS.md.")
    args = parser.parse_args(argv)
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
