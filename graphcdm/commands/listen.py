"""``graphcdm listen``: run the notification listener until told to stop."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from graphcdm.commands import runtime

LOG = logging.getLogger(__name__)

#: Exit status when the listener cannot start for a reason of the bus (no broker
#: answers, TLS refused, nova's exchange declared with another durability) or is
#: stopped by a signal before it started consuming.
EXIT_CANNOT_START = 1


@click.command("listen")
@click.option("--pool", default=None,
              help="Override [notifications] pool (the queue graphcdm reads).")
@click.option("--topic", "topics", multiple=True,
              help="Override [notifications] topics (repeatable).")
@click.pass_context
def listen(ctx: click.Context, pool: str | None, topics: tuple[str, ...]) -> None:
    """Run the listener that keeps the graph current from nova's notifications.

    Reads [notifications] (transport_url, exchange, topics, pool, batch_size,
    batch_timeout), oslo.messaging's [oslo_messaging_rabbit] (durable or
    quorum queues, TLS, heartbeats), [neo4j] and [metrics] from the
    configuration files; GRAPHCDM_TRANSPORT_URL and GRAPHCDM_NEO4J_*
    override them. Logs its effective options at start (secrets masked).
    Runs until SIGTERM or SIGINT, which finish the batch in flight (it is
    committed and acknowledged, or requeued) before exiting.

    Checks Neo4j and the bus before it starts, each within a few seconds;
    once consuming it survives RabbitMQ and Neo4j restarts on its own:
    oslo.messaging reconnects to the bus, and a batch that Neo4j cannot take
    is requeued and delivered again.

    Exit codes: 0 stopped by a signal; 1 could not start for the bus (no
    broker answers, TLS refused, the exchange's durability differs from
    the configuration) or a signal came before it started consuming;
    2 bad configuration; 3 Neo4j unavailable at start-up.
    """
    conf = runtime.load_conf(ctx)
    if pool:
        conf.set_override("pool", pool, group="notifications")
    if topics:
        conf.set_override("topics", list(topics), group="notifications")

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        LOG.info("%s received: finishing the batch in flight", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    from graphcdm.notifications import bus
    from graphcdm.notifications.listener import Listener

    bus.register_opts(conf)
    conf.log_opt_values(LOG, logging.INFO)
    runtime.connect(conf).close()  # Neo4j: exit 3 in [neo4j] check_timeout seconds
    problem = None
    try:
        LOG.info("bus: %s", bus.probe(conf))
        listener = Listener(conf)
    except bus.BusError as exc:
        problem = str(exc)
    if problem is not None:  # logged outside the except: oslo.log would append the exception
        LOG.error("cannot start the listener: %s", problem)
        sys.exit(EXIT_CANNOT_START)
    started = _start(listener, stop)
    if not started:
        LOG.error("stopped before the listener started consuming")
        logging.shutdown()
        # oslo.messaging may be inside its reconnect loop in another thread, which no
        # call interrupts; nothing was consumed, so nothing is lost by leaving now.
        os._exit(EXIT_CANNOT_START)
    while not stop.wait(1.0):
        pass
    listener.stop()
    listener.wait()
    LOG.info("bye")


def _start(listener, stop: threading.Event) -> bool:
    """Start the listener in a thread so that a signal is honoured meanwhile.

    oslo.messaging declares the queues with unlimited retries: a broker that
    went away after the probe would otherwise hold the main thread, and
    SIGTERM with it (systemd's stop would hang). Returns False when a signal
    came first; exits :data:`EXIT_CANNOT_START` when the start failed.
    """
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            listener.start()
        except Exception as exc:  # noqa: BLE001 - reported below as one line
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="graphcdm-start", daemon=True).start()
    while not done.wait(0.2):
        if stop.is_set():
            return False
    if failure:
        exc = failure[0]
        LOG.error("cannot start the listener: %s: %s", type(exc).__name__,
                  " ".join(str(exc).split())[:300])
        sys.exit(EXIT_CANNOT_START)
    return True
