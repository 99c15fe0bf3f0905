"""Instances ``gone`` with their host's deleted service are invisible to every read.

After a nova-compute ``service.delete``, instances known only from before
the deletion lose their HOSTED_ON edge and are marked ``gone`` (they stay
as nodes until purged with the service tombstone, so a late event can still
be judged against the deletion). The export leaves them out; so must
every read a Watcher strategy, an operator or ``graphcdm viz`` makes.

The state is built through the real write path: emitter notifications
through :class:`graphcdm.notifications.pipeline.Pipeline` into a real Neo4j.
"""

from __future__ import annotations

import json
import re

import neo4j
import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.graph import cypher
from graphcdm.graph.writer import GraphWriter
from graphcdm.read import viz
from graphcdm.read.query import GraphQuery, query_names
from graphcdm.sim import emitter
from graphcdm.sim.emitter import Flavor, Instance
from tests.functional.test_scenarios import run

A = "a1000000-0000-4000-8000-0000000000a1"   # created on h1: gone
B = "b1000000-0000-4000-8000-0000000000b1"   # created on h1: gone
C = "c1000000-0000-4000-8000-0000000000c1"   # created on h2, migrated to h1: gone
Y = "f1000000-0000-4000-8000-0000000000f1"   # created on h2: stays
Z = "e1000000-0000-4000-8000-0000000000e1"   # created on h1, migrated to h2: stays
GONE = {A, B, C}
LIVE = {Y, Z}
PROJECT = "9f70656e737461636b20342065766572"
SMALL = Flavor(name="m1.small", flavorid="2", vcpus=1, memory_mb=2048, root_gb=20)


def stream() -> list[dict]:
    """h2 is disabled (so its instances are on an unavailable host); h1's service is deleted."""
    clock = emitter.Clock()

    def on(uuid: str, host: str, node: str) -> Instance:
        return Instance(uuid, host, node, name=f"vm-{uuid[:2]}", flavor=SMALL,
                        project_id=PROJECT)

    def create(i: Instance) -> dict:
        return emitter.instance_event("instance.create.end", i, timestamp=clock())

    def migrate(i: Instance, host: str, node: str) -> dict:
        return emitter.instance_event("instance.live_migration_post_dest.end",
                                      i.replace(host=host, node=node), timestamp=clock())

    return [
        create(on(A, "h1", "n1")),
        create(on(B, "h1", "n1")),
        create(on(C, "h2", "n2")),
        create(on(Y, "h2", "n2")),
        create(on(Z, "h1", "n1")),
        migrate(on(C, "h2", "n2"), "h1", "n1"),
        migrate(on(Z, "h1", "n1"), "h2", "n2"),
        emitter.service_event("service.update", "h2", timestamp=clock(), disabled=True,
                              disabled_reason="maintenance"),
        emitter.service_event("service.delete", "h1", timestamp=clock()),
    ]


@pytest.fixture
def gone(writer: GraphWriter, neo4j_driver: neo4j.Driver) -> GraphQuery:
    """The graph after the stream; it must hold the gone instances (absence = filtered)."""
    data = run(writer, stream())
    assert {i["uuid"] for i in data["instances"]} == LIVE   # the export's own rule
    marked = neo4j_driver.execute_query(
        "MATCH (i:Instance) WHERE i.gone RETURN collect(i.uuid) AS uuids",
        database_="neo4j").records[0]["uuids"]
    assert set(marked) == GONE, "the write side no longer marks gone instances"
    return GraphQuery(neo4j_driver)


def test_every_instance_query_filters_gone() -> None:
    """A rule for new queries too: whatever reads :Instance leaves gone ones out.

    The rule is explained once (docs/ARCHITECTURE.md, Graph model); each
    statement only applies it, which is what this checks (in the Cypher, not
    in a comment).
    """
    for name in query_names():
        lines = cypher.load(f"queries/{name}").splitlines()
        text = "\n".join(line.split("//", 1)[0] for line in lines)
        if ":Instance" in text:
            assert "i.gone IS NULL" in text, name


def test_graph_query_api(gone: GraphQuery) -> None:
    assert {i["uuid"] for i in gone.instances()} == LIVE
    for uuid in GONE:
        assert gone.instance_by_uuid(uuid) is None, uuid
        assert gone.node_of_instance(uuid) is None, uuid
    assert gone.instance_by_uuid(Y)["hosted_on"] == "n2"
    assert gone.node_of_instance(Z)["hypervisor_hostname"] == "n2"
    assert sorted(i["uuid"] for i in gone.node_instances("n2")) == sorted(LIVE)
    assert gone.node_instances("n1") == []
    assert gone.node_by_hypervisor_hostname("n1") is None   # the deleted host's node went
    assert gone.used_resources_all() == {"n2": {"vcpu": 2, "memory": 4096, "disk": 40}}


