"""The test services are real: Neo4j over Bolt and RabbitMQ through oslo.messaging."""

from __future__ import annotations

import queue
import uuid

import oslo_messaging
from oslo_config import cfg


def test_neo4j_round_trip_over_bolt(neo4j_driver, writer):
    key = str(uuid.uuid4())
    neo4j_driver.execute_query("CREATE (:Probe {key: $key})", key=key, database_="neo4j")
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (p:Probe {key: $key}) RETURN p.key AS key, count(*) AS n", key=key,
        database_="neo4j")
    assert [(r["key"], r["n"]) for r in records] == [(key, 1)]
    server = neo4j_driver.get_server_info()
    assert server.agent.startswith("Neo4j/5.26")


def test_writer_schema_is_in_place(neo4j_driver, writer):
    records, _, _ = neo4j_driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name",
                                               database_="neo4j")
    names = {r["name"] for r in records}
    assert {"instance_uuid", "compute_node_hypervisor_hostname"} <= names


class _Collect:
    def __init__(self) -> None:
        self.got: queue.Queue = queue.Queue()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.got.put((publisher_id, event_type, payload, metadata))
        return oslo_messaging.NotificationResult.HANDLED


def test_rabbitmq_publish_and_consume_with_oslo_messaging(rabbit_url):
    oslo_messaging.set_transport_defaults("nova")  # nova publishes on exchange "nova"
    conf = cfg.ConfigOpts()
    conf([], project="graphcdm-test")
    transport = oslo_messaging.get_notification_transport(conf, url=rabbit_url)
    topic = f"probe_{uuid.uuid4().hex[:8]}"
    endpoint = _Collect()
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic, exchange="nova")], [endpoint],
        executor="threading", pool="graphcdm-test")
    listener.start()
    try:
        notifier = oslo_messaging.Notifier(transport, publisher_id="nova-compute:h1",
                                           driver="messagingv2", topics=[topic])
        notifier.info({}, "service.update", {"hello": "world"})
        publisher, event, payload, metadata = endpoint.got.get(timeout=30)
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()
    assert (publisher, event, payload) == ("nova-compute:h1", "service.update",
                                           {"hello": "world"})
    assert metadata["message_id"] and metadata["timestamp"]
