"""graphcdm on a RabbitMQ set up as production deployments set it up.

A node of the tests' own (tests/functional/rabbitnode.py): nova's exchange
declared durable (``[oslo_messaging_rabbit] amqp_durable_queues = true`` in
nova.conf), quorum queues (``rabbit_quorum_queue = true``, kolla-ansible's
default), a TLS listener. nova's side publishes with oslo.messaging's
Notifier on a transport configured as nova.conf would configure it
(nova/rpc.py: ``get_notification_transport(CONF)``); graphcdm's side is
configured only through graphcdm's own options, as an operator would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from graphcdm.notifications import bus
from graphcdm.notifications.listener import Listener
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support
from tests.functional.rabbitnode import RabbitNode, configure, nova_transport

#: the password of the broker user the tests create; no output may hold it
SECRET = "bus-Secret-pw-4711"


@pytest.fixture
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
            "pool": f"graphcdm-{tag}", "exchange": f"nova-{tag}"}


@pytest.fixture(scope="module")
def node(rabbit_node: RabbitNode) -> RabbitNode:
    """The node, with a user whose password the tests look for in every output."""
    rabbit_node.ctl("add_user", "graphcdm", SECRET, check=False)
    rabbit_node.ctl("set_permissions", "-p", "/", "graphcdm", ".*", ".*", ".*")
    return rabbit_node


def declare_exchange(node: RabbitNode, name: str, durable: bool) -> None:
    """nova's exchange as nova (started first) declared it."""
    import kombu

    with kombu.Connection(f"amqp://guest:guest@127.0.0.1:{node.amqp_port}//") as conn:
        conn.channel().exchange_declare(name, "topic", durable=durable, auto_delete=False)


def queues(node: RabbitNode) -> dict[str, dict[str, str]]:
    rows = node.ctl("list_queues", "name", "type", "durable", "messages").stdout.splitlines()
    out = {}
    for row in rows:
        parts = row.split("\t")
        if len(parts) == 4:
            out[parts[0]] = {"type": parts[1], "durable": parts[2], "messages": parts[3]}
    return out


def test_durable_nova_exchange_with_amqp_durable_queues(conf, writer, node, names):
    """nova declared its exchange durable first; graphcdm, told so, starts and applies."""
    declare_exchange(node, names["exchange"], durable=True)
    sim = Simulator(nodes=3, instances=20, operations=40, fmt="both", seed=5).run()
    configure(conf, names, node.url("graphcdm", SECRET), amqp_durable_queues=True)
    conf.set_override("port", support.free_port(), group="metrics")
    assert "is durable as configured" in bus.probe(conf)
    nova = nova_transport(node.url(), names["exchange"], amqp_durable_queues=True)
    listener = Listener(conf, writer=writer)
    try:
        listener.start()
        support.publish_with_notifier(nova, sim.messages, names)
        support.wait_processed(listener, len(sim.messages), timeout=90)
        base = f"http://127.0.0.1:{listener.metrics_port}"
        health = urllib.request.urlopen(base + "/healthz", timeout=30).read().decode()
        metrics = urllib.request.urlopen(base + "/metrics", timeout=30).read().decode()
    finally:
        support.stop(listener)
        nova.cleanup()
    assert export.export(writer) == sim.expected
    assert json.loads(health)["bus"] == {
        "ok": True, "detail": f"connected; exchange {names['exchange']} is durable as configured"}
    assert SECRET not in health and SECRET not in metrics
    mine = {k: v for k, v in queues(node).items() if names["pool"] in k}
    assert mine and all(v["durable"] == "true" for v in mine.values()), mine


def _listen(tmp_path: Path, config: str, neo4j_uri: str, timeout: float = 60) -> tuple[int, str]:
    path = tmp_path / "graphcdm.conf"
    path.write_text(config)
    env = dict(os.environ, GRAPHCDM_NEO4J_URI=neo4j_uri, GRAPHCDM_NEO4J_PASSWORD="")
    env.pop("GRAPHCDM_TRANSPORT_URL", None)
    done = subprocess.run([sys.executable, "-m", "graphcdm.cli", "--config-file", str(path),
                           "listen"], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=support.REPO, check=False)
    return done.returncode, done.stdout + done.stderr


def test_non_durable_graphcdm_against_a_durable_exchange_is_one_clear_line(
        tmp_path, neo4j_uri, node, names):
    """The mismatch oslo.messaging would retry forever (406 PRECONDITION_FAILED) stops
    graphcdm listen at start, exit 1, with one line naming the option to set."""
    declare_exchange(node, names["exchange"], durable=True)
    code, out = _listen(tmp_path, (
        f"[notifications]\ntransport_url = {node.url('graphcdm', SECRET)}\n"
        f"exchange = {names['exchange']}\npool = {names['pool']}\n"
        "[metrics]\nport = 0\n"), neo4j_uri)
    assert code == 1, out
    errors = [line for line in out.splitlines() if " ERROR graphcdm" in line]
    assert len(errors) == 1, out
    assert "amqp_durable_queues = true" in errors[0] and "exists durable" in errors[0]
    assert "Traceback" not in out and SECRET not in out


