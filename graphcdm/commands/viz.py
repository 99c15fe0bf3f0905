"""``graphcdm viz --out FILE.html``: the graph as an interactive, self-contained HTML page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graphcdm.commands import runtime

#: Exit status when Neo4j cannot be reached or the query fails.
EXIT_DATABASE = runtime.EXIT_NEO4J
#: Exit status when --host names no compute node.
EXIT_NO_HOST = 4


@click.command()
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (opens offline: the renderer is inlined).")
@click.option("--host", default=None,
              help="Only this host's neighbourhood: its compute node(s), by service host or "
                   "hypervisor hostname, and the instances they host.")
@click.option("--limit", type=click.IntRange(1, 20000), default=5000, show_default=True,
              help="At most this many compute nodes and this many instances.")
def viz(out: Path, host: str | None, limit: int) -> None:
    """Render the current graph (or a host's neighbourhood) as an HTML page.

    Compute nodes are coloured by state -- green up and enabled, amber
    disabled, red down, grey placeholder awaiting resync -- and sized by
    vCPU capacity; instances are coloured by vm state and sized by vCPUs.
    Drawn with neo4j-viz (Neo4j's NVL renderer); pan, zoom, search and click
    a node to see its properties.

    Exit status: 0 page written; 2 usage or configuration error; 3 Neo4j
    unavailable or the query failed; 4 --host names no compute node.
    """
    from graphcdm.read import viz as viz_mod

    try:
        import neo4j_viz  # noqa: F401 - optional (GPL-3.0), checked before any work
    except ImportError as exc:
        raise click.ClickException(
            f"graphcdm viz needs the optional neo4j-viz package ({exc}); "
            "install it with: pip install 'graphcdm[viz]' (neo4j-viz is GPL-3.0)") from None

    conf = runtime.load_conf()
    try:
        with runtime.open_reader(conf) as reader:
            nodes, instances = viz_mod.fetch(reader, host=host, limit=limit)
    except Exception as exc:  # driver/config errors: say what, exit 3
        if type(exc).__module__.startswith(("neo4j", "oslo_config")):
            click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_DATABASE)
        raise
    if host is not None and not nodes:
        click.echo(f"error: no compute node for host {host!r}", err=True)
        sys.exit(EXIT_NO_HOST)
    title = f"graphcdm: {host}" if host else "graphcdm: compute cluster"
    html = viz_mod.render_html(viz_mod.build(nodes, instances), title)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(nodes)} compute nodes, {len(instances)} instances)")
