"""Watcher 17's own strategies on two models of one cloud: Watcher's and the graph's.

The cloud is served by Watcher's Nova and Placement API emulators
(tests/functional/emulators.py). Watcher's side is its stock
``NovaClusterDataModelCollector``, loaded by its own loader, reading the
emulators through openstacksdk exactly as it reads nova (only
``clients.get_sdk_connection`` is pointed at the emulators, as Watcher's
functional tests do). The graph's side is graphcdm's resync of the same
emulators into a real Neo4j, read by stock strategies through the supported
route (:mod:`graphcdm.read.watcher_route`). Both run the same strategies with
the same deterministic stub datasource and audit parameters; their action
lists must be identical.

The cloud has what makes models differ: capacities with reserved and
allocation ratios (placement inventories), a disabled and a down host, two
availability zones and aggregates, a boot-from-volume instance, one with
ephemeral disk and swap, instances in every vm_state Watcher can hold, a
shelved-offloaded (hostless) instance, and an ironic node with its
baremetal instance (nova reports it with 0 vcpus/memory/disk; Watcher's
``NovaModelBuilder._compute_node_future`` filters ``hypervisor_type ==
'ironic'``).

Then nova's notifications of an evacuation, a resize confirm and a live
migration go through graphcdm's pipeline: the graph's plans at once equal the
plans Watcher makes on a fresh model of the cloud after the moves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterator
from typing import Any

import fixtures
import openstack.connection
import pytest
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from oslo_config import cfg
from oslo_service import service
from watcher.common import exception as wexc
from watcher.common import utils as wutils
from watcher.decision_engine.loading import default as loading
from watcher.decision_engine.model.collector import nova as nova_collector
from watcher.decision_engine.model.model_root import ModelRoot

from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import watcher_route
from graphcdm.read.watcher_collector import CONFIG_GROUP, GraphComputeModelCollector
from graphcdm.sim import emitter
from graphcdm.sync import resync
from tests.functional.emulators import Aggregate, Cloud, ComputeNode, ComputeTopology, Instance

PROJECT = "9a2e3b4c-0000-4000-8000-00000000000a"


def _uuid(n: int) -> str:
    return f"5e1f0000-0000-4000-8000-{n:012d}"


def topology() -> ComputeTopology:
    nodes = [
        ComputeNode(uuid=_uuid(101), hostname="c1", vcpus=16, memory=32768, disk=400,
                    availability_zone="az1", vcpu_ratio=4.0, vcpu_reserved=2,
                    memory_ratio=1.5, memory_mb_reserved=512, disk_gb_reserved=10),
        ComputeNode(uuid=_uuid(102), hostname="c2", vcpus=16, memory=32768, disk=400,
                    availability_zone="az1"),
        ComputeNode(uuid=_uuid(103), hostname="c3", vcpus=8, memory=16384, disk=200,
                    availability_zone="az1", status="disabled",
                    disabled_reason="maintenance"),
        ComputeNode(uuid=_uuid(104), hostname="c4", vcpus=32, memory=65536, disk=800,
                    availability_zone="az2", vcpu_ratio=2.0, disk_ratio=1.5),
        ComputeNode(uuid=_uuid(105), hostname="c5", vcpus=32, memory=65536, disk=800,
                    availability_zone="az2", state="down"),
        ComputeNode(uuid=_uuid(106), hostname="c6", vcpus=24, memory=49152, disk=600,
                    availability_zone="az2"),
        ComputeNode(uuid=_uuid(107), hostname="bm1", vcpus=1, memory=1, disk=1,
                    availability_zone="az1"),  # made ironic below, as nova reports it
    ]
    states = ["active", "stopped", "paused", "suspended", "error", "rescued", "resized",
              "shelved", "building", "soft-delete"]
    instances = []
    n = 0
    for host, count in (("c1", 4), ("c2", 3), ("c3", 2), ("c4", 5), ("c5", 2), ("c6", 3)):
        for k in range(count):
            n += 1
            instances.append(Instance(
                uuid=_uuid(n), name=f"vm-{n}", host=host, vcpus=1 + (n % 4),
                memory=1024 * (1 + n % 3), disk=10 * (1 + n % 2), project_id=PROJECT,
                state=states[n % len(states)] if k else "active",
                availability_zone="az1" if host in ("c1", "c2", "c3") else "az2",
                metadata={"tier": "web" if n % 2 else "db"}))
    instances += [
        Instance(uuid=_uuid(51), name="bfv", host="c2", vcpus=2, memory=2048, disk=40,
                 bfv=True, project_id=PROJECT, availability_zone="az1"),
        Instance(uuid=_uuid(52), name="eph-swap", host="c4", vcpus=2, memory=2048, disk=20,
                 ephemeral=10, swap=1536, project_id=PROJECT, availability_zone="az2"),
        Instance(uuid=_uuid(53), name="offloaded", host="c6", vcpus=2, memory=2048, disk=20,
                 state="shelved_offloaded", project_id=PROJECT),  # made hostless below
        Instance(uuid=_uuid(54), name="baremetal", host="bm1", vcpus=1, memory=1, disk=1,
                 project_id=PROJECT, availability_zone="az1"),
    ]
    aggregates = [Aggregate(id=1, name="fast", hosts=["c1", "c2", "c4"]),
                  Aggregate(id=2, name="big", hosts=["c4", "c5", "c6"])]
    return ComputeTopology(compute_nodes=nodes, instances=instances, aggregates=aggregates)


def as_nova_reports(cloud: Cloud) -> None:
    """What the emulator cannot be told: an ironic node and a hostless instance."""
    bm = cloud.nova.hypervisors[_uuid(107)]
    bm.update(hypervisor_type="ironic", vcpus=0, memory_mb=0, memory_size=0, local_gb=0)
    if cloud.placement is not None:
        cloud.placement.inventories.pop(_uuid(107), None) if hasattr(
            cloud.placement, "inventories") else None
    offloaded = cloud.nova.servers[_uuid(53)]
    offloaded.update({"OS-EXT-SRV-ATTR:host": None,
                      "OS-EXT-SRV-ATTR:hypervisor_hostname": None})


class StubDatasource:
    """Deterministic metrics: a function of (resource uuid, metric) only."""

    NAME = "stub"

    @staticmethod
    def _value(resource: Any, metric: str, top: float) -> float:
        uuid = getattr(resource, "uuid", resource)
        digest = hashlib.sha256(f"{uuid}/{metric}".encode()).digest()
        return round(top * (5 + digest[0] % 90) / 100.0, 2)

    def get_host_cpu_usage(self, resource, period=None, aggregate=None, granularity=None):
        return self._value(resource, "host_cpu", 100)

    def get_host_ram_usage(self, resource, period=None, aggregate=None, granularity=None):
        return self._value(resource, "host_ram", resource.memory * 1024)

    def get_instance_cpu_usage(self, resource, period=None, aggregate=None,
                               granularity=None):
        return self._value(resource, "instance_cpu", 100)

    def get_instance_ram_usage(self, resource, period=None, aggregate=None,
                               granularity=None):
        return self._value(resource, "instance_ram", resource.memory)

    def get_instance_ram_allocated(self, resource, period=None, aggregate=None,
                                   granularity=None):
        return resource.memory

    def get_instance_root_disk_size(self, resource, period=None, aggregate=None,
                                    granularity=None):
        return resource.disk

    def statistic_aggregation(self, resource=None, resource_type=None, meter_name=None,
                              period=300, aggregate="mean", granularity=300):
        top = resource.memory if meter_name and "ram" in meter_name else 100
        return self._value(resource, f"{resource_type}/{meter_name}", top)


#: strategy -> audit parameters (besides the schema's defaults)
STRATEGIES: dict[str, dict[str, Any]] = {
    "basic": {},
    "vm_workload_consolidation": {},
    "host_maintenance": {"maintenance_node": "c4"},
    "workload_stabilization": {},
    "workload_balance": {"metrics": "instance_cpu_usage", "threshold": 20.0},
    "node_resource_consolidation": {},
}


def plan(name: str, scope: list | None = None) -> list[dict[str, Any]]:
    """The actions strategy ``name`` computes, as Watcher's audit would run it."""
    strategy = loading.DefaultStrategyLoader().load(name)
    strategy.audit_scope = scope or []
    params: dict[str, Any] = dict(STRATEGIES[name])
    schema = strategy.get_schema()
    if schema:
        wutils.StrictDefaultValidatingDraft4Validator(schema).validate(params)
    strategy.input_parameters.update(params)
    strategy._datasource_backend = StubDatasource()
    strategy._compute_model = in_uuid_order(strategy.compute_model)
    random.seed(13)   # workload_stabilization samples hosts at random
    solution = strategy.execute()
    return sorted(json.dumps({"action_type": a["action_type"],
                              "resource_id": a.get("resource_id"),
                              "input_parameters": a["input_parameters"]},
                             sort_keys=True, default=str)
                  for a in solution.actions)


