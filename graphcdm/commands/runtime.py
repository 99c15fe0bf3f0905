"""What every command needs at start: configuration, a driver, a writer.

Kept in one place so that each command reads config, connects and
bootstraps the schema the same way, and so that the log says what it is
connected to without ever saying a password.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import click
from oslo_config import cfg

from graphcdm import conf as conf_mod
from graphcdm import redact
from graphcdm.graph import db
from graphcdm.graph.writer import GraphWriter
from graphcdm.read.query import GraphQuery

LOG = logging.getLogger(__name__)


def load_conf(ctx: click.Context | None = None) -> cfg.ConfigOpts:
    """oslo.config from the files given to ``graphcdm --config-file`` plus env."""
    ctx = ctx or click.get_current_context(silent=True)
    files = (ctx.find_root().obj or {}).get("config_files", []) if ctx else []
    return conf_mod.load(files)


@contextlib.contextmanager
def open_reader(conf: cfg.ConfigOpts) -> Iterator[GraphQuery]:
    """A :class:`GraphQuery` on ``[neo4j]``: what every read-only command uses."""
    driver = db.connect(conf)
    try:
        LOG.info("Neo4j %s database %s", redact.url(conf.neo4j.uri), conf.neo4j.database)
        yield GraphQuery(driver, conf.neo4j.database)
    finally:
        driver.close()


@contextlib.contextmanager
def open_writer(conf: cfg.ConfigOpts, *, schema: bool = True) -> Iterator[GraphWriter]:
    """A :class:`GraphWriter` on ``[neo4j]``; the schema is ensured when writing."""
    driver = db.connect(conf)
    try:
        LOG.info("Neo4j %s database %s", redact.url(conf.neo4j.uri), conf.neo4j.database)
        writer = GraphWriter(driver, conf.neo4j.database, retries=conf.neo4j.write_retries)
        if schema:
            writer.ensure_schema()
        yield writer
    finally:
        driver.close()