def test_quorum_queues_keep_what_is_published_while_graphcdm_is_down_and_across_a_restart(
        conf, writer, node, names):
    """rabbit_quorum_queue = true: graphcdm's pool queues are quorum queues; what nova
    publishes while graphcdm is stopped, before and after a broker restart, is all
    applied once graphcdm is back: nothing lost (with non-durable queues only the
    resync would heal it)."""
    sim = Simulator(nodes=4, instances=30, operations=60, fmt="both", seed=9).run()
    third = len(sim.messages) // 3
    configure(conf, names, node.url("graphcdm", SECRET), rabbit_quorum_queue=True)
    nova = nova_transport(node.url(), names["exchange"], rabbit_quorum_queue=True)
    listener = Listener(conf, writer=writer)
    try:
        listener.start()
        support.publish_with_notifier(nova, sim.messages[:third], names)
        support.wait_processed(listener, third, timeout=90)
    finally:
        support.stop(listener)
    mine = {k: v for k, v in queues(node).items() if names["pool"] in k}
    assert mine and all(v["type"] == "quorum" for v in mine.values()), mine

    support.publish_with_notifier(nova, sim.messages[third:2 * third], names)  # graphcdm down
    nova.cleanup()
    node.stop()
    node.start()
    deadline = time.monotonic() + 60  # a quorum queue elects its leader after the start
    while (waiting := sum(int(v["messages"] or 0) for k, v in queues(node).items()
                          if names["pool"] in k)) < third and time.monotonic() < deadline:
        time.sleep(1)
    assert waiting == third, queues(node)
    nova = nova_transport(node.url(), names["exchange"], rabbit_quorum_queue=True)
    try:
        support.publish_with_notifier(nova, sim.messages[2 * third:], names)
        listener = Listener(conf, writer=writer)
        try:
            listener.start()
            support.wait_processed(listener, len(sim.messages) - third, timeout=120)
        finally:
            support.stop(listener)
    finally:
        nova.cleanup()
    assert export.export(writer) == sim.expected


def test_tls_with_the_ca_file_applies_and_a_wrong_ca_fails_clearly(
        conf, writer, node, names, tmp_path, neo4j_uri):
    """ssl = true with ssl_ca_file: graphcdm reaches the broker's TLS listener only; a
    CA that did not sign the broker's certificate is a clear failure, never a
    fallback to plain AMQP."""
    sim = Simulator(nodes=3, instances=15, operations=30, fmt="both", seed=3).run()
    tls_url = node.url("graphcdm", SECRET, tls=True)
    configure(conf, names, tls_url, ssl=True, ssl_ca_file=str(node.certs.ca))
    assert "connected" in bus.probe(conf)
    nova = nova_transport(node.url(), names["exchange"])
    listener = Listener(conf, writer=writer)
    try:
        listener.start()
        support.publish_with_notifier(nova, sim.messages, names)
        support.wait_processed(listener, len(sim.messages), timeout=90)
    finally:
        support.stop(listener)
        nova.cleanup()
    assert export.export(writer) == sim.expected

    conf.set_override("ssl_ca_file", str(node.certs.other_ca), group="oslo_messaging_rabbit")
    with pytest.raises(bus.BusError) as info:
        bus.probe(conf, timeout=5)
    assert "no broker reachable" in str(info.value) and "SSL" in str(info.value).upper()
    assert SECRET not in str(info.value)

    config = (f"[notifications]\ntransport_url = {tls_url}\n"
              f"exchange = {names['exchange']}\npool = {names['pool']}\n"
              "[metrics]\nport = 0\n[oslo_messaging_rabbit]\nssl = true\n"
              f"ssl_ca_file = {node.certs.other_ca}\n")
    status = tmp_path / "status.conf"
    status.write_text(config)
    env = dict(os.environ, GRAPHCDM_NEO4J_URI=neo4j_uri, GRAPHCDM_NEO4J_PASSWORD="")
    env.pop("GRAPHCDM_TRANSPORT_URL", None)
    done = subprocess.run([sys.executable, "-m", "graphcdm.cli", "--config-file", str(status),
                           "status", "--json"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=support.REPO, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    verdicts = json.loads(done.stdout)
    assert verdicts["checks"]["bus"]["result"] == "failure"
    assert verdicts["checks"]["neo4j"]["result"] == "ok"
    assert SECRET not in done.stdout + done.stderr

    code, out = _listen(tmp_path, config, neo4j_uri)
    assert code == 1 and "cannot start the listener: no broker reachable" in out, out
    assert SECRET not in out and "Traceback" not in out


def test_status_healthy_against_the_node(tmp_path, writer, neo4j_uri, node, names):
    """graphcdm status on a working setup: every check ok but the listener's (none runs)."""
    config = tmp_path / "graphcdm.conf"
    config.write_text(f"[notifications]\ntransport_url = {node.url('graphcdm', SECRET)}\n"
                      f"exchange = {names['exchange']}\n"
                      f"[metrics]\nport = {support.free_port()}\n")
    env = dict(os.environ, GRAPHCDM_NEO4J_URI=neo4j_uri, GRAPHCDM_NEO4J_PASSWORD="")
    env.pop("GRAPHCDM_TRANSPORT_URL", None)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "graphcdm.cli", "--config-file", str(config),
                           "status"], env=env, capture_output=True, text=True, timeout=120,
                          cwd=support.REPO, check=False)
    out = done.stdout + done.stderr
    lines = dict(line.split(None, 2)[1::-1] for line in done.stdout.splitlines()
                 if len(line.split()) >= 2 and not line.startswith("status:"))
    assert {k: lines.get(k) for k in ("neo4j", "schema", "cypher", "bus", "nova")} == \
        dict.fromkeys(("neo4j", "schema", "cypher", "bus", "nova"), "ok"), out
    assert lines["listener"] == "warning" and done.returncode == 1, out
    assert SECRET not in out and time.monotonic() - started < 120