def in_uuid_order(model: ModelRoot) -> ModelRoot:
    """The same model with nodes, instances and edges inserted in uuid order.

    Why: strategies break ties (equal scores, equal free capacity) by the
    model's iteration order, and Watcher's own collector inserts in the order
    its thread pool finishes hosts, so two Watcher audits of one cloud can
    already plan differently on ties. Both models go through this same
    reordering; what is compared is their content.
    """
    out = ModelRoot()
    for uuid, node in sorted(model.get_all_compute_nodes().items()):
        out.add_node(node)
    for uuid, inst in sorted(model.get_all_instances().items()):
        out.add_instance(inst)
    for uuid in sorted(model.get_all_instances()):
        try:
            node = model.get_node_by_instance_uuid(uuid)
        except wexc.ComputeResourceNotFound:
            continue
        out.map_instance(out.get_instance_by_uuid(uuid), out.get_node_by_uuid(node.uuid))
    return out


def _forget_singletons() -> None:
    for cls in (GraphComputeModelCollector, nova_collector.NovaClusterDataModelCollector):
        service.Singleton._instances.pop(cls, None)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    c = Cloud(topology())
    as_nova_reports(c)
    yield c
    c.stop()


@pytest.fixture
def watcher_conf(cloud: Cloud, neo4j_uri: str) -> Iterator[None]:
    """Watcher's configuration; its nova and placement clients on the emulators."""
    cfg.CONF(args=[], project="watcher", default_config_files=[])
    cfg.CONF.register_opts(GraphComputeModelCollector.get_config_opts(), group=CONFIG_GROUP)
    cfg.CONF.set_override("uri", neo4j_uri, group=CONFIG_GROUP)
    cfg.CONF.set_override("password", "", group=CONFIG_GROUP)
    cfg.CONF.set_override("collector_plugins", ["compute"], group="collector")
    cfg.CONF.set_override("api_query_max_retries", 1, group="collector")
    sess = ks_session.Session(auth=noauth.NoAuth(endpoint=cloud.compute_url))
    conn = openstack.connection.Connection(session=sess,
                                           compute_endpoint_override=cloud.compute_url,
                                           placement_endpoint_override=cloud.placement_url)
    patch = fixtures.MockPatch("watcher.common.clients.get_sdk_connection",
                               return_value=conn)
    patch.setUp()
    _forget_singletons()
    yield
    patch.cleanUp()
    watcher_route.uninstall()
    graph = service.Singleton._instances.get(GraphComputeModelCollector)
    if graph is not None and graph._driver is not None:
        graph._driver.close()
    _forget_singletons()
    for opt in ("uri", "password"):
        cfg.CONF.clear_override(opt, group=CONFIG_GROUP)
    for opt in ("collector_plugins", "api_query_max_retries"):
        cfg.CONF.clear_override(opt, group="collector")


