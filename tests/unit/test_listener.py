"""Pure parts of the listener: message decoding."""

from __future__ import annotations

from graphcdm import conf as conf_mod
from graphcdm.notifications.envelope import Notification, Rejected
from graphcdm.notifications.listener import Listener


def _decoder() -> Listener:
    """A Listener without __init__: decode() only reads conf."""
    listener = Listener.__new__(Listener)
    listener.conf = conf_mod.load([])
    return listener


def _message(**fields):
    base = {"ctxt": {}, "publisher_id": "nova-compute:h1", "event_type": "service.update",
            "payload": {"nova_object.data": {"host": "h1"}},
            "metadata": {"message_id": "m1", "timestamp": "2026-11-25 10:00:00.000001"}}
    base.update(fields)
    return base


def test_decode_valid_message():
    item = _decoder().decode(_message())
    assert isinstance(item, Notification)
    assert (item.event_type, item.publisher_host, item.message_id) == ("service.update", "h1",
                                                                       "m1")


def test_decode_rejects_instead_of_raising():
    d = _decoder()
    assert isinstance(d.decode(_message(payload=[1, 2])), Rejected)
    assert isinstance(d.decode(_message(metadata={"message_id": "m", "timestamp": "noon"})),
                      Rejected)
    assert isinstance(d.decode(_message(metadata=None)), Rejected)
    assert isinstance(d.decode(_message(event_type=7)), Rejected)
    big = {"nova_object.data": {"blob": "x" * 2_000_000}}
    reason = str(d.decode(_message(payload=big)))
    assert "over the" in reason
