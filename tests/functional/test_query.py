"""The read API and the operator queries against a real Neo4j, on graphs with known answers.

The graph is written with plain Cypher (a known shape, independent of the
writer's rules) except for one test that goes through GraphWriter.apply, to
prove the queries read what the writer actually leaves (placeholders).
"""

from __future__ import annotations

import neo4j
import pytest

from graphcdm.graph import cypher
from graphcdm.graph.changes import InstanceMove, InstanceUpsert, ServiceUpsert
from graphcdm.graph.writer import GraphWriter
from graphcdm.read.query import GraphQuery
from tests.functional.fixtures import load_known_graph


@pytest.fixture
def known(writer: GraphWriter, neo4j_driver: neo4j.Driver) -> GraphQuery:
    load_known_graph(neo4j_driver)
    return GraphQuery(neo4j_driver)


@pytest.fixture
def empty(writer: GraphWriter, neo4j_driver: neo4j.Driver) -> GraphQuery:
    return GraphQuery(neo4j_driver)


# -- Watcher's questions --------------------------------------------------------------

def test_compute_nodes_lists_all_with_coalesced_capacity(known: GraphQuery) -> None:
    nodes = {n["hypervisor_hostname"]: n for n in known.compute_nodes()}
    assert list(nodes) == ["host4", "node1", "node2", "node3", "node5"]
    assert nodes["node1"]["aggregates"] == ["fast"]
    assert nodes["node2"]["vcpu_reserved"] == 0 and nodes["node2"]["memory_ratio"] == 1.0
    assert nodes["node2"]["disabled_reason"] == "maintenance"
    assert nodes["host4"]["placeholder"] is True and nodes["host4"]["uuid"] is None
    assert nodes["host4"]["aggregates"] == []


def test_node_lookups(known: GraphQuery) -> None:
    assert known.node_by_uuid("u-n2")["hypervisor_hostname"] == "node2"
    assert known.node_by_uuid("nope") is None
    assert known.node_by_name("host1")["uuid"] == "u-n1"
    assert known.node_by_name("host4")["placeholder"] is True
    assert known.node_by_name("nope") is None
    assert known.node_by_hypervisor_hostname("node3")["state"] == "down"
    assert known.node_by_hypervisor_hostname("nope") is None


def test_instance_lookups(known: GraphQuery) -> None:
    i1 = known.instance_by_uuid("i1")
    assert (i1["hosted_on"], i1["hosted_on_uuid"], i1["metadata"]) == ("node1", "u-n1",
                                                                       '{"tier": "web"}')
    assert known.instance_by_uuid("i4")["hosted_on"] is None
    assert known.instance_by_uuid("nope") is None
    assert known.node_of_instance("i3")["uuid"] == "u-n2"
    assert known.node_of_instance("i5")["placeholder"] is True
    assert known.node_of_instance("i4") is None      # unmapped
    assert known.node_of_instance("nope") is None    # unknown


def test_instances_mapped_and_unmapped(known: GraphQuery) -> None:
    rows = known.instances()
    assert [r["uuid"] for r in rows] == ["i1", "i2", "i3", "i4", "i5", "i6", "i7"]
    assert {r["uuid"]: r["hosted_on"] for r in rows} == {
        "i1": "node1", "i2": "node1", "i3": "node2", "i4": None, "i5": "host4",
        "i6": "node2", "i7": "node5"}
    moved = {r["uuid"]: r["moved_at"] for r in rows}
    assert moved["i1"] is None and isinstance(moved["i3"], str)


def test_node_instances(known: GraphQuery) -> None:
    assert [i["uuid"] for i in known.node_instances("node1")] == ["i1", "i2"]
    assert [i["uuid"] for i in known.node_instances("host4")] == ["i5"]
    assert known.node_instances("node3") == []
    assert known.node_instances("nope") == []


