"""From oslo.messaging's incoming messages to the listener's batch handler.

Why not oslo.messaging's own ``BatchNotificationDispatcher``: it reads each
message's ``priority`` with ``message.get('priority', '').lower()`` before
any endpoint runs, so a body whose priority is null (or whose decoded body
is not an object) raises out of the dispatcher and the *whole batch* is
requeued, comes straight back and raises again, forever; an unknown
priority string is acknowledged and dropped without a word. This
dispatcher hands every message to the handler as it came, whatever it
holds; the handler (:meth:`graphcdm.notifications.listener.Listener.handle`)
then commits it, rejects it alone, or requeues the batch for the
database's fault.

Bodies that oslo.messaging's rabbit driver cannot decode at all (invalid
UTF-8, not JSON) never reach a dispatcher: the driver logs "Failed to
process message ... skipping it." and rejects them without requeue (a
dead-letter exchange on the queue keeps them). :class:`UndecodableCounter`
counts those log records, the only sign the driver gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from oslo_messaging.notify import dispatcher as oslo_dispatcher

#: The rabbit driver's logger and the message it logs for an undecodable body.
RABBIT_LOGGER = "oslo_messaging._drivers.impl_rabbit"
_UNDECODABLE = "Failed to process message"

Handler = Callable[[list[dict[str, Any]]], Any]


def as_endpoint_message(incoming: Any) -> dict[str, Any]:
    """What oslo's dispatcher would give an endpoint, read without raising.

    ``priority`` is kept as the body has it (possibly absent, null or not a
    string): the envelope decides whether it is acceptable.
    """
    body = getattr(incoming, "message", None)
    if not isinstance(body, dict):
        return {"ctxt": {}, "publisher_id": None, "event_type": None, "payload": body,
                "metadata": {}, "body_type": type(body).__name__}
    message = {"ctxt": getattr(incoming, "ctxt", None) or {},
               "publisher_id": body.get("publisher_id"),
               "event_type": body.get("event_type"),
               "payload": body.get("payload"),
               "metadata": {"message_id": body.get("message_id"),
                            "timestamp": body.get("timestamp")}}
    if "priority" in body:
        message["priority"] = body["priority"]
    return message


class Dispatcher(oslo_dispatcher.BatchNotificationDispatcher):
    """Every message of a batch to ``handler`` in one call; see the module."""

    def __init__(self, endpoints: list[Any], handler: Handler) -> None:
        super().__init__(endpoints, None)
        self.handler = handler

    def dispatch(self, incoming: list[Any]) -> set[Any]:
        """Return the messages to requeue (all of them, or none)."""
        messages = [as_endpoint_message(m) for m in incoming]
        result = self._exec_callback(self.handler, messages)
        if result == oslo_dispatcher.NotificationResult.REQUEUE:
            return set(incoming)
        return set()


class UndecodableCounter(logging.Filter):
    """Counts the rabbit driver's "skipping it" records (bodies it cannot decode)."""

    def __init__(self, count: Callable[[], None]) -> None:
        super().__init__()
        self.count = count

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_UNDECODABLE):
            self.count()
        return True

    def install(self) -> None:
        logging.getLogger(RABBIT_LOGGER).addFilter(self)

    def remove(self) -> None:
        logging.getLogger(RABBIT_LOGGER).removeFilter(self)
