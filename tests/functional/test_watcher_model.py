"""Watcher's own ModelRoot methods, on a model built from the graph, agree with the graph queries.

Three sources answer the same questions: the Cypher queries
(:class:`graphcdm.read.query.GraphQuery`), Watcher's ``ModelRoot`` built from the
graph by ``to_watcher_model()`` (and by the collector plugin, loaded through
Watcher's own stevedore loader), and -- for Watcher's model fixtures shipped
in its wheel -- the ``ModelRoot`` Watcher builds itself with ``from_xml``.
"""

from __future__ import annotations

import json
from pathlib import Path

import neo4j
import pytest
import watcher
from oslo_config import cfg
from watcher.common import exception
from watcher.decision_engine.model.model_root import ModelRoot

from graphcdm.graph.writer import GraphWriter
from graphcdm.read.query import GraphQuery
from graphcdm.read.watcher_collector import GraphComputeModelCollector
from tests.functional.fixtures import INSTANCES, NODES, load_known_graph

GROUP = "watcher_cluster_data_model_collectors.graphcdm_compute"
CAPACITY = ("vcpus", "vcpu_reserved", "vcpu_ratio", "memory_mb", "memory_mb_reserved",
            "memory_ratio", "disk_gb", "disk_gb_reserved", "disk_ratio")
#: graph property -> Watcher ComputeNode field
WATCHER_NAME = {"memory_mb": "memory", "disk_gb": "disk"}


def assert_model_agrees_with_graph(model: ModelRoot, q: GraphQuery) -> None:
    """Every question Watcher's strategies ask, answered by both, compared."""
    graph_nodes = [n for n in q.compute_nodes() if not n["placeholder"]]
    watcher_nodes = model.get_all_compute_nodes()
    assert set(watcher_nodes) == {n["uuid"] for n in graph_nodes}
    used_all, free_all = q.used_resources_all(), q.free_resources_all()
    for g in graph_nodes:
        w = model.get_node_by_uuid(g["uuid"])
        assert q.node_by_uuid(g["uuid"])["hostname"] == w.hostname
        d = w.as_dict()   # fields a Watcher fixture leaves unset are absent here
        complete = all(WATCHER_NAME.get(p, p) in d for p in CAPACITY)
        for prop in CAPACITY:
            default = 1.0 if prop.endswith("ratio") else 0 if prop.endswith("reserved") else None
            assert d.get(WATCHER_NAME.get(prop, prop), default) == g[prop], (g["uuid"], prop)
        assert (d.get("state"), d.get("status"), d.get("disabled_reason")) == (
            g["state"], g["status"], g["disabled_reason"])
        assert model.get_node_by_name(g["hostname"]).uuid == q.node_by_name(g["hostname"])["uuid"]
        hh = g["hypervisor_hostname"]
        assert sorted(i.uuid for i in model.get_node_instances(w)) == [
            i["uuid"] for i in q.node_instances(hh)]
        assert model.get_node_used_resources(w) == used_all[hh] == q.used_resources(hh)
        assert free_all[hh] == q.free_resources(hh)
        if complete:   # Watcher cannot compute free resources of a node missing a field
            assert model.get_node_free_resources(w) == free_all[hh]
    # Watcher's model holds the instances hosted on a node it models, all mapped
    # (NovaModelBuilder lists them host by host); a Watcher fixture may add unmapped ones.
    graph_instances = {i["uuid"]: i for i in q.instances()}
    hosted = {}
    for uuid in graph_instances:
        node = q.node_of_instance(uuid)
        if node is not None and not node["placeholder"] and node["uuid"] in watcher_nodes:
            hosted[uuid] = node["uuid"]
    mapped = {}
    for uuid in model.get_all_instances():
        try:
            mapped[uuid] = model.get_node_by_instance_uuid(uuid).uuid
        except exception.InstanceNotMapped:
            assert uuid not in hosted
    assert mapped == hosted
    for uuid in mapped:
        g, w = graph_instances[uuid], model.get_instance_by_uuid(uuid)
        assert (w.vcpus, w.memory, w.disk) == (g["vcpus"] or 0, g["memory_mb"] or 0,
                                              g["disk_gb"] or 0)
        assert w.state == g["state"] if g["state"] else True


def assert_watcher_shape(model: ModelRoot) -> None:
    """What every model Watcher's nova collector builds satisfies: no unmapped instance."""
    for uuid in model.get_all_instances():
        model.get_node_by_instance_uuid(uuid)   # raises InstanceNotMapped otherwise


