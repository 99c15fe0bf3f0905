"""The listener against the real RabbitMQ and Neo4j: published as nova does, the
graph it leaves equals the simulator's expected export; bad messages cost only
themselves; Neo4j outages lose nothing; /metrics and /healthz answer."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from graphcdm import neo4jlocal
from graphcdm.graph.writer import GraphWriter
from graphcdm.notifications.listener import Listener
from graphcdm.read import export
from graphcdm.sim.simulator import Simulator
from tests.functional import fixtures as support


@pytest.fixture
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {"versioned": f"versioned_notifications_{tag}", "legacy": f"notifications_{tag}",
            "pool": f"graphcdm-test-{tag}", "exchange": "nova"}


def test_published_as_nova_does_gives_the_expected_graph(conf, rabbit_url, writer, names):
    """oslo_messaging.Notifier, driver messagingv2, nova's publishers, both topics."""
    sim = Simulator(nodes=6, instances=60, operations=120, fmt="both", seed=7).run()
    support.configure_listener(conf, names, port=support.free_port(), log_interval=1)
    transport = support.nova_transport(rabbit_url)
    listener = Listener(conf, writer=writer, transport=transport)
    try:
        listener.start()
        support.publish_with_notifier(transport, sim.messages, names)
        support.wait_processed(listener, len(sim.messages), timeout=60)
        health = support.get_json(f"http://127.0.0.1:{listener.metrics_port}/healthz")
        metrics = urllib.request.urlopen(
            f"http://127.0.0.1:{listener.metrics_port}/metrics", timeout=10).read().decode()
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    assert export.export(writer) == sim.expected
    assert health == (200, {"bus": health[1]["bus"], "neo4j": health[1]["neo4j"],
                            "writes": {"ok": True, "detail": "last batch committed"},
                            "last_commit_age": health[1]["last_commit_age"], "status": "ok"})
    assert health[1]["bus"]["ok"] and health[1]["neo4j"]["ok"]
    assert 0 <= health[1]["last_commit_age"] < 60
    assert "graphcdm_graph_write_failing 0.0" in metrics
    assert f"graphcdm_notifications_received_total {float(len(sim.messages))}" in metrics
    stats = listener.stats.snapshot()
    for outcome in ("applied", "ignored", "rejected", "requeued"):
        assert (f'graphcdm_notifications_total{{outcome="{outcome}"}} '
                f"{float(stats[outcome])}") in metrics
    assert 'graphcdm_build_info{version="' in metrics
    assert "graphcdm_last_commit_timestamp_seconds 1." in metrics  # a Unix time, set
    assert "graphcdm_event_to_commit_seconds_count" in metrics
    stats = listener.stats.snapshot()
    assert stats["received"] == len(sim.messages)
    assert stats["applied"] + stats["ignored"] == len(sim.messages)
    assert stats["rejected"] == 0 and stats["lag_p50"] is not None


def test_malformed_messages_are_rejected_and_the_rest_applied(conf, rabbit_url, writer,
                                                              names, tmp_path, caplog):
    sim = Simulator(nodes=4, instances=20, operations=30, fmt="mixed", seed=3,
                    duplicate=0.05, reorder=5).run()
    dead = tmp_path / "dead.jsonl"
    support.configure_listener(conf, names, dead_letter_file=str(dead))
    transport = support.nova_transport(rabbit_url)
    bad = support.bad_messages()
    stream = list(sim.messages)
    for i, msg in enumerate(bad):  # spread the bad ones through the stream
        stream.insert((i + 1) * len(stream) // (len(bad) + 1), msg)
    listener = Listener(conf, writer=writer, transport=transport)
    try:
        listener.start()
        support.publish_raw(transport, stream, names)
        support.wait_processed(listener, len(stream), timeout=60)
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
    assert export.export(writer) == sim.expected
    assert listener.counts.rejected == len(bad)
    assert listener.stats.snapshot()["rejected"] == len(bad)
    lines = [json.loads(line) for line in dead.read_text().splitlines()]
    assert sorted(line["metadata"]["message_id"] for line in lines) == sorted(
        m["message_id"] for m in bad)
    assert all(line["rejected"] for line in lines)
    logged = [r.getMessage() for r in caplog.records if "rejected notification" in r.getMessage()]
    assert len(logged) == len(bad)


@pytest.fixture
def outage_neo4j():
    """A Neo4j of this test's own, which it may stop and start."""
    settings = neo4jlocal.Settings(home=support.REPO / ".state" / "neo4j-outage-7772",
                                   bolt_port=7772, http_port=7872, heap="512m",
                                   pagecache="128m")
    if not neo4jlocal.bolt_answers(settings.bolt_uri):
        try:
            neo4jlocal.start(settings, log=lambda m: None)
        except neo4jlocal.Neo4jLocalError as exc:
            pytest.fail(f"could not start the outage Neo4j: {exc}")
    try:
        yield settings
    finally:
        neo4jlocal.stop(settings, log=lambda m: None)


def test_neo4j_outage_mid_stream_loses_nothing(conf, rabbit_url, names, outage_neo4j):
    """Neo4j stopped (SIGTERM) and started again while notifications arrive:
    every batch is committed or requeued, none rejected for the server's
    state (a stopping or starting server answers errors that look like the
    data's: see ``GraphWriter.confirm_writable``), and the graph is the
    stream's."""
    import neo4j

    sim = Simulator(nodes=20, instances=400, operations=900, fmt="mixed", seed=11,
                    duplicate=0.02, reorder=20).run()
    assert len(sim.messages) > 2000
    # the driver gives up fast, so that batches really are requeued
    driver = neo4j.GraphDatabase.driver(outage_neo4j.bolt_uri, auth=None,
                                        notifications_min_severity="OFF",
                                        max_transaction_retry_time=1.0)
    writer = GraphWriter(driver, "neo4j", retries=1, max_backoff=0.5)
    writer.reset()
    conf.set_override("uri", outage_neo4j.bolt_uri, group="neo4j")
    support.configure_listener(conf, names, batch_size=100)
    transport = support.nova_transport(rabbit_url)
    listener = Listener(conf, writer=writer, transport=transport)
    try:
        listener.start()
        half = len(sim.messages) // 3
        support.publish_raw(transport, sim.messages[:half], names)
        support.wait_processed(listener, half // 2, timeout=60)
        neo4jlocal.stop(outage_neo4j, log=lambda m: None)
        support.publish_raw(transport, sim.messages[half:], names)
        time.sleep(2)  # batches fail and are requeued meanwhile
        neo4jlocal.start(outage_neo4j, log=lambda m: None)
        support.wait_processed(listener, len(sim.messages), timeout=120)
        got = export.export(writer)
    finally:
        support.stop(listener)
        support.delete_queue(rabbit_url, names["pool"])
        transport.cleanup()
        driver.close()
    # a valid stream: nothing may be rejected for the outage (acknowledged, lost)
    assert listener.counts.rejected == 0, listener.stats.log_line()
    assert got == sim.expected, listener.stats.log_line()
    assert listener.stats.snapshot()["requeued"] > 0
