"""``graphcdm status``: is this installation able to work? One line per check.

In the spirit of oslo.upgradecheck's ``<service>-status upgrade check``
(nova-status, watcher-status): each check ends in a verdict (ok, warning,
failure) and the worst verdict is the exit status, 0, 1 or 2 as there. The
first command to run after installing or changing graphcdm.conf; it reads
what the listener would read and never writes (it may declare nothing but
nova's exchange, with the arguments oslo.messaging would use, when the
exchange already exists).
"""

from __future__ import annotations

import enum
import json
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import click
from oslo_config import cfg

from graphcdm import redact
from graphcdm.commands import runtime


class Code(enum.IntEnum):
    """oslo.upgradecheck's codes: the exit status is the worst of them."""

    SUCCESS = 0
    WARNING = 1
    FAILURE = 2


@dataclass
class Result:
    code: Code
    detail: str


_LABEL = {Code.SUCCESS: "ok", Code.WARNING: "warning", Code.FAILURE: "failure"}


def check_neo4j(conf: cfg.ConfigOpts, state: dict) -> Result:
    """Neo4j reachable with the configured credentials, within [neo4j] check_timeout."""
    try:
        driver = runtime.connect(conf)
    except runtime.Fatal as exc:
        return Result(Code.FAILURE, exc.message)
    state["driver"] = driver
    info = driver.get_server_info()
    return Result(Code.SUCCESS, f"{redact.url(conf.neo4j.uri)} database "
                                f"{conf.neo4j.database}, {info.agent}")


def check_schema(conf: cfg.ConfigOpts, state: dict) -> Result:
    """Every constraint and index of cypher/schema/ exists and is ONLINE."""
    from graphcdm.graph import cypher

    driver = state.get("driver")
    if driver is None:
        return Result(Code.FAILURE, "not checked: Neo4j unavailable")
    wanted = set()
    for name in cypher.names("schema"):
        found = re.search(r"CREATE\s+(?:CONSTRAINT|INDEX)\s+(\w+)", cypher.load(name))
        if found:
            wanted.add(found.group(1))
    if not wanted:
        return Result(Code.FAILURE, f"no schema statement under {cypher.root()}/schema")
    records, _, _ = driver.execute_query(cypher.load("status/schema_indexes"),
                                         database_=conf.neo4j.database)
    states = {r["name"]: r["state"] for r in records}
    missing = sorted(wanted - set(states))
    offline = sorted(n for n in wanted & set(states) if states[n] != "ONLINE")
    if missing:
        shown = ", ".join(missing[:3]) + (f" (+{len(missing) - 3} more)" if len(missing) > 3
                                          else "")
        return Result(Code.FAILURE, f"{len(missing)} of {len(wanted)} missing: {shown}; "
                                    "graphcdm listen or graphcdm sync creates them")
    if offline:
        return Result(Code.WARNING, "not online yet: " +
                      ", ".join(f"{n} {states[n]}" for n in offline))
    return Result(Code.SUCCESS, f"{len(wanted)} constraints and indexes online")


#: statement folders graphcdm cannot work without (top level: the writer's)
_FOLDERS = ("", "schema", "sync", "queries", "status")