def test_operator_queries(gone: GraphQuery) -> None:
    rows = gone.read("queries/instances_on_unavailable_hosts")
    assert sorted(r["instance"] for r in rows) == sorted(LIVE)
    rows = gone.read("queries/project_spread", project_id=PROJECT)
    assert [(r["hypervisor_hostname"], r["instances"], r["vcpus"]) for r in rows] == [
        ("n2", 2, 2)]                                   # no unhosted row for A, B, C
    rows = gone.read("queries/recently_moved", minutes=60)
    assert [(r["instance"], r["from_node"], r["to_node"]) for r in rows] == [(Z, "n1", "n2")]
    rows = gone.read("queries/placeholder_nodes")
    assert [(r["hypervisor_hostname"], r["instances"]) for r in rows] == [("n2", 2)]


def test_query_command(gone: GraphQuery, conf) -> None:
    def query(*args: str) -> list[dict]:
        result = CliRunner().invoke(main, ["query", *args, "--format", "json"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert {r["uuid"] for r in query("instances")} == LIVE
    assert query("instance_by_uuid", "-p", f"uuid={A}") == []
    assert query("instance_node", "-p", f"uuid={C}") == []
    assert {r["instance"] for r in query("instances_on_unavailable_hosts")} == LIVE
    spread = query("project_spread", "-p", f"project_id={PROJECT}")
    assert [(r["hypervisor_hostname"], r["instances"]) for r in spread] == [("n2", 2)]
    assert [r["instance"] for r in query("recently_moved", "-p", "minutes=600")] == [Z]
    assert [r["uuid"] for r in query("viz_instances")] == sorted(LIVE)


def _resync_n2(driver: neo4j.Driver) -> None:
    """n2 is a placeholder until a resync gives it a uuid and capacity; stand in for that
    resync so that Watcher's model holds the node and maps its instances."""
    driver.execute_query(
        "MATCH (c:ComputeNode {hypervisor_hostname: 'n2'}) "
        "SET c.uuid = 'u-n2', c.placeholder = false, c.vcpus = 8, c.memory_mb = 16384, "
        "c.disk_gb = 200", database_="neo4j")


def test_watcher_model(gone: GraphQuery, neo4j_driver: neo4j.Driver) -> None:
    _resync_n2(neo4j_driver)
    model = gone.to_watcher_model()
    assert set(model.get_all_instances()) == LIVE
    assert set(model.get_all_compute_nodes()) == {"u-n2"}
    n2 = model.get_node_by_uuid("u-n2")
    assert {i.uuid for i in model.get_node_instances(n2)} == LIVE
    assert model.get_node_used_resources(n2) == {"vcpu": 2, "memory": 4096, "disk": 40}


def test_viz_rows(gone: GraphQuery) -> None:
    nodes, instances = viz.fetch(gone)
    assert [n["hypervisor_hostname"] for n in nodes] == ["n2"]
    assert {i["uuid"] for i in instances} == LIVE
    nodes, instances = viz.fetch(gone, host="h1")
    assert (nodes, instances) == ([], [])
    _, instances = viz.fetch(gone, host="h2")
    assert {i["uuid"] for i in instances} == LIVE


def test_viz_page(gone: GraphQuery, conf, tmp_path) -> None:
    out = tmp_path / "g.html"
    result = CliRunner().invoke(main, ["viz", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    block = re.search(r'<script type="application/json" id="neo4j-viz-data">(.*?)</script>',
                      out.read_text(), re.S)
    ids = {n["id"] for n in json.loads(block.group(1))["nodes"]}
    assert ids == {"cn:n2"} | {f"i:{u}" for u in LIVE}


def test_a_newer_event_brings_a_gone_instance_back(gone: GraphQuery, writer: GraphWriter,
                                                   neo4j_driver: neo4j.Driver) -> None:
    """The filter is the write side's mark, not the host: a revived instance shows again."""
    _resync_n2(neo4j_driver)
    back = Instance(B, "h2", "n2", name="vm-back", flavor=SMALL, project_id=PROJECT)
    later = emitter.Clock(start=emitter.Clock().now.replace(hour=11))
    data = run(writer, [emitter.instance_event("instance.update", back, timestamp=later())])
    assert {i["uuid"] for i in data["instances"]} == LIVE | {B}
    assert {i["uuid"] for i in gone.instances()} == LIVE | {B}
    assert gone.instance_by_uuid(B)["hosted_on"] == "n2"
    assert {i.uuid for i in gone.to_watcher_model().get_all_instances().values()} == LIVE | {B}
    assert gone.instance_by_uuid(A) is None
