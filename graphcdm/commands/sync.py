"""``graphcdm sync``: load or resync the graph from the nova API."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from graphcdm.commands import runtime

LOG = logging.getLogger(__name__)

#: exit statuses, documented in --help
EXIT_POLL_FAILED = 1
EXIT_CONFIG = 2
EXIT_WRITE_FAILED = 3


@contextmanager
def _progress(show: bool) -> Iterator[Any]:
    """A rich progress bar on a terminal; quiet log lines (one per step) otherwise."""
    if not show:
        last: dict[str, int] = {}

        def log_line(step: str, done: int, total: int | None) -> None:
            if step not in last:
                LOG.info("sync: %s", step)
            last[step] = done
        yield log_line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                  transient=False) as bar:
        def update(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total or done)
        yield update


def _print_drift(report: Any, examples: int) -> None:
    verb = "would change" if report.dry_run else "changed"
    click.echo(f"Read {report.fetched.get('compute_nodes', 0)} compute nodes, "
               f"{report.fetched.get('instances', 0)} instances, "
               f"{report.fetched.get('aggregates', 0)} aggregates"
               f"{'' if report.placement else ' (no placement: hypervisor figures)'}.")
    click.echo(f"Drift ({verb}):")
    for kind, drift in report.drift.kinds.items():
        counts = drift.counts()
        click.echo(f"  {kind:<14} " + "  ".join(f"{k} {v}" for k, v in counts.items()))
        for what, keys in vars(drift).items():
            if keys:
                shown = ", ".join(str(k) for k in keys[:examples])
                more = f" (+{len(keys) - examples} more)" if len(keys) > examples else ""
                click.echo(f"      {what}: {shown}{more}")
    if report.dry_run:
        click.echo("Dry run: nothing written.")
    else:
        spared = {k: v for k, v in report.spared.items() if v}
        if spared:
            click.echo(f"Kept (changed by a notification during the poll): {spared}")
        click.echo("Seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in report.seconds.items()))


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Read the cloud and the graph, print the drift, write nothing.")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(0),
              help="Example keys shown per kind of drift.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report (drift, counters, timings) as JSON on stdout.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar. [default: on when stderr is a terminal]")
def sync(dry_run: bool, examples: int, as_json: bool, progress: bool | None) -> None:
    """Load or resync the graph from the nova (and placement) API.

    Reads nova-compute services, hypervisors with details, placement
    inventories (reserved amounts and allocation ratios, as Watcher's
    collector does; hypervisor figures when placement is unavailable),
    servers of all projects, aggregates and availability zones through
    openstacksdk, configured by [nova] (a clouds.yaml cloud, or auth
    options; auth_type = none with endpoint overrides for emulators).

    The graph then follows the cloud: nodes and instances created, updated
    and moved; what the cloud no longer has removed. Changes notifications
    brought after the poll started are kept (versions, tombstones), and
    nothing is removed unless the poll read every listing completely.

    Exit status: 0 done; 1 the nova/placement API failed (nothing removed;
    the message says which listing); 2 bad configuration; 3 Neo4j could not
    be written.
    """
    from graphcdm.graph.writer import WriteFailed
    from graphcdm.sync import NovaConfigError, PollFailed, resync

    conf = runtime.load_conf()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with runtime.open_writer(conf, schema=not dry_run) as writer, \
                _progress(show) as bar:
            report = resync(conf, writer, dry_run=dry_run, progress=bar)
    except NovaConfigError as exc:
        click.echo(f"error: bad [nova] configuration: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except PollFailed as exc:
        click.echo(f"error: resync aborted, nothing removed: {exc}", err=True)
        sys.exit(EXIT_POLL_FAILED)
    except WriteFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_WRITE_FAILED)
    except (ValueError, KeyError) as exc:
        click.echo(f"error: bad configuration: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    if as_json:
        click.echo(json.dumps(report.as_dict(examples),
                              indent=2, sort_keys=True, default=str))
    else:
        _print_drift(report, examples)
