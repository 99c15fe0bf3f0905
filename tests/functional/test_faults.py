"""Faults of issue 16 against real components: repeated message ids, a compute clock
years ahead followed by a resync (Watcher's nova emulator), credentials rotated
mid-stream (a Neo4j of its own with authentication on), a database that
is not there (the database's fault, not the data's), and the dead-letter
file's round trip through ``graphcdm replay``.

Each asserts the outcome, never that a function was called: the graph after
the stream equals the valid stream's, nothing is acknowledged that was
neither committed nor rejected for its own fault.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
import uuid as uuidlib
from collections.abc import Iterator

import neo4j
import pytest
from click.testing import CliRunner

from graphcdm import neo4jlocal
from graphcdm.cli import main
from graphcdm.graph.writer import GraphWriter, WriteFailed
from graphcdm.notifications import envelope
from graphcdm.notifications.listener import Listener
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from graphcdm.sim.simulator import Simulator
from graphcdm.sync import resync
from tests.functional import fixtures as support
from tests.functional.emulators import Cloud
from tests.functional.fixtures import topology
from tests.functional.test_scenarios import inst, view

A = "a1000000-0000-4000-8000-00000000000a"
T0 = dt.datetime(2026, 11, 25, 10, 0, 0)


@pytest.fixture
def names() -> dict[str, str]:
    """Topics and pool of this test's own on the shared broker."""
    tag = uuidlib.uuid4().hex[:10]
    return {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
            "pool": f"graphcdm-test-{tag}", "exchange": "nova"}


def uuid_of(t, name: str) -> str:
    return next(i.uuid for i in t.instances if i.name == name)


def placement(writer) -> dict[str, str | None]:
    """uuid -> hypervisor_hostname of its node (None: unmapped)."""
    return {i["uuid"]: (i["hosted_on"] or {}).get("hypervisor_hostname")
            for i in export.export(writer)["instances"]}


def note(msg: dict) -> envelope.Notification:
    return envelope.from_message(msg)


# --------------------------------------------------------------------------
# repeated message ids


def test_a_repeated_message_id_with_other_content_changes_nothing(writer):
    """The same message id and timestamp is the same notification: the first content
    committed wins; a repeat naming another node leaves no phantom placeholder, a
    repeat that is a delete.end deletes nothing (issue 16 item 4)."""
    a = emitter.Instance(A, "h1", "n1")
    first = emitter.instance_event("instance.create.end", a, timestamp=T0, message_id="dup")
    moved = emitter.instance_event("instance.update", a.replace(host="h9", node="n9"),
                                   timestamp=T0, message_id="dup")
    deleted = emitter.instance_event("instance.delete.end", a, timestamp=T0, message_id="dup")
    expect = {"nodes": {"n1": {"hostname": "h1", "status": None, "disabled_reason": None,
                               "placeholder": True}},
              "instances": {A: inst("n1", "h1")}}
    pipeline = Pipeline(writer)
    pipeline.apply([note(first)])
    pipeline.apply([note(moved)])
    pipeline.apply([note(deleted)])
    assert view(export.export(writer)) == expect
    writer.reset()
    Pipeline(writer).apply([note(first), note(moved), note(deleted)])  # one batch
    assert view(export.export(writer)) == expect


def test_repeated_ids_sharing_a_batch_are_applied_in_arrival_order(writer):
    """The first content committed wins, also when the twins share a batch: a
    soft delete and a lock with one message id and timestamp (the same rank:
    equal versions) give what applying them one by one gives, in either
    order. Inside one run of the writer's plan the statements' order decided
    instead, so the graph depended on how the listener happened to batch
    (found by test_fuzz_graph through RabbitMQ; ``pipeline.in_arrival_order``)."""
    a = emitter.Instance(A, "h1", "n1")
    create = emitter.instance_event("instance.create.end", a, timestamp=T0 - dt.timedelta(1))
    soft = emitter.instance_event("instance.soft_delete.end", a, timestamp=T0, message_id="dup")
    lock = emitter.instance_event("instance.lock", a, timestamp=T0, message_id="dup")
    assert note(soft).version == note(lock).version
    for twins, present in (([soft, lock], False), ([lock, soft], True)):
        items = [note(create)] + [note(m) for m in twins]
        writer.reset()
        pipeline = Pipeline(writer)
        for item in items:
            pipeline.apply([item])
        alone = export.export(writer)
        assert (A in placement(writer)) is present
        writer.reset()
        Pipeline(writer).apply(items)  # one batch
        assert export.export(writer) == alone, [m["event_type"] for m in twins]


# --------------------------------------------------------------------------
# a compute clock years ahead, then a resync


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    c = Cloud(topology())
    yield c
    c.stop()


@pytest.fixture
def sconf(conf, cloud):
    for key, value in cloud.conf_overrides().items():
        conf.set_override(key, value, group="nova")
    conf.set_override("max_clock_ahead", 1.0, group="notifications")
    return conf