@pytest.fixture
def known(writer: GraphWriter, neo4j_driver: neo4j.Driver) -> GraphQuery:
    load_known_graph(neo4j_driver)
    return GraphQuery(neo4j_driver)


def test_known_graph_model_agrees(known: GraphQuery) -> None:
    model = known.to_watcher_model()
    assert isinstance(model, ModelRoot)
    assert_model_agrees_with_graph(model, known)
    assert_watcher_shape(model)
    # the known answers, through Watcher's own methods
    assert len(model.get_all_compute_nodes()) == len([n for n in NODES if not n["placeholder"]])
    # i4 is shelved-offloaded (on no host), i5 on a placeholder: Watcher models neither
    assert set(model.get_all_instances()) == {p["uuid"] for p, _, _ in INSTANCES} - {"i4", "i5"}
    n1 = model.get_node_by_uuid("u-n1")
    assert model.get_node_used_resources(n1) == {"vcpu": 6, "memory": 6144, "disk": 60}
    assert model.get_node_free_resources(n1) == {"vcpu": 50.0, "memory": 91392.0, "disk": 930.0}
    i1 = model.get_instance_by_uuid("i1")
    # Watcher's defaults without [compute_model] enable_extended_attributes
    assert i1.metadata == {"tier": "web"} and (i1.pinned_az, i1.flavor_extra_specs) == ("", {})
    assert i1.created.isoformat() == "2024-01-01T10:00:00+00:00"
    with pytest.raises(exception.ComputeNodeNotFound):
        model.get_node_by_name("host4")          # the placeholder is not in Watcher's model
    assert "<ComputeNode" in model.to_xml()       # Watcher can serialise what we built


def test_empty_graph_model(writer: GraphWriter, neo4j_driver: neo4j.Driver) -> None:
    model = GraphQuery(neo4j_driver).to_watcher_model()
    assert model.get_all_compute_nodes() == {} and model.get_all_instances() == {}


def _watcher_fixtures() -> list[Path]:
    """Watcher's compute model fixtures in its installed wheel (read in place, not imported:
    importing watcher.tests.unit would reinitialise oslo.service's backend)."""
    data = Path(watcher.__file__).parent / "tests" / "unit" / "decision_engine" / "model" / "data"
    return sorted(data.glob("scenario*.xml"))


LOAD_MODEL = """
UNWIND $nodes AS n
CREATE (c:ComputeNode) SET c = n
WITH count(*) AS _
UNWIND $instances AS row
CREATE (i:Instance) SET i = row.props
WITH i, row
OPTIONAL MATCH (c:ComputeNode {uuid: row.node_uuid})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END | CREATE (i)-[:HOSTED_ON]->(c))
"""


def load_watcher_model(driver: neo4j.Driver, model: ModelRoot) -> None:
    """Write a Watcher ModelRoot into the graph with plain Cypher (graph property names)."""
    nodes = []
    for cn in model.get_all_compute_nodes().values():
        d = cn.as_dict()
        nodes.append({"uuid": cn.uuid, "hostname": cn.hostname, "hypervisor_hostname": cn.uuid,
                      "placeholder": False,
                      **{prop: d.get(WATCHER_NAME.get(prop, prop))
                         for prop in (*CAPACITY, "state", "status", "disabled_reason")}})
    instances = []
    for inst in model.get_all_instances().values():
        d = inst.as_dict()
        try:
            node_uuid = model.get_node_by_instance_uuid(inst.uuid).uuid
        except exception.ComputeResourceNotFound:
            node_uuid = None
        instances.append({"node_uuid": node_uuid, "props": {
            "uuid": inst.uuid, "name": d.get("name"), "state": d.get("state"),
            "vcpus": inst.vcpus, "memory_mb": inst.memory, "disk_gb": inst.disk,
            "project_id": d.get("project_id"), "metadata": json.dumps(d.get("metadata", {}))}})
    with driver.session(database="neo4j") as session:
        session.execute_write(lambda tx: tx.run(LOAD_MODEL, nodes=nodes,
                                                instances=instances).consume())


@pytest.mark.parametrize("path", _watcher_fixtures(), ids=lambda p: p.name)
def test_watcher_fixture_round_trip(path: Path, writer: GraphWriter,
                                    neo4j_driver: neo4j.Driver) -> None:
    """Watcher's own model fixtures: Watcher's answers == graph answers == rebuilt model's."""
    original = ModelRoot.from_xml(path.read_text())
    load_watcher_model(neo4j_driver, original)
    q = GraphQuery(neo4j_driver)
    assert_model_agrees_with_graph(original, q)
    rebuilt = q.to_watcher_model()
    assert_model_agrees_with_graph(rebuilt, q)
    assert_watcher_shape(rebuilt)
    assert sorted(rebuilt.edges) == sorted(original.edges)