EXPECTED_USED = {
    "host4": {"vcpu": 0, "memory": 0, "disk": 0},          # i5 has no sizes: counts 0
    "node1": {"vcpu": 6, "memory": 6144, "disk": 60},       # active + stopped both count
    "node2": {"vcpu": 3, "memory": 2560, "disk": 21},       # error state counts
    "node3": {"vcpu": 0, "memory": 0, "disk": 0},
    "node5": {"vcpu": 4, "memory": 512, "disk": 5},
}
EXPECTED_FREE = {
    "host4": {"vcpu": None, "memory": None, "disk": None},  # unknown capacity
    "node1": {"vcpu": (16 - 2) * 4.0 - 6, "memory": (65536 - 512) * 1.5 - 6144,
              "disk": (1000 - 10) * 1.0 - 60},
    "node2": {"vcpu": 5.0, "memory": 13824.0, "disk": 79.0},
    "node3": {"vcpu": 4.0, "memory": 8192.0, "disk": 50.0},
    "node5": {"vcpu": -2.0, "memory": 512.0, "disk": 5.0},
}


def test_used_and_free_resources_per_node(known: GraphQuery) -> None:
    for node, expected in EXPECTED_USED.items():
        assert known.used_resources(node) == expected, node
    for node, expected in EXPECTED_FREE.items():
        assert known.free_resources(node) == expected, node
    assert known.used_resources("nope") is None
    assert known.free_resources("nope") is None


def test_used_and_free_resources_whole_cloud(known: GraphQuery) -> None:
    assert known.used_resources_all() == EXPECTED_USED
    assert known.free_resources_all() == EXPECTED_FREE


def test_empty_graph_answers_nothing(empty: GraphQuery) -> None:
    assert empty.compute_nodes() == []
    assert empty.instances() == []
    assert empty.used_resources_all() == {}
    assert empty.free_resources_all() == {}
    assert empty.node_by_name("host1") is None
    assert empty.instance_by_uuid("i1") is None
    assert empty.node_of_instance("i1") is None
    for name in OPERATOR_QUERIES:
        assert empty.read(f"queries/{name}", **DEFAULTS.get(name, {})) == [], name


def test_queries_read_what_the_writer_leaves(writer: GraphWriter,
                                             neo4j_driver: neo4j.Driver) -> None:
    """A move to a host nobody described makes a placeholder; the queries see it."""
    v = "00000000000000001|m"
    writer.apply([
        ServiceUpsert(host="hostx", version=v, disabled=True, disabled_reason="new"),
        InstanceUpsert(uuid="ia", version=v, attrs={"vcpus": 2, "memory_mb": 256,
                                                     "root_gb": 1, "project_id": "p"}),
        InstanceMove(uuid="ia", version=v, host="hostx", node="nodex"),
    ])
    q = GraphQuery(neo4j_driver)
    placeholders = q.read("queries/placeholder_nodes")
    assert {p["hypervisor_hostname"]: p["instances"] for p in placeholders}["nodex"] == 1
    assert q.node_of_instance("ia")["hypervisor_hostname"] == "nodex"
    assert q.used_resources("nodex") == {"vcpu": 2, "memory": 256, "disk": 1}
    assert q.free_resources("nodex") == {"vcpu": None, "memory": None, "disk": None}
    assert q.read("queries/empty_hosts") == []   # placeholders are no power-saving candidates


# -- operator queries ------------------------------------------------------------------

OPERATOR_QUERIES = ["hosts_by_free_capacity", "overcommitted_hosts",
                    "instances_on_unavailable_hosts", "placeholder_nodes", "project_spread",
                    "recently_moved", "empty_hosts"]
DEFAULTS = {"hosts_by_free_capacity": {"by": "memory", "limit": 50},
            "overcommitted_hosts": {"threshold": 1.0},
            "project_spread": {"project_id": "pA"},
            "recently_moved": {"minutes": 60}}


def test_every_operator_query_has_a_description() -> None:
    for name in OPERATOR_QUERIES:
        assert cypher.describe(f"queries/{name}"), name


def test_hosts_by_free_capacity(known: GraphQuery) -> None:
    rows = known.read("queries/hosts_by_free_capacity", by="memory", limit=50)
    assert [r["hypervisor_hostname"] for r in rows] == ["node1", "node2", "node3", "node5",
                                                        "host4"]
    assert rows[0]["free_memory_mb"] == 91392.0 and rows[-1]["free_memory_mb"] is None
    rows = known.read("queries/hosts_by_free_capacity", by="vcpu", limit=2)
    assert [(r["hypervisor_hostname"], r["free_vcpu"]) for r in rows] == [("node1", 50.0),
                                                                         ("node2", 5.0)]
    rows = known.read("queries/hosts_by_free_capacity", by="disk", limit=50)
    assert [r["hypervisor_hostname"] for r in rows][:3] == ["node1", "node2", "node3"]