def check_cypher(conf: cfg.ConfigOpts, state: dict) -> Result:
    """Every Cypher statement file is there and readable (an install that lost one
    would fail on the first notification that needs it)."""
    from graphcdm.graph import cypher

    try:
        root = cypher.root()
        counts = {}
        for folder in _FOLDERS:
            names = cypher.names(folder)
            if not names:
                return Result(Code.FAILURE, f"no statement in {root / folder}")
            for name in names:
                if not cypher.load(name).strip():
                    return Result(Code.FAILURE, f"{name}.cypher is empty")
            counts[folder or "writer"] = len(names)
    except (OSError, KeyError, UnicodeError) as exc:
        return Result(Code.FAILURE, f"{type(exc).__name__}: {exc}")
    return Result(Code.SUCCESS, f"{sum(counts.values())} statements in {root} (" +
                  ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


def check_bus(conf: cfg.ConfigOpts, state: dict) -> Result:
    """The broker answers (TLS as configured) and nova's exchange has the durability
    graphcdm would declare it with."""
    from graphcdm.notifications import bus

    try:
        verdict = bus.probe(conf, timeout=conf.neo4j.check_timeout)
    except bus.BusError as exc:
        return Result(Code.FAILURE, str(exc))
    where = redact.url(bus.transport_url(conf))
    return Result(Code.SUCCESS, f"{where}: {verdict}")


def check_nova(conf: cfg.ConfigOpts, state: dict) -> Result:
    """The nova API answers with the [nova] credentials (when [nova] is configured)."""
    n = conf.nova
    if not (n.cloud or n.auth_url or n.compute_endpoint_override):
        return Result(Code.SUCCESS, "[nova] not configured: no resync from the API")
    from graphcdm.sync import nova

    conf.set_override("api_timeout", max(1, round(conf.neo4j.check_timeout)), group="nova")
    try:
        conn = nova.connect(conf)
        resp = conn.compute.get("/os-services", params={"binary": "nova-compute"},
                                microversion=nova.SERVERS_MICROVERSION, raise_exc=False)
        if resp.status_code != 200:
            return Result(Code.FAILURE, f"GET /os-services answered HTTP {resp.status_code}")
        count = len(resp.json().get("services") or [])
    except Exception as exc:  # noqa: BLE001 - openstacksdk/keystoneauth raise many kinds
        text = " ".join(str(exc).split())[:200]
        if n.password:
            text = text.replace(n.password, "***")
        return Result(Code.FAILURE, f"{type(exc).__name__}: {text}")
    finally:
        conf.clear_override("api_timeout", group="nova")
    return Result(Code.SUCCESS, f"{count} nova-compute services")


def check_listener(conf: cfg.ConfigOpts, state: dict) -> Result:
    """The listener's /healthz on [metrics] host:port: its last commit and resync age."""
    m = conf.metrics
    if not m.port:
        return Result(Code.WARNING, "[metrics] port = 0: the listener cannot be asked")
    url = f"http://{m.host}:{m.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=conf.neo4j.check_timeout) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # 503: a check failed; the body says which
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError) as exc:
        return Result(Code.WARNING, f"no listener answers on {url} ({type(exc).__name__})")
    failing = [k for k, v in body.items() if isinstance(v, dict) and v.get("ok") is False]
    parts = [f"last commit {_age(body.get('last_commit_age'))}"]
    resync = body.get("resync")
    if resync:
        parts.append(f"last resync {_age(resync.get('last_success_age'))}")
        if resync.get("last_error"):
            parts.append(f"last resync error {_age(resync['last_error'].get('age'))}: "
                         f"{resync['last_error'].get('error')}")
    if failing:
        return Result(Code.FAILURE if body.get("status") != "ok" else Code.WARNING,
                      f"{url}: failing {', '.join(failing)}; " + "; ".join(parts))
    return Result(Code.SUCCESS, f"{url}: " + "; ".join(parts))


def _age(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f}s ago"


#: check name -> function, in the order they run
CHECKS: dict[str, Callable[[cfg.ConfigOpts, dict], Result]] = {
    "neo4j": check_neo4j,
    "schema": check_schema,
    "cypher": check_cypher,
    "bus": check_bus,
    "nova": check_nova,
    "listener": check_listener,
}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
def status(as_json: bool) -> None:
    """Check that graphcdm can work here: one verdict per check.

    Checks, with graphcdm.conf as the listener reads it: Neo4j reachable
    with the configured credentials; the schema's constraints and indexes
    present; every Cypher statement file loadable; the bus reachable (TLS as
    configured) and nova's exchange durable or not as
    [oslo_messaging_rabbit] says; the nova API answering when [nova] is
    configured; the listener's /healthz (last commit and resync age) when
    its [metrics] port answers. Each waits at most [neo4j] check_timeout.

    Exit status, as oslo.upgradecheck's: 0 all ok; 1 a warning (e.g. no
    listener answers); 2 a failure (or bad configuration). Never prints a
    password.
    """
    try:
        conf = runtime.load_conf()
    except runtime.Fatal as exc:
        raise runtime.Fatal(exc.message, Code.FAILURE) from None
    state: dict = {}
    results: dict[str, Result] = {}
    try:
        for name, check in CHECKS.items():
            try:
                results[name] = check(conf, state)
            except Exception as exc:  # noqa: BLE001 - a crashing check is a failure verdict
                from graphcdm.graph import db

                results[name] = Result(Code.FAILURE, db.describe(exc, conf))
    finally:
        if state.get("driver") is not None:
            state["driver"].close()
    worst = max(r.code for r in results.values())
    if as_json:
        click.echo(json.dumps({"status": _LABEL[worst], "checks": {
            k: {"result": _LABEL[r.code], "detail": r.detail} for k, r in results.items()}},
            indent=2))
    else:
        for name, r in results.items():
            click.echo(f"{_LABEL[r.code]:<8} {name:<9} {r.detail}")
        click.echo(f"status: {_LABEL[worst]}")
    raise SystemExit(int(worst))
