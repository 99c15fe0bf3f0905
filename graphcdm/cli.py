"""The ``graphcdm`` command line.

One click group; each sub-command lives in :mod:`graphcdm.commands` and is
imported only when it runs, so ``graphcdm --help`` stays fast and a broken
optional dependency of one command does not take the others down.
"""

from __future__ import annotations

import importlib
import logging

import click

#: sub-command name -> ("module:attribute" under graphcdm.commands, one-line help).
#: The line is here so that ``graphcdm --help`` lists commands without importing them.
COMMANDS: dict[str, tuple[str, str]] = {
    "neo4j": ("neo4j:neo4j", "Run a local Neo4j 5.26 server from Maven Central."),
    "replay": ("graph:replay", "Apply notifications from files, exactly as the listener would."),
    "export": ("graph:export", "Print the graph as canonical JSON."),
    "reset": ("graph:reset", "Empty the graph (constraints and indexes stay)."),
    "purge-tombstones": ("graph:purge_tombstones", "Delete delete-tombstones past their age."),
    "status": ("status:status", "Check Neo4j, the schema, the bus, nova and the listener."),
    "listen": ("listen:listen", "Run the notification listener that keeps the graph current."),
    "sync": ("sync:sync", "Load or resync the graph from the nova API (openstacksdk)."),
    "query": ("query:query", "Run a named read query (operators' questions) on the graph."),
    "viz": ("viz:viz", "Render the graph (or a host's neighbourhood) as an HTML page."),
    "simulate": ("simulate:simulate", "Generate a simulated cloud's notification stream."),
    "demo": ("demo:demo", "See graphcdm work: local Neo4j, simulated cloud, live listener."),
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attr = entry[0].split(":")
        return getattr(importlib.import_module(f"graphcdm.commands.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config-file",
    "config_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="oslo.config file to read (repeatable). Default: /etc/graphcdm/graphcdm.conf "
    "and ~/.graphcdm/graphcdm.conf when present.",
)
@click.option("--debug", is_flag=True, help="Log at DEBUG level.")
@click.version_option(package_name="graphcdm")
@click.pass_context
def main(ctx: click.Context, config_files: tuple[str, ...], debug: bool) -> None:
    """graphcdm keeps nova's compute cluster data model in Neo4j.

    Compute nodes, instances and the HOSTED_ON edges between them, kept
    current from nova's notifications and healed by a resync from the nova
    API. Configuration comes from oslo.config files; GRAPHCDM_NEO4J_URI,
    GRAPHCDM_NEO4J_USER and GRAPHCDM_NEO4J_PASSWORD override the [neo4j]
    section.
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Quieten chatty libraries unless asked.
    if not debug:
        for name in ("neo4j", "oslo.messaging", "amqp", "kombu", "urllib3", "openstack"):
            logging.getLogger(name).setLevel(logging.WARNING)
    ctx.obj = {"config_files": list(config_files), "debug": debug}


if __name__ == "__main__":  # pragma: no cover
    main()