def watcher_plans(scope: list | None = None) -> dict[str, list]:
    """Plans on Watcher's own model (a fresh one: the collector singleton is new)."""
    watcher_route.uninstall()
    service.Singleton._instances.pop(nova_collector.NovaClusterDataModelCollector, None)
    return {name: plan(name, scope) for name in STRATEGIES}


def graph_plans(scope: list | None = None) -> dict[str, list]:
    watcher_route.install()
    try:
        return {name: plan(name, scope) for name in STRATEGIES}
    finally:
        watcher_route.uninstall()


@pytest.fixture
def synced(sconf_for, writer, cloud: Cloud, watcher_conf) -> Any:
    resync(sconf_for(cloud), writer)
    return writer


@pytest.fixture
def sconf_for(conf):
    def make(cloud: Cloud):
        for key, value in cloud.conf_overrides().items():
            conf.set_override(key, value, group="nova")
        return conf
    return make


def test_models_hold_the_same_cloud(synced) -> None:
    """Watcher's model and the graph's: same nodes, instances, edges, capacities."""
    watcher_route.uninstall()
    theirs = loading.ClusterDataModelCollectorLoader().load("compute")
    theirs.get_audit_scope_handler([])
    theirs = theirs.get_latest_cluster_data_model()
    watcher_route.install()
    ours = loading.ClusterDataModelCollectorLoader().load("compute")
    ours = ours.get_latest_cluster_data_model()
    assert len(theirs.get_all_compute_nodes()) == 6
    assert _uuid(107) not in theirs.get_all_compute_nodes()       # ironic node out
    assert {_uuid(53), _uuid(54)}.isdisjoint(theirs.get_all_instances())
    assert set(ours.get_all_compute_nodes()) == set(theirs.get_all_compute_nodes())
    assert set(ours.get_all_instances()) == set(theirs.get_all_instances())
    assert sorted(ours.edges) == sorted(theirs.edges)
    for uuid, node in theirs.get_all_compute_nodes().items():
        assert ours.get_node_by_uuid(uuid).as_dict() == node.as_dict()
    for uuid, inst in theirs.get_all_instances().items():
        assert ours.get_instance_by_uuid(uuid).as_dict() == inst.as_dict()


