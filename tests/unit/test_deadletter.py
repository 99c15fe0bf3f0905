"""Dead letters and the dispatcher: pure parts of the never-looping listener."""

from __future__ import annotations

import json
import stat

import neo4j.exceptions as nex

from graphcdm.graph.writer import is_security_error
from graphcdm.notifications import deadletter, replay
from graphcdm.notifications.dispatcher import Dispatcher, as_endpoint_message
from graphcdm.notifications.envelope import Notification, Rejected
from graphcdm.notifications.pipeline import classify


def _message(**over):
    base = {"ctxt": {}, "publisher_id": "nova-compute:h1", "event_type": "instance.update",
            "priority": "INFO",
            "payload": {"nova_object.data": {"uuid": "a1000000-0000-4000-8000-00000000000a",
                                             "display_name": "\ud800"}},
            "metadata": {"message_id": "m1", "timestamp": "2026-11-25 10:00:00.000001"}}
    base.update(over)
    return base


def test_surrogates_survive_and_the_file_is_private(tmp_path):
    path = tmp_path / "dead.jsonl"
    assert deadletter.append(str(path), deadletter.record(_message(), "lone surrogate", 2**20))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [line] = path.read_text(encoding="ascii").splitlines()
    back = json.loads(line)
    assert back["payload"]["nova_object.data"]["display_name"] == "\ud800"
    # replay reads it back, and parse rejects it again for the same reason
    [item] = list(replay.read(path, replay.ReplayClock()))
    assert isinstance(item.notification, Notification) and item.line == 1
    outcome = classify(item.notification)
    assert outcome.status == "rejected" and "surrogate" in outcome.reason


def test_over_limit_payloads_are_truncated_with_a_marker(tmp_path):
    path = tmp_path / "dead.jsonl"
    big = _message(payload={"blob": "x" * 3_000_000})
    for _ in range(3):
        deadletter.append(str(path), deadletter.record(big, "too big", 2**20))
    assert path.stat().st_size < 3 * (deadletter.HEAD_CHARS + 2000)
    back = json.loads(path.read_text().splitlines()[0])
    assert back["payload"] is None
    assert "byte limit" in back["payload_truncated"]["reason"]
    assert back["payload_truncated"]["head"].startswith('{"blob": "xxx')


def test_absurd_nesting_is_recorded_not_raised(tmp_path):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    line = deadletter.record(_message(payload=deep), "nested", 2**20)
    assert json.loads(line)["payload"] is None


def test_unwritable_file_is_logged_not_raised(tmp_path, caplog):
    assert not deadletter.append(str(tmp_path / "no" / "such" / "dir"), "{}")
    assert "cannot append" in caplog.text


class _Incoming:
    def __init__(self, message):
        self.message = message
        self.ctxt = {}


def test_dispatcher_hands_over_what_oslo_would_raise_on():
    seen = []

    def handler(messages):
        seen.extend(messages)
        return "handled"

    d = Dispatcher([], handler)
    batch = [_Incoming({"priority": None, "event_type": "x", "payload": {}}),
             _Incoming(["not", "a", "dict"]), _Incoming({"event_type": "y"})]
    assert d.dispatch(batch) == set()
    assert [m.get("priority", "absent") for m in seen] == [None, "absent", "absent"]
    assert seen[1]["payload"] == ["not", "a", "dict"]

    def failing(messages):
        raise RuntimeError("bug")

    assert Dispatcher([], failing).dispatch(batch) == set(batch)  # requeue, as oslo does


def test_endpoint_message_keeps_the_body_priority():
    msg = as_endpoint_message(_Incoming({"priority": "loud", "message_id": "m",
                                         "timestamp": "t", "payload": {}}))
    assert msg["priority"] == "loud" and msg["metadata"] == {"message_id": "m",
                                                             "timestamp": "t"}


def test_security_errors_are_the_databases_fault_not_the_datas():
    rate = nex.ClientError._hydrate_neo4j(
        code="Neo.ClientError.Security.AuthenticationRateLimit", message="slow down")
    auth = nex.ClientError._hydrate_neo4j(code="Neo.ClientError.Security.Unauthorized",
                                          message="no")
    syntax = nex.ClientError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError",
                                            message="x")
    assert isinstance(auth, nex.AuthError)
    assert is_security_error(rate) and is_security_error(auth)
    assert not is_security_error(syntax) and not is_security_error(ValueError())
    assert not isinstance(Rejected("x"), nex.Neo4jError)
