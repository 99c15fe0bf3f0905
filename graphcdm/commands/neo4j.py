"""``graphcdm neo4j start|stop|status``: a local Neo4j without Docker."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graphcdm import neo4jlocal


def _options(fn):
    for decorator in reversed([
        click.option("--home", type=click.Path(file_okay=False, path_type=Path),
                     envvar="GRAPHCDM_NEO4J_HOME", show_envvar=True,
                     help="Server directory (conf, data, logs, pid). "
                          "[default: ~/.local/share/graphcdm/neo4j]"),
        click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
                     envvar="GRAPHCDM_CACHE", show_envvar=True,
                     help="Where Maven-resolved jars are kept and reused. "
                          "[default: ~/.cache/graphcdm]"),
        click.option("--bolt-port", type=click.IntRange(1, 65535), default=7687,
                     show_default=True, envvar="GRAPHCDM_NEO4J_BOLT_PORT"),
        click.option("--http-port", type=click.IntRange(1, 65535), default=7474,
                     show_default=True, envvar="GRAPHCDM_NEO4J_HTTP_PORT",
                     help="HTTP port; the Browser is at /browser/."),
    ]):
        fn = decorator(fn)
    return fn


def _settings(home, cache, bolt_port, http_port, **extra) -> neo4jlocal.Settings:
    settings = neo4jlocal.Settings(bolt_port=bolt_port, http_port=http_port, **extra)
    if home:
        settings.home = home.resolve()
    if cache:
        settings.cache = cache.resolve()
    return settings


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def neo4j() -> None:
    """Run a local Neo4j 5.26 Community server from Maven Central.

    The first start resolves the server's jars with Maven (a few hundred MB,
    once, into the cache) and needs java and mvn on PATH. The server listens
    on 127.0.0.1 only, without authentication: it is for tests, the demo and
    trying graphcdm, not for production (use docker-compose.yml or your own
    Neo4j there).
    """


@neo4j.command()
@_options
@click.option("--heap", default="1g", show_default=True, help="JVM heap (initial = max).")
@click.option("--pagecache", default="512m", show_default=True, help="Page cache size.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for Bolt.")
def start(home, cache, bolt_port, http_port, heap, pagecache, timeout) -> None:
    """Start the server (or say it already runs) and print its Bolt URI."""
    settings = _settings(home, cache, bolt_port, http_port, heap=heap, pagecache=pagecache)
    try:
        uri = neo4jlocal.start(settings, log=_log, timeout=timeout)
    except neo4jlocal.Neo4jLocalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(uri)


@neo4j.command()
@_options
def stop(home, cache, bolt_port, http_port) -> None:
    """Stop the server `start` started (by its recorded pid); nothing else."""
    neo4jlocal.stop(_settings(home, cache, bolt_port, http_port), log=_log)


@neo4j.command()
@_options
def status(home, cache, bolt_port, http_port) -> None:
    """Exit 0 when Bolt answers on the port, 3 otherwise."""
    settings = _settings(home, cache, bolt_port, http_port)
    pid = neo4jlocal.running_pid(settings)
    if neo4jlocal.bolt_answers(settings.bolt_uri):
        owner = f"started by graphcdm, pid {pid}" if pid else "not started by graphcdm"
        click.echo(f"Neo4j answers at {settings.bolt_uri} ({owner}); "
                   f"Browser {settings.browser_url}")
        return
    click.echo(f"Neo4j does not answer at {settings.bolt_uri}", err=True)
    sys.exit(3)
