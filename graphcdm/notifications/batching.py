"""How the listener forms its batches: group commit on top of oslo.messaging.

Why not oslo.messaging's own batching. Its batch listener
(``oslo_messaging.notify.listener.BatchNotificationServer``) polls with
``oslo_messaging._drivers.base.batch_poll_helper``, which keeps reading
until ``batch_size`` messages came or ``batch_timeout`` seconds passed: at
1,000 notifications/s with 500 per batch, every batch waits the full
timeout, so the timeout *is* the median latency (the 0.2 s default gave
p50 216 ms). Its ``PollStyleListenerAdapter`` then hands each batch to the
executor without looking whether a worker is free, so while one batch
commits the next ones are cut by the clock and queue behind it.

Group commit instead: one thread keeps reading messages as they come; as
soon as a worker is free it gets *everything read so far* (up to
``batch_size``). In a quiet cloud a notification is committed alone, right
away; under load the batch grows by itself to what arrived during the
previous commit, so a busy listener commits large batches and loses no
throughput. Nothing waits on a clock.

What stays oslo.messaging's (and is not re-implemented here): the rabbit
driver's connection, consumer declaration, reconnection and heartbeats
(``NotificationAMQPListener``), and the server's dispatch and
acknowledgement: a message is acknowledged by
``BatchNotificationServer._process_incoming`` only after the endpoint
returned, i.e. after the commit, or requeued when the endpoint says
``REQUEUE``. Only the loop that calls the driver's ``poll`` is ours
(:class:`GroupCommitAdapter`), and it stays on oslo.messaging's
poll-style listener interface.

``[notifications] batching = timeout`` keeps oslo.messaging's own policy
(for comparison in ``benchmarks/end_to_end.py``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import oslo_messaging
from oslo_messaging._drivers import base as driver_base
from oslo_messaging.notify import listener as notify_listener
from oslo_utils import excutils

LOG = logging.getLogger(__name__)

POLICIES = ("group", "timeout")

#: How long one poll waits for the first message when nothing is buffered.
#: Short, so that a stop request is seen promptly; waiting costs nothing.
IDLE_POLL = 0.5

#: How long one poll reads while messages are buffered and every worker is
#: busy: the reader comes back this often to hand the buffer to a worker
#: that became free.
BUSY_POLL = 0.002


class GroupCommitAdapter(driver_base.PollStyleListenerAdapter):
    """Reads continuously; hands a worker everything read once one is free.

    ``workers`` is the number of executor threads; ``free`` a condition the
    server notifies when a batch is done. A batch never exceeds
    ``batch_size``; the reader stops reading (RabbitMQ keeps the rest)
    while ``batch_size`` messages are buffered and no worker is free.
    """

    def __init__(self, poll_style_listener: Any, batch_size: int, gate: _Gate) -> None:
        super().__init__(poll_style_listener, batch_size, None)
        self._gate = gate
        #: read, not yet handed to a worker (an attribute, so that a restart of
        #: the loop after an unexpected error keeps them)
        self._buffered: list[Any] = []

    @excutils.forever_retry_uncaught_exceptions
    def _runner(self) -> None:
        poll = self._poll_style_listener.poll
        buffered = self._buffered
        while self._started:
            if buffered and self._gate.try_take():
                batch = buffered[:self.batch_size]
                del buffered[:self.batch_size]
                self.on_incoming_callback(batch)
                continue
            if len(buffered) >= self.batch_size:
                self._gate.wait_free(IDLE_POLL)  # full: let RabbitMQ hold the rest
                continue
            if buffered:
                got = poll(batch_size=self.batch_size - len(buffered), batch_timeout=BUSY_POLL)
            else:
                got = poll(batch_size=1, batch_timeout=IDLE_POLL)
            buffered.extend(got)
        # stopped: hand over what was read and what the driver still holds,
        # as oslo.messaging's adapter does (they are acknowledged after commit)
        while True:
            buffered.extend(poll(batch_size=self.batch_size, batch_timeout=BUSY_POLL))
            if not buffered:
                return
            batch = buffered[:self.batch_size]
            del buffered[:self.batch_size]
            self._gate.take()
            self.on_incoming_callback(batch)


class _Gate:
    """Counts batches in flight against the number of workers."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._busy = 0
        self._cond = threading.Condition()

    def try_take(self) -> bool:
        with self._cond:
            if self._busy >= self.workers:
                return False
            self._busy += 1
            return True

    def take(self) -> None:
        """Count a batch handed over whatever the load (the final drain)."""
        with self._cond:
            self._busy += 1

    def done(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def wait_free(self, timeout: float) -> None:
        with self._cond:
            if self._busy >= self.workers:
                self._cond.wait(timeout)


class GroupCommitServer(notify_listener.BatchNotificationServer):
    """oslo.messaging's batch notification server with a group-commit reader."""

    def __init__(self, transport: Any, targets: list[oslo_messaging.Target], dispatcher: Any,
                 *, workers: int, batch_size: int, allow_requeue: bool = True,
                 pool: str | None = None) -> None:
        super().__init__(transport, targets, dispatcher, "threading", allow_requeue, pool,
                         batch_size, None)
        self._gate = _Gate(workers)

        self._adapter: GroupCommitAdapter | None = None

    @property
    def buffered(self) -> int:
        """Messages read and not yet handed to a worker (waiting for one to be free)."""
        return len(self._adapter._buffered) if self._adapter else 0

    def _create_listener(self) -> Any:
        adapter = super()._create_listener()
        if not isinstance(adapter, driver_base.PollStyleListenerAdapter):
            LOG.warning("transport listener %s is not poll-style: oslo.messaging's "
                        "batching applies", type(adapter).__name__)
            return adapter
        self._adapter = GroupCommitAdapter(adapter._poll_style_listener, self._batch_size,
                                           self._gate)
        return self._adapter

    def _process_incoming(self, incoming: list[Any]) -> None:
        try:
            super()._process_incoming(incoming)  # dispatch, then ack / requeue
        finally:
            self._gate.done()


def batch_listener(transport: Any, targets: list[oslo_messaging.Target], dispatcher: Any, *,
                   policy: str, batch_size: int, batch_timeout: float, workers: int,
                   pool: str | None) -> Any:
    """The listener's message-handling server for a batching ``policy``.

    ``dispatcher`` is a batch dispatcher (the listener's own,
    :class:`graphcdm.notifications.dispatcher.Dispatcher`). ``group``:
    :class:`GroupCommitServer` (``batch_timeout`` unused); ``timeout``:
    oslo.messaging's ``BatchNotificationServer`` with its poll-until-timeout.
    """
    if policy == "timeout":
        return notify_listener.BatchNotificationServer(
            transport, targets, dispatcher, "threading", allow_requeue=True, pool=pool,
            batch_size=batch_size, batch_timeout=batch_timeout)
    if policy != "group":
        raise ValueError(f"batching policy must be one of {POLICIES}, not {policy!r}")
    return GroupCommitServer(transport, targets, dispatcher, workers=workers,
                             batch_size=batch_size, allow_requeue=True, pool=pool)
