"""``graphcdm simulate``: a simulated nova cloud's notification stream and expected export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from graphcdm.read import export as export_mod
from graphcdm.sim import simulator


@click.command()
@click.option("--nodes", default=10, show_default=True, type=click.IntRange(2, 1_000_000),
              help="Compute nodes (one nova-compute host each).")
@click.option("--instances", default=100, show_default=True,
              type=click.IntRange(1, 10_000_000), help="Instances the cloud runs.")
@click.option("--operations", type=click.IntRange(0), default=None,
              help="Operations after boot (moves, state changes, churn...). "
                   "[default: as many as instances]")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Random seed: the same seed gives the same stream, byte for byte.")
@click.option("--format", "fmt", type=click.Choice(simulator.FORMATS), default="mixed",
              show_default=True,
              help="Notification format: mixed (each operation versioned or, 30%, legacy), "
                   "versioned, legacy, or both twins (nova's notification_format=both).")
@click.option("--duplicate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Fraction of messages delivered twice (redeliveries).")
@click.option("--reorder", default=0, show_default=True, type=click.IntRange(0),
              help="Largest displacement of a delivery, in positions (0: emission order).")
@click.option("--no-start-events", is_flag=True,
              help="Leave out the *.start events (graphcdm ignores them).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("stream.jsonl"), show_default=True,
              help="Where the stream goes (JSON Lines, for `graphcdm replay`); '-' = stdout.")
@click.option("--expected", "-e", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Where the expected export goes (same shape as `graphcdm export`). "
                   "[default: OUTPUT with .expected.json]")
def simulate(nodes: int, instances: int, operations: int | None, seed: int, fmt: str,
             duplicate: float, reorder: int, no_start_events: bool, output: Path,
             expected: Path | None) -> None:
    """Generate a simulated cloud's notification stream and the graph it must give.

    The cloud boots (service.create for every compute, instances created
    across them), then lives: state changes, deletes and re-creates,
    rebuilds, resizes confirmed and reverted, live migrations (with nova's
    stale live_migration_post.end), shelve/offload/unshelve, services
    disabled and enabled, hosts failing (forced down, evacuated: rebuild.end
    from the destination with the old host in its payload) and recovering.
    Timestamps and publisher ids are nova's; --duplicate and --reorder fault
    the delivery.

    The expected export is computed from the simulator's own state of the
    cloud, not by graphcdm, so that

        graphcdm replay stream.jsonl && graphcdm export | diff - stream.expected.json

    checks graphcdm end to end (on an empty graph: `graphcdm reset` first).
    Prints a summary on stderr. Exit status: 0 done, 2 bad options or an
    unwritable file.
    """
    try:
        sim = simulator.Simulator(nodes=nodes, instances=instances, seed=seed,
                                  operations=operations, fmt=fmt, duplicate=duplicate,
                                  reorder=reorder, start_events=not no_start_events).run()
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    to_stdout = str(output) == "-"
    if expected is None:
        expected = Path("stream.expected.json") if to_stdout else \
            output.with_name(output.name.removesuffix(".jsonl") + ".expected.json")
    try:
        if to_stdout:
            for msg in sim.messages:
                sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
        else:
            simulator.write_stream(sim.messages, output)
        expected.write_text(export_mod.dumps(sim.expected), encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    s = simulator.summary(sim)
    ops = ", ".join(f"{k} {v}" for k, v in s["operations"].items())
    click.echo(f"{s['notifications']} notifications ({s['emitted']} distinct) "
               f"-> {'stdout' if to_stdout else output}; expected export -> {expected}", err=True)
    click.echo(f"cloud: {s['compute_nodes']} compute nodes, {s['instances']} instances "
               f"({s['unmapped']} shelved offloaded); operations: {ops}", err=True)
