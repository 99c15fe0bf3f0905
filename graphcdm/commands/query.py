"""``graphcdm query NAME``: operators' questions, answered by cypher/queries/NAME.cypher."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

import click

from graphcdm.commands import runtime
from graphcdm.graph import cypher
from graphcdm.read import query as query_mod

#: Exit status when Neo4j cannot be reached or the query fails.
EXIT_DATABASE = runtime.EXIT_NEO4J


@click.command()
@click.argument("name", required=False)
@click.option("--list", "list_queries", is_flag=True,
              help="List the queries, one line each, with their parameters.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter (repeatable); typed like the parameter's default.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table (rich), json (a list of objects) or csv.")
def query(name: str | None, list_queries: bool, params: tuple[str, ...], fmt: str) -> None:
    """Run the read query NAME (cypher/queries/NAME.cypher) on the graph.

    The operators' questions: hosts_by_free_capacity, overcommitted_hosts,
    instances_on_unavailable_hosts, placeholder_nodes, project_spread,
    recently_moved, empty_hosts; and the questions Watcher asks of its model
    (compute_nodes, node_used_resources, free_resources, ...). The same
    files paste into the Neo4j Browser as they are (docs/BROWSER.md).

    Parameters a query declares have defaults (see --list); give others with
    --param key=value, e.g. `graphcdm query project_spread -p project_id=abc`.
    Missing capacity properties count as reserved 0 and ratio 1.0.

    Exit status: 0 rows printed (possibly none); 2 usage or configuration
    error (no or unknown NAME, bad --param); 3 Neo4j unavailable or the query
    failed.
    """
    names = query_mod.query_names()
    if list_queries:
        for each in names:
            declared = query_mod.query_params(each)
            suffix = ("  [" + ", ".join(f"{p.name}={json.dumps(p.default)}"
                                        for p in declared.values()) + "]") if declared else ""
            click.echo(f"{each:38} {cypher.describe(f'queries/{each}')}{suffix}")
        return
    if not name:
        raise click.UsageError("give a query NAME (see graphcdm query --list)")
    if name not in names:
        raise click.UsageError(f"no query named {name!r} (see graphcdm query --list)")
    try:
        values = query_mod.bind_params(name, list(params))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--param") from None

    conf = runtime.load_conf()
    try:
        with _status(f"querying {name}"), runtime.open_reader(conf) as reader:
            rows = reader.read(f"queries/{name}", **values)
    except Exception as exc:  # driver/config errors: say what, exit 3
        if type(exc).__module__.startswith(("neo4j", "oslo_config")):
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_DATABASE)
        raise
    {"table": _table, "json": _json, "csv": _csv}[fmt](name, rows)


class _status:
    """A rich spinner on a terminal's stderr; nothing otherwise."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._status = None

    def __enter__(self) -> None:
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(self.text)
            self._status.start()

    def __exit__(self, *exc: object) -> None:
        if self._status:
            self._status.stop()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _table(name: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name} ({len(rows)} rows)", title_justify="left")
    columns = list(rows[0]) if rows else []
    for column in columns:
        numeric = any(isinstance(r[column], int | float) and not isinstance(r[column], bool)
                      for r in rows)
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    # Off a terminal rich would wrap at 80 columns; a pipe or file gets whole lines.
    Console(width=None if sys.stdout.isatty() else 400).print(table)


def _json(name: str, rows: list[dict[str, Any]]) -> None:
    click.echo(json.dumps(rows, indent=2, default=str))


def _csv(name: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (";".join(map(str, v)) if isinstance(v, list) else
                             "" if v is None else v) for k, v in row.items()})
