"""``graphcdm listen``: run the notification listener until told to stop."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from graphcdm.commands import runtime

LOG = logging.getLogger(__name__)


@click.command("listen")
@click.option("--pool", default=None,
              help="Override [notifications] pool (the queue graphcdm reads).")
@click.option("--topic", "topics", multiple=True,
              help="Override [notifications] topics (repeatable).")
@click.pass_context
def listen(ctx: click.Context, pool: str | None, topics: tuple[str, ...]) -> None:
    """Run the listener that keeps the graph current from nova's notifications.

    Reads [notifications] (transport_url, exchange, topics, pool, batch_size,
    batch_timeout), [neo4j] and [metrics] from the configuration files;
    GRAPHCDM_TRANSPORT_URL and GRAPHCDM_NEO4J_* override them. Runs until
    SIGTERM or SIGINT, which finish the batch in flight (it is committed and
    acknowledged, or requeued) before exiting.

    Survives RabbitMQ and Neo4j restarts on its own: oslo.messaging
    reconnects to the bus, and a batch that Neo4j cannot take is requeued
    and delivered again.

    Exit codes: 0 stopped by a signal; 1 could not start (bad configuration,
    Neo4j or the bus unreachable at start-up).
    """
    conf = runtime.load_conf(ctx)
    if pool:
        conf.set_override("pool", pool, group="notifications")
    if topics:
        conf.set_override("topics", list(topics), group="notifications")

    from graphcdm.notifications.listener import Listener

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        LOG.info("%s received: finishing the batch in flight", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        listener = Listener(conf)
        listener.start()
    except Exception as exc:  # noqa: BLE001 - a clear message, not a traceback
        LOG.error("cannot start the listener: %s: %s", type(exc).__name__, exc)
        sys.exit(1)
    while not stop.wait(1.0):
        pass
    listener.stop()
    listener.wait()
    LOG.info("bye")
