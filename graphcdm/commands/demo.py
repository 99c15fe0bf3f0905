"""``graphcdm demo``: see graphcdm work, with nothing installed but Java and Maven.

It starts the local Neo4j (or uses the configured one, which must answer),
simulates a cloud (:mod:`graphcdm.sim.simulator`), publishes its notifications
through oslo.messaging exactly as nova does, runs the real listener on them
with a live progress display, and then shows what the graph knows: a
summary, whether it equals the simulated cloud, three example queries with
their answers, and where the Neo4j Browser is. Neo4j is left running for
the Browser.

Transport: RabbitMQ when ``--transport-url``/``GRAPHCDM_TRANSPORT_URL`` is
given; otherwise oslo.messaging's in-process ``fake://`` driver, whose
notification listener polls the same in-memory exchanges the notifier
publishes to, so no message broker has to be installed. Either way the demo
publishes on an exchange and topics of its own (``graphcdm-demo-<id>``),
never on nova's, so it cannot disturb a real deployment's listeners, and
on RabbitMQ its queues are auto-delete: nothing is left on the broker.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from graphcdm import neo4jlocal, redact
from graphcdm.commands import runtime
from graphcdm.read import export as export_mod
from graphcdm.read.query import GraphQuery
from graphcdm.sim import simulator

#: exit statuses (documented in --help)
EXIT_MISMATCH = 1
EXIT_SETUP = 2
EXIT_INTERRUPTED = 130

#: example questions: (title, query name, parameters, columns shown, rows shown)
EXAMPLES: list[tuple[str, str, dict[str, Any], tuple[str, ...], int]] = [
    ("Which instances sit on a disabled or down host (evacuation candidates)?",
     "queries/instances_on_unavailable_hosts", {},
     ("host", "host_state", "host_status", "disabled_reason", "name", "state"), 5),
    ("Where does one project run: instances, vcpus and memory per host?",
     "queries/project_spread", {"project_id": None},
     ("host", "instances", "vcpus", "memory_mb"), 5),
    ("What does each compute node carry (vcpus, memory, disk, instances)?",
     "queries/used_resources", {},
     ("hypervisor_hostname", "instances", "vcpu", "memory", "disk"), 5),
]

#: operations of the simulator that move an instance to another node
MOVES = ("live_migration", "resize_confirm", "evacuated", "unshelve")


class Interrupted(Exception):
    """Ctrl-C: stop what we started."""


@click.command()
@click.option("--nodes", default=20, show_default=True, type=click.IntRange(2, 100_000),
              help="Compute nodes of the simulated cloud.")
@click.option("--instances", default=400, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Instances of the simulated cloud.")
@click.option("--operations", default=None, type=click.IntRange(0),
              help="Operations after boot. [default: as many as instances]")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Simulator seed (same seed, same cloud).")
@click.option("--duplicate", default=0.05, show_default=True, type=click.FloatRange(0, 1),
              help="Fraction of notifications published twice (as redeliveries).")
@click.option("--reorder", default=20, show_default=True, type=click.IntRange(0),
              help="Largest displacement of a notification in the published order.")
@click.option("--rate", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Notifications published per second (0: as fast as possible).")
@click.option("--transport-url", envvar="GRAPHCDM_TRANSPORT_URL", show_envvar=True,
              default=None,
              help="oslo.messaging transport URL (e.g. rabbit://guest:guest@127.0.0.1:5672/). "
                   "[default: fake:// (in-process, nothing to install)]")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path),
              envvar="GRAPHCDM_NEO4J_HOME", show_envvar=True,
              help="Local Neo4j directory. [default: ~/.local/share/graphcdm/neo4j]")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              envvar="GRAPHCDM_CACHE", show_envvar=True,
              help="Where Maven-resolved Neo4j jars are kept. [default: ~/.cache/graphcdm]")
@click.option("--bolt-port", type=click.IntRange(1, 65535), default=7687, show_default=True,
              envvar="GRAPHCDM_NEO4J_BOLT_PORT", show_envvar=True)
@click.option("--http-port", type=click.IntRange(1, 65535), default=7474, show_default=True,
              envvar="GRAPHCDM_NEO4J_HTTP_PORT", show_envvar=True,
              help="HTTP port of the local Neo4j; the Browser is at /browser/.")
@click.option("--reset", is_flag=True,
              help="Empty a configured (GRAPHCDM_NEO4J_URI) graph that is not empty. The "
                   "local demo server's graph is emptied without asking.")
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait for the listener to apply everything.")
@click.option("--progress/--no-progress", default=None,
              help="Live progress display (default: on when stdout is a terminal).")
def demo(nodes: int, instances: int, operations: int | None, seed: int, duplicate: float,
         reorder: int, rate: float, transport_url: str | None, home: Path | None,
         cache: Path | None, bolt_port: int, http_port: int, reset: bool, timeout: float,
         progress: bool | None) -> None:
    """See graphcdm work: local Neo4j, a simulated cloud, the live listener.

    \b
    1. Neo4j: the one GRAPHCDM_NEO4J_URI names (the demo stops if it does
       not answer, and asks --reset before emptying it), otherwise a local
       Neo4j 5.26 of its own (first run: Maven fetches it, once).
    2. A simulated cloud (creates, deletes, live migrations, resizes,
       evacuations, shelving, service changes; some notifications
       duplicated and reordered, as a real bus delivers them).
    3. Its notifications published through oslo.messaging (RabbitMQ with
       --transport-url, else the in-process fake:// transport) and applied
       by graphcdm's real listener, with live progress.
    4. A summary, a check that the graph equals the simulated cloud, three
       example Cypher queries with their answers, and the Browser address.

    Neo4j keeps running afterwards so that you can explore the graph in the
    Browser; stop it with `graphcdm neo4j stop`. Ctrl-C stops everything
    the demo started.

    Exit status: 0 done; 1 the graph differs from the simulated cloud; 2
    Neo4j, the transport or the listener could not be set up (the message
    says what to do); 130 interrupted.
    """
    show = sys.stdout.isatty() if progress is None else progress
    root = click.get_current_context().find_root().obj or {}
    if not root.get("debug"):  # the display says what happens; keep warnings and errors
        logging.getLogger("graphcdm").setLevel(logging.WARNING)
    ui = _UI(show)
    started_neo4j: neo4jlocal.Settings | None = None
    listener = None
    try:
        uri, started_neo4j, settings = _neo4j(home, cache, bolt_port, http_port, ui)
        conf = runtime.load_conf()
        conf.set_override("uri", uri, group="neo4j")
        url = transport_url or "fake://"
        tag = uuidlib.uuid4().hex[:8]
        conf.set_override("transport_url", url, group="notifications")
        # Names of its own: nothing of the demo reaches nova's exchange or the
        # default notification queues other consumers read. No pool: the listener
        # consumes the topics' own queues, which go away with it (auto-delete).
        conf.set_override("exchange", f"graphcdm-demo-{tag}", group="notifications")
        conf.set_override("topics", [f"graphcdm-demo-{tag}-versioned",
                                     f"graphcdm-demo-{tag}-legacy"], group="notifications")
        conf.set_override("pool", None, group="notifications")
        # the demo's listener serves no /metrics port, logs no periodic summary and
        # runs no resync against a nova API: there is none
        conf.set_override("port", 0, group="metrics")
        conf.set_override("log_interval", 0, group="metrics")
        conf.set_override("interval", 0, group="sync")

        ui.step(f"Simulating a cloud of {nodes} compute nodes and {instances} instances "
                f"(seed {seed})")
        sim = simulator.Simulator(nodes=nodes, instances=instances, seed=seed,
                                  operations=operations, duplicate=duplicate,
                                  reorder=reorder).run()
        summary = simulator.summary(sim)

        with runtime.open_writer(conf) as writer:
            _empty_graph(writer, uri, configured=started_neo4j is None and settings is None,
                         reset=reset, ui=ui)
            transport = _transport(conf, url)
            try:
                listener = _listener(conf, writer, transport)
                ui.step(f"Listener started on {redact.url(url)} "
                        f"(exchange {conf.notifications.exchange})")
                listener.start()
                published = _publish_and_follow(sim.messages, conf, transport, listener, rate,
                                                timeout, ui)
                listener.stop()
                listener.wait()
                stopped = listener
                listener = None
            finally:
                if listener is not None:  # interrupted or failed: stop it before the transport
                    _stop_quietly(listener)
                transport.cleanup()
            data = export_mod.export(writer)
            matches = data == sim.expected
            _report(writer, data, sim, summary, stopped, published, matches, ui)
            browser = settings.browser_url if settings else _browser_url(writer, uri)
        ui.line("")
        ui.line(f"Neo4j Browser: {browser}  (connect to {uri}"
                + (", no authentication)" if settings else ")"))
        if settings is not None:
            ui.line("Neo4j keeps running so that you can explore the graph; stop it with: "
                    + _stop_command(settings))
        sys.exit(0 if matches else EXIT_MISMATCH)
    except KeyboardInterrupt:
        if listener is not None:
            _stop_quietly(listener)
        if started_neo4j is not None:
            click.echo("\ninterrupted: stopping the Neo4j the demo started", err=True)
            neo4jlocal.stop(started_neo4j, log=lambda m: click.echo(m, err=True))
        else:
            click.echo("\ninterrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_SETUP)


class _SetupError(Exception):
    pass


# -- setup -------------------------------------------------------------------

def _neo4j(home: Path | None, cache: Path | None, bolt_port: int, http_port: int, ui: _UI,
           ) -> tuple[str, neo4jlocal.Settings | None, neo4jlocal.Settings | None]:
    """(uri, settings if this run started the server, settings of the local server).

    The configured GRAPHCDM_NEO4J_URI wins when it answers; otherwise the
    local server (default Settings, or the options) is started or reused.
    """
    configured = os.environ.get("GRAPHCDM_NEO4J_URI")
    if configured:
        # No fallback to another server: the user named this one, and the
        # demo must not fill (or empty) a different graph than the one asked for.
        if not neo4jlocal.bolt_answers(configured, timeout=5):
            raise _SetupError(f"the configured Neo4j GRAPHCDM_NEO4J_URI={configured} does not "
                              "answer; start it, or unset GRAPHCDM_NEO4J_URI for the demo to "
                              "start a local Neo4j of its own")
        ui.step(f"Using the configured Neo4j at {configured}")
        return configured, None, None
    settings = neo4jlocal.Settings(bolt_port=bolt_port, http_port=http_port)
    if home:
        settings.home = home.resolve()
    if cache:
        settings.cache = cache.resolve()
    was_running = neo4jlocal.running_pid(settings) is not None
    ui.step("Reusing the local Neo4j" if was_running else
            f"Starting a local Neo4j in {settings.home} (the first time, Maven fetches it)")
    try:
        uri = neo4jlocal.start(settings, log=ui.detail)
    except neo4jlocal.Neo4jLocalError as exc:
        raise _SetupError(f"could not start Neo4j: {exc}") from None
    return uri, (None if was_running else settings), settings


def _browser_url(writer: Any, uri: str) -> str:
    """The Browser address of the configured server, from its own HTTP settings.

    The host is the Bolt URI's (the one the user reaches); the port is the
    one the server's HTTP connector listens on. When the server does not say,
    the output says so instead of guessing Neo4j's default.
    """
    try:
        settings = {r["name"]: r["value"] for r in GraphQuery.of(writer).read("server_http")}
    except Exception as exc:  # noqa: BLE001 - a server that refuses SHOW SETTINGS
        return f"unknown (the server did not list its HTTP settings: {type(exc).__name__})"
    if str(settings.get("server.http.enabled", "true")).lower() != "true":
        return "none (the server's HTTP connector is off)"
    address = (settings.get("server.http.listen_address")
               or settings.get("server.http.advertised_address") or "")
    port = address.rpartition(":")[2]
    host = urlsplit(uri).hostname or "127.0.0.1"
    if not port.isdigit():
        return "unknown (the server's HTTP address has no port)"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/browser/"


def _empty_graph(writer: Any, uri: str, configured: bool, reset: bool, ui: _UI) -> None:
    # Any node counts, not only what the read-side queries show (they leave out
    # placeholders, gone instances, tombstones) nor only graphcdm's labels:
    # the demo must not empty a database with anything in it without asking.
    if not GraphQuery.of(writer).read("graph_nodes")[0]["any_node"]:
        return
    if configured and not reset:
        raise _SetupError(f"the graph at {uri} is not empty; the demo would replace it. "
                          "Rerun with --reset to empty it, or point GRAPHCDM_NEO4J_URI "
                          "elsewhere (unset it to use the local demo server)")
    ui.step("Emptying the graph of the previous demo run")
    writer.reset()


def _transport(conf: Any, url: str) -> Any:
    """The notification transport the demo publishes on (and the listener reads)."""
    import oslo_messaging
    from oslo_config import cfg

    # Publish on the demo's exchange: oslo.messaging notifiers send to the
    # transport's control_exchange.
    oslo_messaging.set_transport_defaults(control_exchange=conf.notifications.exchange)
    own = cfg.ConfigOpts()
    try:
        transport = oslo_messaging.get_notification_transport(own, url=url)
    except Exception as exc:  # noqa: BLE001 - bad URL or driver: tell the user
        raise _SetupError(f"cannot use transport {redact.url(url)}: {exc}") from None
    if "oslo_messaging_rabbit" in own:
        # the demo's queues and exchange go when its listener does (read when the
        # driver connects, which is later): nothing is left on the broker
        own.set_override("amqp_auto_delete", True, group="oslo_messaging_rabbit")
    return transport


def _listener(conf: Any, writer: Any, transport: Any) -> Any:
    from graphcdm.notifications.listener import Listener

    return Listener(conf, writer=writer, transport=transport)


def _stop_quietly(listener: Any) -> None:
    with contextlib.suppress(Exception):
        listener.stop()
        listener.wait()


# -- publishing and following ---------------------------------------------------

def _processed(listener: Any) -> int:
    return int(listener.counts.processed)


def _publish_and_follow(messages: list[dict[str, Any]], conf: Any, transport: Any,
                        listener: Any, rate: float, timeout: float, ui: _UI) -> int:
    """Publish every message as nova does; follow the listener until it applied them."""
    from oslo_messaging.notify.messaging import MessagingV2Driver

    versioned, legacy = conf.notifications.topics
    topics = {"versioned": versioned, "legacy": legacy}
    drivers = {kind: MessagingV2Driver(conf, topics=[topic], transport=transport)
               for kind, topic in topics.items()}
    total = len(messages)
    errors: list[BaseException] = []

    def publish() -> None:
        start = time.monotonic()
        try:
            for n, msg in enumerate(messages, 1):
                kind = "legacy" if msg["event_type"].startswith("compute.") else "versioned"
                drivers[kind].notify({}, msg, "info", None)
                if rate:
                    ahead = n / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
                sent[0] = n
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    sent = [0]
    thread = threading.Thread(target=publish, name="demo-publisher", daemon=True)
    deadline = time.monotonic() + timeout
    with ui.progress(total) as update:
        thread.start()
        while True:
            done = _processed(listener)
            update(sent[0], done)
            if errors:
                raise _SetupError(f"publishing failed: {type(errors[0]).__name__}: {errors[0]}")
            if done >= total and not thread.is_alive():
                break
            if time.monotonic() > deadline:
                raise _SetupError(f"the listener applied {done} of {total} notifications in "
                                  f"{timeout:.0f} s; see the log above")
            time.sleep(0.1)
    thread.join()
    return total


# -- the report -----------------------------------------------------------------

def _report(writer: Any, data: dict[str, Any], sim: simulator.Simulation,
            summary: dict[str, Any], listener: Any, published: int, matches: bool,
            ui: _UI) -> None:
    c = listener.counts
    moves = sum(sim.operations.get(k, 0) for k in MOVES)
    elsewhere = _moved_elsewhere(sim)
    placed = {i["uuid"]: i["hosted_on"] for i in data["instances"]}
    followed = sum(1 for uuid, where in elsewhere.items() if placed.get(uuid) == where)
    nodes = data["compute_nodes"]
    down = sum(1 for n in nodes if n["state"] == "down" or n["status"] == "disabled")
    unmapped = sum(1 for i in data["instances"] if i["hosted_on"] is None)
    ui.line("")
    ui.title("Summary")
    ui.line(f"published {published} notifications ({summary['emitted']} distinct, the rest "
            f"redelivered; reordered) through oslo.messaging")
    ui.line(f"listener: applied {c.applied}, ignored {c.ignored} (events that do not change "
            f"the model), rejected {c.rejected}")
    stats = _stats_text(getattr(listener, "stats", None))
    if stats:
        ui.line(f"listener stats: {stats}")
    ui.line(f"graph: {len(nodes)} compute nodes ({down} disabled or down), "
            f"{len(data['instances'])} instances ({unmapped} shelved offloaded)")
    ui.line(f"moves applied: the cloud made {moves} moves ("
            + ", ".join(f"{k.replace('_', ' ')} {sim.operations.get(k, 0)}" for k in MOVES)
            + f"); {len(elsewhere)} instances ended on another node than they were created "
              f"on, and the graph has {followed} of them there")
    ui.line("graph equals the simulated cloud: " + ("yes" if matches else
                                                    "NO (graphcdm export differs)"))
    ui.line("")
    ui.title("Three questions, in Cypher (paste them into the Browser)")
    from graphcdm.graph import cypher

    for title, name, params, columns, limit in EXAMPLES:
        if "project_id" in params and data["instances"]:  # the project of the first instance
            params = {**params, "project_id": data["instances"][0]["project_id"]}
        rows = GraphQuery.of(writer).read(name, **params)
        ui.line("")
        ui.line(f"-- {title}")
        for key, value in params.items():
            ui.line(f":param {key} => {json.dumps(value)}")
        ui.line(_statement(cypher.load(name)))
        if len(columns) < len(rows[0] if rows else columns):
            ui.line(f"(showing the columns {', '.join(columns)})")
        ui.table([{c: row.get(c) for c in columns} for row in rows[:limit]], total=len(rows))


def _moved_elsewhere(sim: simulator.Simulation) -> dict[str, dict[str, str]]:
    """uuid -> where it ends, for live instances that end on another host than created on."""
    created: dict[str, str] = {}
    for msg in sim.messages:
        if msg["event_type"] in ("instance.create.end", "compute.instance.create.end"):
            payload = msg["payload"]
            data = payload.get("nova_object.data", payload)
            created.setdefault(data.get("uuid") or data.get("instance_id"), data["host"])
    return {i["uuid"]: i["hosted_on"] for i in sim.expected["instances"]
            if i["hosted_on"] and created.get(i["uuid"]) not in (None, i["hosted_on"]["hostname"])}


def _statement(text: str) -> str:
    """The Cypher without its comment lines."""
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//")).strip()


def _stats_text(stats: Any) -> str:
    """Batches and commit latency from the listener's Stats (the simulated
    timestamps are a day old, so event-to-commit lag means nothing here)."""
    snapshot = getattr(stats, "snapshot", None)
    if snapshot is None:
        return ""
    s = snapshot()

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v * 1000:.0f} ms"
    return (f"received {s.get('received', 0)} in {s.get('batches', 0)} batches, "
            f"requeued {s.get('requeued', 0)}; commit p50 {ms(s.get('commit_p50'))}, "
            f"p99 {ms(s.get('commit_p99'))}")


def _stop_command(settings: neo4jlocal.Settings) -> str:
    cmd = "graphcdm neo4j stop"
    default = neo4jlocal.Settings()
    if settings.home != default.home:
        cmd += f" --home {settings.home}"
    if settings.bolt_port != default.bolt_port:
        cmd += f" --bolt-port {settings.bolt_port}"
    return cmd


# -- output ----------------------------------------------------------------------

class _UI:
    """rich on a terminal; plain lines otherwise (logs, CI, pipes)."""

    def __init__(self, rich_output: bool) -> None:
        self.rich = rich_output
        if rich_output:
            from rich.console import Console

            self.console = Console()

    def step(self, text: str) -> None:
        if self.rich:
            self.console.print(f"[bold cyan]>[/] {text}")
        else:
            click.echo(f"> {text}")

    def detail(self, text: str) -> None:
        if self.rich:
            self.console.print(f"  [dim]{text}[/]")
        else:
            click.echo(f"  {text}")

    def title(self, text: str) -> None:
        if self.rich:
            self.console.rule(f"[bold]{text}")
        else:
            click.echo(f"== {text}")

    def line(self, text: str) -> None:
        if self.rich:
            self.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text)

    def table(self, rows: list[dict[str, Any]], total: int) -> None:
        if not rows:
            self.line("(no rows)")
            return
        columns = list(rows[0])
        if self.rich:
            from rich.table import Table

            table = Table(*columns, show_lines=False, header_style="bold")
            for row in rows:
                table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
            self.console.print(table)
        else:
            click.echo(" | ".join(columns))
            for row in rows:
                click.echo(" | ".join("" if row[c] is None else str(row[c]) for c in columns))
        shown = f", first {len(rows)} shown" if total > len(rows) else ""
        self.line(f"({total} rows{shown})")

    @contextlib.contextmanager
    def progress(self, total: int) -> Iterator[Any]:
        if not self.rich:
            last = [0.0]

            def update(sent: int, done: int) -> None:
                now = time.monotonic()
                if now - last[0] >= 2.0 or done >= total:
                    last[0] = now
                    click.echo(f"  published {sent}/{total}, listener processed {done}/{total}")
            yield update
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                      console=self.console) as bar:
            pub = bar.add_task("published (oslo.messaging)", total=total, rate="")
            app = bar.add_task("applied by the listener", total=total, rate="")
            start = time.monotonic()

            def update(sent: int, done: int) -> None:
                elapsed = max(time.monotonic() - start, 1e-6)
                bar.update(pub, completed=sent, rate=f"{sent / elapsed:,.0f}/s")
                bar.update(app, completed=done, rate=f"{done / elapsed:,.0f}/s")
            yield update