def test_shared_fixture_round_trip(shared_data: Path, writer: GraphWriter,
                                   neo4j_driver: neo4j.Driver) -> None:
    xml = shared_data / "watcher-notification-samples" / "model-fixtures"
    original = ModelRoot.from_xml((xml / "scenario_3_with_2_nodes.xml").read_text())
    load_watcher_model(neo4j_driver, original)
    q = GraphQuery(neo4j_driver)
    assert_model_agrees_with_graph(q.to_watcher_model(), q)
    assert_model_agrees_with_graph(original, q)


# -- the collector plugin, loaded the way Watcher loads it --------------------------

@pytest.fixture
def collector(neo4j_uri: str, neo4j_driver: neo4j.Driver):
    """GraphComputeModelCollector through Watcher's stevedore loader and cfg.CONF."""
    from oslo_service import service
    from watcher.decision_engine.loading import default

    service.Singleton._instances.pop(GraphComputeModelCollector, None)
    cfg.CONF(args=[], project="watcher", default_config_files=[])  # as watcher services do
    cfg.CONF.register_opts(GraphComputeModelCollector.get_config_opts(), group=GROUP)
    cfg.CONF.set_override("uri", neo4j_uri, group=GROUP)
    cfg.CONF.set_override("password", "", group=GROUP)
    loaded = default.ClusterDataModelCollectorLoader().load("graphcdm_compute")
    yield loaded
    if loaded._driver is not None:
        loaded._driver.close()
    service.Singleton._instances.pop(GraphComputeModelCollector, None)
    cfg.CONF.clear_override("uri", group=GROUP)
    cfg.CONF.clear_override("password", group=GROUP)


def test_collector_plugin_builds_the_model(known: GraphQuery, collector) -> None:
    assert isinstance(collector, GraphComputeModelCollector)
    assert collector.config.uri.startswith("bolt://") and collector.config.period == 3600
    assert collector.notification_endpoints == []
    model = collector.get_latest_cluster_data_model()
    assert_model_agrees_with_graph(model, known)
    assert collector.cluster_data_model is model
    assert set(collector.execute().get_all_compute_nodes()) == {"u-n1", "u-n2", "u-n3", "u-n5"}


@pytest.mark.parametrize(("scope", "nodes"), [
    ([], {"u-n1", "u-n2", "u-n3", "u-n5"}),
    ([{"compute": [{"host_aggregates": [{"name": "fast"}]}]}], {"u-n1"}),
    ([{"compute": [{"host_aggregates": [{"id": 1}]}]}], {"u-n1"}),
    ([{"compute": [{"host_aggregates": [{"id": "*"}]}]}], {"u-n1"}),
    ([{"compute": [{"host_aggregates": [{"name": "none"}]}]}], set()),
    ([{"compute": [{"availability_zones": [{"name": "az2"}]}]}], {"u-n2", "u-n5"}),
    ([{"compute": [{"availability_zones": [{"name": "*"}]}]}], {"u-n1", "u-n2", "u-n3", "u-n5"}),
    ([{"compute": [{"exclude": [{"compute_nodes": [{"name": "host3"}]}]}]}],
     {"u-n1", "u-n2", "u-n5"}),
])
def test_collector_audit_scope_from_the_graph(known: GraphQuery, collector, scope,
                                              nodes: set[str]) -> None:
    handler = collector.get_audit_scope_handler(scope)
    scoped = handler.get_scoped_model(collector.get_latest_cluster_data_model())
    assert set(scoped.get_all_compute_nodes()) == nodes


def test_collector_scope_excludes_projects(known: GraphQuery, collector) -> None:
    scope = [{"compute": [{"exclude": [{"projects": [{"uuid": "pA"}]}]}]}]
    scoped = collector.get_audit_scope_handler(scope).get_scoped_model(
        collector.get_latest_cluster_data_model())
    excluded = {u for u, i in scoped.get_all_instances().items() if i.watcher_exclude}
    assert excluded == {"i1", "i3"}   # i4 (pA) is hostless: not in the model


def test_collector_reports_an_unreachable_graph(collector) -> None:
    from watcher.common import exception as wexc

    collector._driver = neo4j.GraphDatabase.driver("bolt://127.0.0.1:1", auth=None,
                                                   connection_timeout=1,
                                                   max_transaction_retry_time=0)
    with pytest.raises(wexc.ClusterDataModelCollectionError):
        collector.execute()