def _lying_stream(t) -> tuple[list[envelope.Notification], str, str, str]:
    """A compute stamping 2031 moves vm-1, disables compute-3 and creates a phantom;
    a spurious delete.end (ordinary clock) removes vm-3, which nova still lists."""
    future = dt.datetime(2031, 1, 1)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    vm1, vm3, phantom = uuid_of(t, "vm-1"), uuid_of(t, "vm-3"), str(uuidlib.uuid4())
    messages = [
        emitter.instance_event("instance.update",
                               emitter.Instance(vm1, "compute-2", "compute-2"), timestamp=future),
        emitter.service_event("service.update", "compute-3", timestamp=future, disabled=True,
                              disabled_reason="lying clock"),
        emitter.instance_event("instance.create.end",
                               emitter.Instance(phantom, "compute-1", "compute-1"),
                               timestamp=future),
        emitter.instance_event("instance.delete.end",
                               emitter.Instance(vm3, "compute-2", "compute-2"),
                               timestamp=now - dt.timedelta(seconds=30)),
    ]
    return [note(m) for m in messages], vm1, vm3, phantom


def test_a_clock_years_ahead_is_corrected_by_the_next_resync(writer, sconf, cloud):
    """Versions are clamped to the receiver's clock + [notifications] max_clock_ahead
    (1 s here), so a resync starting later wins over what the lying clock said; a
    complete poll listing an instance lifts a delete older than the poll by more
    than the bound (nova destroys the row before delete.end:
    nova/compute/manager.py ComputeManager._delete_instance)."""
    t = topology()
    resync(sconf, writer)
    synced = export.export(writer)
    items, vm1, vm3, phantom = _lying_stream(t)
    pipeline = Pipeline(writer, max_ahead=1.0)
    pipeline.apply(items)
    assert pipeline.counts.clamped == 3 and pipeline.counts.applied == 4
    where = placement(writer)
    assert where[vm1] == "compute-2" and phantom in where and vm3 not in where
    time.sleep(1.2)
    resync(sconf, writer)
    assert export.export(writer) == synced


def test_unbounded_a_lying_clock_would_win_over_the_resync(writer, sconf, cloud):
    """The same stream without the bound: the resync cannot correct vm-1 (what
    the bound is for; this is the failure the previous test would show)."""
    t = topology()
    resync(sconf, writer)
    items, vm1, _, _ = _lying_stream(t)
    Pipeline(writer, max_ahead=None).apply(items)
    time.sleep(1.2)
    resync(sconf, writer)
    assert placement(writer)[vm1] == "compute-2"


# --------------------------------------------------------------------------
# credentials rotated mid-stream


def test_a_database_that_is_not_there_requeues_and_rejects_nothing(writer, neo4j_driver):
    """``Neo.ClientError.Database.DatabaseNotFound`` is a ClientError, as the
    data's refusals are, but it is about the database (a database being
    created, dropped or not yet started answers it too): the batch must come
    back for later (WriteFailed: the listener requeues, replay stops), and no
    notification is rejected and acknowledged for it."""
    clock = emitter.Clock()
    stream = [note(emitter.instance_event("instance.create.end", emitter.Instance(A, "h1", "n1"),
                                          timestamp=clock())),
              note(emitter.service_event("service.update", "h1", disabled=True,
                                         timestamp=clock()))]
    missing = Pipeline(GraphWriter(neo4j_driver, "graphcdm-not-there", retries=0))
    with pytest.raises(WriteFailed, match="Neo.ClientError.Database.DatabaseNotFound"):
        missing.apply(stream)
    assert missing.counts.rejected == 0 and missing.counts.applied == 0
    # the same batch, once the database is there, is applied whole
    outcomes = Pipeline(writer).apply(stream)
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert placement(writer) == {A: "n1"}


@pytest.fixture(scope="module")
def auth_neo4j(tmp_path_factory) -> Iterator[tuple[neo4jlocal.Settings, str]]:
    """A Neo4j of this module's own with authentication on; yields (settings, password)."""
    settings = neo4jlocal.Settings(home=tmp_path_factory.mktemp("neo4j-auth"), bolt_port=7835,
                                   http_port=7839, heap="512m", pagecache="128m", auth=True)
    try:
        neo4jlocal.start(settings, log=lambda m: None)
    except neo4jlocal.Neo4jLocalError as exc:
        pytest.fail(f"could not start the authenticated Neo4j: {exc}")
    password = "first-" + uuidlib.uuid4().hex[:8]
    with neo4j.GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", "neo4j")) as d, \
            d.session(database="system") as s:
        s.run("ALTER CURRENT USER SET PASSWORD FROM 'neo4j' TO $p", p=password).consume()
    try:
        yield settings, password
    finally:
        neo4jlocal.stop(settings, log=lambda m: None)