def test_overcommitted_hosts(known: GraphQuery) -> None:
    rows = known.read("queries/overcommitted_hosts", threshold=1.0)
    assert [(r["hypervisor_hostname"], r["vcpu_commit"], r["beyond_ratio"]) for r in rows] == [
        ("node5", 2.0, True)]
    rows = known.read("queries/overcommitted_hosts", threshold=0.4)
    # node1: 6 vcpus used of 14 physical = 0.429, within its 4.0 ratio
    assert [(r["hypervisor_hostname"], r["worst_commit"], r["beyond_ratio"]) for r in rows] == [
        ("node5", 2.0, True), ("node1", 0.429, False)]


def test_instances_on_unavailable_hosts(known: GraphQuery) -> None:
    rows = known.read("queries/instances_on_unavailable_hosts")
    assert [(r["hypervisor_hostname"], r["instance"], r["host_status"]) for r in rows] == [
        ("node2", "i3", "disabled"), ("node2", "i6", "disabled")]


def test_placeholder_nodes(known: GraphQuery) -> None:
    rows = known.read("queries/placeholder_nodes")
    assert [(r["hypervisor_hostname"], r["host"], r["instances"]) for r in rows] == [
        ("host4", "host4", 1)]


def test_project_spread(known: GraphQuery) -> None:
    rows = known.read("queries/project_spread", project_id="pA")
    assert [(r["availability_zone"], r["hypervisor_hostname"], r["aggregates"], r["instances"],
             r["vcpus"], r["memory_mb"]) for r in rows] == [
        ("az1", "node1", ["fast"], 1, 2, 2048),
        ("az1", None, [], 1, 2, 1024),            # i4 is shelved: no host, its own zone
        ("az2", "node2", [], 1, 1, 512)]
    assert known.read("queries/project_spread", project_id="nobody") == []


def test_recently_moved(known: GraphQuery) -> None:
    rows = known.read("queries/recently_moved", minutes=60)
    assert [(r["instance"], r["from_node"], r["to_node"]) for r in rows] == [
        ("i3", "node1", "node2")]
    rows = known.read("queries/recently_moved", minutes=24 * 60)
    assert [r["instance"] for r in rows] == ["i3", "i6"]


def test_empty_hosts(known: GraphQuery) -> None:
    rows = known.read("queries/empty_hosts")
    assert [(r["hypervisor_hostname"], r["state"]) for r in rows] == [("node3", "down")]


# -- indexes ---------------------------------------------------------------------------

INDEXED = {
    "compute_node_by_uuid": {"uuid": "x"},
    "compute_node_by_name": {"hostname": "x"},
    "compute_node_by_hypervisor_hostname": {"hypervisor_hostname": "x"},
    "instance_by_uuid": {"uuid": "x"},
    "instance_node": {"uuid": "x"},
    "node_instances": {"hypervisor_hostname": "x"},
    "node_used_resources": {"hypervisor_hostname": "x"},
    "node_free_resources": {"hypervisor_hostname": "x"},
}


def _operators(plan: dict) -> list[str]:
    return [plan["operatorType"]] + [op for child in plan.get("children", [])
                                     for op in _operators(child)]


@pytest.mark.parametrize("name", sorted(INDEXED))
def test_single_key_queries_start_from_an_index(name: str, writer: GraphWriter,
                                                neo4j_driver: neo4j.Driver) -> None:
    with neo4j_driver.session(database="neo4j") as session:
        result = session.run("EXPLAIN " + cypher.load(f"queries/{name}"), **INDEXED[name])
        plan = result.consume().plan
    ops = _operators(plan)
    assert any("IndexSeek" in op for op in ops), (name, ops)
    assert not any(op.startswith(("AllNodesScan", "NodeByLabelScan")) for op in ops), (name, ops)