def test_extended_attributes_as_watcher_gives_them(cloud: Cloud, sconf_for, writer,
                                                  watcher_conf) -> None:
    """``[compute_model] enable_extended_attributes`` with nova API 2.96: ``pinned_az``
    from the server's ``pinned_availability_zone`` and ``flavor_extra_specs`` from its
    embedded flavor, in Watcher's model and in the graph's alike
    (``NovaModelBuilder._build_instance_node``)."""
    for server in cloud.nova.servers.values():   # nova >= 2.96 answers a zone or null
        server["pinned_availability_zone"] = server["OS-EXT-AZ:availability_zone"]
        server["flavor"]["extra_specs"] = {"hw:cpu_policy": "dedicated"} if (
            server["flavor"]["vcpus"] > 2) else {}
    resync(sconf_for(cloud), writer)
    cfg.CONF.set_override("enable_extended_attributes", True, group="compute_model")
    cfg.CONF.set_override("api_version", "2.96", group="nova")
    try:
        watcher_route.uninstall()
        stock = loading.ClusterDataModelCollectorLoader().load("compute")
        stock.get_audit_scope_handler([])
        theirs = stock.get_latest_cluster_data_model()
        watcher_route.install()
        ours = loading.ClusterDataModelCollectorLoader().load("compute")
        ours = ours.get_latest_cluster_data_model()
    finally:
        cfg.CONF.clear_override("enable_extended_attributes", group="compute_model")
        cfg.CONF.clear_override("api_version", group="nova")
    pinned = {u: i.pinned_az for u, i in theirs.get_all_instances().items()}
    assert set(pinned.values()) == {"az1", "az2"}
    assert {u: i.pinned_az for u, i in ours.get_all_instances().items()} == pinned
    specs = {u: i.flavor_extra_specs for u, i in theirs.get_all_instances().items()}
    assert {"hw:cpu_policy": "dedicated"} in specs.values()
    assert {u: i.flavor_extra_specs for u, i in ours.get_all_instances().items()} == specs


@pytest.mark.parametrize("scope", [
    [],
    [{"compute": [{"availability_zones": [{"name": "az2"}]}]}],
    [{"compute": [{"host_aggregates": [{"name": "fast"}]}]}],
], ids=["cloud", "az2", "aggregate-fast"])
def test_strategies_plan_the_same(synced, scope: list) -> None:
    theirs = watcher_plans(scope)
    ours = graph_plans(scope)
    counts = {name: len(actions) for name, actions in theirs.items()}
    print("action counts", scope, counts)
    assert sum(counts.values()) > 0   # something to compare
    assert ours == theirs