def _set_password(uri: str, current: str, new: str, timeout: float = 60.0) -> None:
    """ALTER USER as the admin, waiting out Neo4j's lock after failed logins."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with neo4j.GraphDatabase.driver(uri, auth=("neo4j", current)) as d, \
                    d.session(database="system") as s:
                s.run("ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", p=new).consume()
            return
        except neo4j.exceptions.ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_credentials_rotated_mid_stream_requeue_and_lose_nothing(conf, rabbit_url, names,
                                                                 auth_neo4j):
    """A password rotation: the server refuses the listener's credentials (AuthError,
    then AuthenticationRateLimit); batches are requeued with back-off, /healthz says
    503, graphcdm_graph_write_failing is 1, nothing is rejected or acknowledged;
    when the credentials work again every notification is applied (issue 16 item 2)."""
    settings, password = auth_neo4j
    sim = Simulator(nodes=4, instances=30, operations=60, fmt="both", seed=5).run()
    # connections live 1 s, so that the rotation reaches the pool at once
    driver = neo4j.GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", password),
                                        max_connection_lifetime=1,
                                        max_transaction_retry_time=1.0,
                                        notifications_min_severity="OFF")
    writer = GraphWriter(driver, "neo4j", retries=1, max_backoff=0.5)
    writer.reset()
    writer.ensure_schema()
    conf.set_override("uri", settings.bolt_uri, group="neo4j")
    support.configure_listener(conf, names, port=support.free_port(), batch_size=20)
    transport = support.nova_transport(rabbit_url)
    listener = Listener(conf, writer=writer, transport=transport)
    rotated = "second-" + uuidlib.uuid4().hex[:8]
    try:
        listener.start()
        third = len(sim.messages) // 3
        support.publish_raw(transport, sim.messages[:third], names)
        support.wait_processed(listener, third, timeout=120)
        _set_password(settings.bolt_uri, password, rotated)
        time.sleep(1.5)  # the pool's connections expire
        support.publish_raw(transport, sim.messages[third:], names)
        deadline = time.monotonic() + 60
        while listener.stats.snapshot()["requeued"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        code, health = support.get_json(f"http://127.0.0.1:{listener.metrics_port}/healthz")
        metrics = urllib.request.urlopen(
            f"http://127.0.0.1:{listener.metrics_port}/metrics", timeout=10).read().decode()
        during = support.processed(listener)
        _set_password(settings.bolt_uri, rotated, password)
        support.wait_processed(listener, len(sim.messages), timeout=180)
        got = export.export(writer)
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
        driver.close()
    assert listener.stats.snapshot()["requeued"] > 0
    assert code == 503 and health["writes"]["ok"] is False
    assert "Neo.ClientError.Security" in health["writes"]["detail"]
    assert password not in json.dumps(health) and rotated not in json.dumps(health)
    assert "graphcdm_graph_write_failing 1.0" in metrics
    assert during < len(sim.messages)
    assert listener.counts.rejected == 0
    assert got == sim.expected


# --------------------------------------------------------------------------
# dead-letter round trip


def test_dead_letters_replay_after_a_fix(conf, rabbit_url, writer, names, tmp_path):
    """Rejected notifications reach the dead-letter file (0600) through the real bus;
    ``graphcdm replay`` of the file rejects each again for the same reason and
    changes nothing; a fixed line replays into the graph."""
    sim = Simulator(nodes=3, instances=10, operations=20, fmt="mixed", seed=9).run()
    dead = tmp_path / "dead.jsonl"
    support.configure_listener(conf, names, dead_letter_file=str(dead))
    transport = support.nova_transport(rabbit_url)
    bad = support.bad_messages()
    listener = Listener(conf, writer=writer, transport=transport)
    try:
        listener.start()
        support.publish_raw(transport, sim.messages + bad, names)
        support.wait_processed(listener, len(sim.messages) + len(bad), timeout=120)
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    assert export.export(writer) == sim.expected
    assert dead.stat().st_mode & 0o777 == 0o600
    lines = dead.read_text(encoding="ascii").splitlines()
    assert len(lines) == len(bad)
    result = CliRunner().invoke(main, ["replay", "--no-progress", str(dead)])
    assert result.exit_code == 1, result.output
    assert f"applied 0, ignored 0, rejected {len(bad)}" in result.output
    assert export.export(writer) == sim.expected
    # fix the non-decimal digit and replay that line alone
    [line] = [json.loads(x) for x in lines if '"\\u00b2"' in x]
    line["payload"]["nova_object.data"]["flavor"]["nova_object.data"]["vcpus"] = 4
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps(line) + "\n")
    result = CliRunner().invoke(main, ["replay", "--no-progress", str(fixed)])
    assert result.exit_code == 0, result.output
    uuid = line["payload"]["nova_object.data"]["uuid"]
    [repaired] = [i for i in export.export(writer)["instances"] if i["uuid"] == uuid]
    assert repaired["vcpus"] == 4
