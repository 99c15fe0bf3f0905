"""``replay``, ``export``, ``reset``, ``purge-tombstones``: the graph from files and back."""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Iterator

import click

from graphcdm.commands import runtime
from graphcdm.graph import db
from graphcdm.graph.writer import WriteFailed
from graphcdm.notifications import replay as replay_mod
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export as export_mod

LOG = logging.getLogger(__name__)

#: replay's exit status for an error of graphcdm itself (2 and 3 are every
#: command's configuration and Neo4j statuses, see commands/runtime.py)
EXIT_INTERNAL = 4


def _batched(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(itertools.islice(items, size)):
        yield batch


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Notifications per Neo4j transaction.")
@click.option("--resolve-refs", is_flag=True,
              help="Resolve nova doc-sample {\"$ref\": file} links relative to each file.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on when stderr is a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and rejections.")
def replay(paths: tuple[str, ...], batch_size: int, resolve_refs: bool,
           progress: bool | None, quiet: bool) -> None:
    """Apply notifications from files, exactly as the listener would.

    Each file is JSON Lines, a JSON array or one JSON object; each item is
    oslo.messaging's wire form, the message form (message_id, publisher_id,
    event_type, priority, payload, timestamp) or the endpoint form (with
    metadata.message_id and metadata.timestamp). Items apply in file order
    through the version guard, so replaying a stream twice changes nothing.

    Prints applied / ignored / rejected counts and every rejection with its
    file, line and reason. Exit status: 0 all good, 1 some item rejected,
    2 configuration error, 3 Neo4j unavailable or the database failed (nothing
    of the failed batch applied; replay again), 4 an internal error (a graphcdm
    bug: please report the traceback).
    """
    conf = runtime.load_conf()
    clock = replay_mod.ReplayClock()
    max_bytes = conf.notifications.max_payload_bytes
    rejections: list[str] = []
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with runtime.open_writer(conf) as writer:
            pipeline = Pipeline(writer, max_ahead=conf.notifications.max_clock_ahead)
            items = (item for path in paths
                     for item in replay_mod.read(path, clock, resolve_refs=resolve_refs,
                                                 max_bytes=max_bytes))
            with _progress(show) as bar:
                for batch in _batched(items, batch_size):
                    outcomes = pipeline.apply([i.notification for i in batch])
                    for item, outcome in zip(batch, outcomes, strict=True):
                        if outcome.status == "rejected":
                            rejections.append(f"{item.path}:{item.line}: {outcome.reason}")
                    bar(len(batch))
    except WriteFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(runtime.EXIT_NEO4J)
    except Exception as exc:  # driver errors: say what, exit 3
        if type(exc).__module__.startswith("neo4j"):
            click.echo(f"error: {db.describe(exc, conf)}", err=True)
            sys.exit(runtime.EXIT_NEO4J)
        if isinstance(exc, click.ClickException):  # runtime.Fatal: its own line and status
            raise
        LOG.exception("replay failed")
        click.echo(f"error: internal error {type(exc).__name__} (a graphcdm bug)", err=True)
        sys.exit(EXIT_INTERNAL)
    for line in rejections:
        click.echo(f"rejected {line}", err=True)
    c = pipeline.counts
    click.echo(f"applied {c.applied}, ignored {c.ignored}, rejected {c.rejected} "
               f"({c.changes} changes in {c.batches} transactions)"
               + (f"; {c.clamped} stamped ahead of this clock, clamped" if c.clamped else ""))
    if not quiet and c.db:
        click.echo("neo4j: " + ", ".join(f"{k}={v}" for k, v in sorted(c.db.items())))
    sys.exit(1 if c.rejected else 0)


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.completed} notifications"),
                                  TimeElapsedColumn(), transient=True)
        self._progress.start()
        self._task = self._progress.add_task("replay", total=None)
        return lambda n: self._progress.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        if self._progress:
            self._progress.stop()


@click.command()
@click.option("--output", "-o", type=click.File("w"), default="-",
              help="Write to this file instead of stdout.")
def export(output) -> None:
    """Print the graph as canonical JSON.

    {"compute_nodes": [...], "instances": [...]}, each sorted by its key;
    deleted instances and tombstones are absent. An instance's hosted_on
    names the node its HOSTED_ON edge points to, or is null. A placeholder
    node (known only from notifications) has uuid null.
    """
    conf = runtime.load_conf()
    with runtime.open_reader(conf) as reader:
        output.write(export_mod.dumps(export_mod.export(reader)))


@click.command()
@click.option("--yes", is_flag=True, help="Really empty the graph.")
def reset(yes: bool) -> None:
    """Delete every node and edge of the graph; constraints and indexes stay."""
    if not yes:
        raise click.UsageError("refusing to empty the graph without --yes")
    conf = runtime.load_conf()
    with runtime.open_writer(conf) as writer:
        writer.reset()
    click.echo("graph emptied")


@click.command("purge-tombstones")
@click.option("--max-age", type=click.IntRange(0), default=None,
              help="Seconds; default [graph] tombstone_max_age.")
def purge_tombstones(max_age: int | None) -> None:
    """Delete delete-tombstones older than the configured age."""
    conf = runtime.load_conf()
    age = conf.graph.tombstone_max_age if max_age is None else max_age
    with runtime.open_writer(conf) as writer:
        purged = writer.purge_tombstones(age)
    click.echo(f"purged {purged} tombstones older than {age}s")