def test_graph_plans_follow_moves_at_once(synced, cloud: Cloud) -> None:
    """Evacuation, resize confirm, live migration: notified, the graph plans on them.

    nova's messages as nova sends them (DESIGN.md, read off nova's code):
    the evacuation's ``instance.rebuild.end`` comes from the destination
    compute with the *old* host in the payload (``ComputeManager.rebuild_instance``);
    ``instance.resize_confirm.end`` shows the destination and the new flavor
    (``ComputeManager._confirm_resize``); ``instance.live_migration_post_dest.end``
    the destination (``ComputeManager.post_live_migration_at_destination``).
    """
    before = graph_plans()
    assert watcher_plans() == before          # and Watcher's collector has cached its model
    evacuated, resized, migrated = _uuid(2), _uuid(6), _uuid(13)   # on c1, c2, c4
    clock = emitter.Clock(start=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5))
    big = emitter.Flavor(name="m1.large", flavorid="9", vcpus=4, memory_mb=8192, root_gb=40)
    servers = cloud.nova.servers
    messages = [
        emitter.instance_event("instance.rebuild.end", _notified(servers[evacuated], "c1"),
                               timestamp=clock(), publisher_host="c6"),
        emitter.instance_event("instance.resize_confirm.end",
                               _notified(servers[resized], "c6", flavor=big),
                               timestamp=clock(), publisher_host="c2"),
        emitter.instance_event("instance.live_migration_post_dest.end",
                               _notified(servers[migrated], "c2"),
                               timestamp=clock(), publisher_host="c2"),
    ]
    outcomes = Pipeline(synced).apply([envelope.from_message(m) for m in messages])
    assert all(o.status != "rejected" for o in outcomes)
    # Watcher's own collector gets the same messages on its endpoint (real NovaHelper
    # on the emulator): its cached model keeps the evacuated instance on the failed host
    stock = loading.ClusterDataModelCollectorLoader().load("compute")
    assert type(stock) is nova_collector.NovaClusterDataModelCollector
    [endpoint] = stock.notification_endpoints
    for m in messages:
        metadata = {"message_id": m["message_id"], "timestamp": m["timestamp"]}
        if endpoint.filter_rule.match({}, m["publisher_id"], m["event_type"], metadata,
                                      m["payload"]):
            endpoint.info({}, m["publisher_id"], m["event_type"], m["payload"], metadata)
    cached = stock.get_latest_cluster_data_model()
    assert cached.get_node_by_instance_uuid(evacuated).hostname == "c1"
    # the cloud after the moves, as nova's API now reports it
    _move(cloud, evacuated, "c6")
    _move(cloud, resized, "c6", flavor=big)
    _move(cloud, migrated, "c2")
    after = watcher_plans()            # a fresh Watcher model of the cloud after the moves
    assert after != before             # the moves change what Watcher would do
    assert graph_plans() == after      # and the graph follows with no resync


def _notified(server: dict[str, Any], host: str, flavor: emitter.Flavor | None = None
              ) -> emitter.Instance:
    f = server["flavor"]
    return emitter.Instance(
        server["id"], host, host, name=server["name"], state=server["OS-EXT-STS:vm_state"],
        flavor=flavor or emitter.Flavor(name=f"flavor-{f['id']}", flavorid=str(f["id"]),
                                        vcpus=f["vcpus"], memory_mb=f["ram"],
                                        root_gb=f["disk"], ephemeral_gb=f["ephemeral"],
                                        swap=f["swap"]),
        project_id=server["tenant_id"], availability_zone=server["OS-EXT-AZ:availability_zone"],
        created_at=server["created"], metadata=dict(server["metadata"]))


def _move(cloud: Cloud, uuid: str, host: str, flavor: emitter.Flavor | None = None) -> None:
    server = cloud.nova.servers[uuid]
    old = server["OS-EXT-SRV-ATTR:host"]
    server.update({"OS-EXT-SRV-ATTR:host": host, "OS-EXT-SRV-ATTR:hypervisor_hostname": host,
                   "hostId": host})
    if flavor is not None:
        server["flavor"] = {**server["flavor"], "vcpus": flavor.vcpus, "ram": flavor.memory_mb,
                            "disk": flavor.root_gb}
    by_host = {h["hypervisor_hostname"]: h for h in cloud.nova.hypervisors.values()}
    by_host[old]["servers"] = [s for s in by_host[old]["servers"] if s["uuid"] != uuid]
    by_host[host]["servers"].append({"uuid": uuid, "name": server["name"]})
