"""What every command needs at start: configuration, logging, a driver, a writer.

Kept in one place so that each command reads config, sets up logging,
connects and bootstraps the schema the same way, fails the same way (one
line and one exit status per kind of failure, see :data:`EXIT_CONFIG` and
:data:`EXIT_NEO4J`), and so that the log says what it is connected to
without ever saying a password.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

import click
from oslo_config import cfg
from oslo_log import log as oslo_log

from graphcdm import conf as conf_mod
from graphcdm import redact
from graphcdm.graph import db
from graphcdm.graph.writer import GraphWriter
from graphcdm.read.query import GraphQuery

LOG = logging.getLogger(__name__)

#: Exit status of every command for a configuration it cannot use (a missing
#: file, bad INI, a bad value): one line, no traceback.
EXIT_CONFIG = 2
#: Exit status of every command when Neo4j is unavailable (closed port, TLS
#: mismatch, refused credentials) within [neo4j] check_timeout.
EXIT_NEO4J = 3


class Fatal(click.ClickException):
    """A one-line failure with its exit status; click prints ``Error: ...`` on stderr."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_conf(ctx: click.Context | None = None) -> cfg.ConfigOpts:
    """oslo.config from ``graphcdm --config-file`` files plus env; oslo.log set up from it."""
    ctx = ctx or click.get_current_context(silent=True)
    obj = (ctx.find_root().obj or {}) if ctx else {}
    try:
        conf = conf_mod.load(obj.get("config_files", []))
    except (cfg.Error, ValueError) as exc:
        raise Fatal(f"configuration: {_one_line(exc)}", EXIT_CONFIG) from None
    if obj.get("debug"):
        conf.set_override("debug", True)
    try:
        oslo_log.setup(conf, "graphcdm")
    except (OSError, ValueError, RuntimeError) as exc:  # unwritable log_file, bad logging conf
        raise Fatal(f"logging configuration: {_one_line(exc)}", EXIT_CONFIG) from None
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            current = _CurrentStderr()
            current.setFormatter(handler.formatter)
            current.setLevel(handler.level)
            root.removeHandler(handler)
            root.addHandler(current)
    return conf


class _CurrentStderr(logging.StreamHandler):
    """oslo.log's stderr handler, looking sys.stderr up at each record.

    click's test runner swaps sys.stderr for each invocation; a handler bound
    to the stream of one invocation would write to a closed file afterwards.
    """

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def connect(conf: cfg.ConfigOpts):
    """A checked driver for a one-shot command, or :class:`Fatal` (exit 3) in seconds."""
    try:
        probe = db.connect(conf, timeout=conf.neo4j.check_timeout)
        try:
            db.check(probe, conf)
        finally:
            probe.close()
        return db.connect(conf)
    except db.Unavailable as exc:
        raise Fatal(str(exc), EXIT_NEO4J) from None


@contextlib.contextmanager
def open_reader(conf: cfg.ConfigOpts) -> Iterator[GraphQuery]:
    """A :class:`GraphQuery` on ``[neo4j]``: what every read-only command uses.

    Checked like :func:`open_writer`'s driver: exit 3 in seconds when Neo4j is down.
    """
    driver = connect(conf)
    try:
        LOG.debug("Neo4j %s database %s", redact.url(conf.neo4j.uri), conf.neo4j.database)
        yield GraphQuery(driver, conf.neo4j.database)
    finally:
        driver.close()


@contextlib.contextmanager
def open_writer(conf: cfg.ConfigOpts, *, schema: bool = True) -> Iterator[GraphWriter]:
    """A :class:`GraphWriter` on ``[neo4j]``; the schema is ensured when writing.

    Neo4j is checked first with ``[neo4j] check_timeout``: a one-shot command
    against a dead or mismatched server exits :data:`EXIT_NEO4J` in seconds
    instead of retrying for minutes.
    """
    driver = connect(conf)
    try:
        LOG.debug("Neo4j %s database %s", redact.url(conf.neo4j.uri), conf.neo4j.database)
        writer = GraphWriter(driver, conf.neo4j.database, retries=conf.neo4j.write_retries)
        if schema:
            writer.ensure_schema()
        yield writer
    finally:
        driver.close()
