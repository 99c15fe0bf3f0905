"""The resync's pure transform: Watcher's arithmetic and the drift, on hand-written data."""

from __future__ import annotations

import json

from graphcdm.graph.changes import InstanceMove, InstanceUnmap, InstanceUpsert
from graphcdm.sync import snapshot
from graphcdm.sync.nova import RawCloud

V = "00000001700000000000000|sync"


def hyp(name: str, uuid: str, host: str | None = None, **kw) -> dict:
    row = {"id": uuid, "hypervisor_hostname": name, "service_host": host or name,
           "disabled_reason": None, "state": "up", "status": "enabled", "vcpus": 8,
           "memory_mb": 16384, "local_gb": 100}
    return row | kw


def server(uuid: str, host: str | None, node: str | None, **kw) -> dict:
    row = {"id": uuid, "name": f"vm-{uuid}", "status": "ACTIVE", "vm_state": "active",
           "task_state": None, "power_state": 1, "host": host, "node": node,
           "flavor": {"name": "m1", "vcpus": 2, "ram": 2048, "disk": 20, "ephemeral": 0,
                      "swap": 0},
           "image_id": "img", "project_id": "p", "user_id": "u", "locked": False,
           "availability_zone": "nova", "created": "2025-01-01T00:00:00Z", "metadata": {}}
    return row | kw


def raw(**kw) -> RawCloud:
    base = RawCloud(services=[{"id": "s1", "host": "h1", "binary": "nova-compute",
                               "zone": "az1", "state": "up", "status": "enabled",
                               "disabled_reason": None, "forced_down": False}],
                    hypervisors=[hyp("h1.example", "u1", "h1")])
    for key, value in kw.items():
        setattr(base, key, value)
    return base


def test_boot_from_volume_is_a_server_without_image():
    snap = snapshot.build(raw(servers=[server("a", "h1", "h1.example", image_id=None)]), V)
    upsert = next(c for c in snap.instance_changes if isinstance(c, InstanceUpsert))
    assert upsert.attrs["boot_from_volume"] is True  # instance_write then counts no root
    assert upsert.attrs["root_gb"] == 20
    assert upsert.attrs["power_state"] == "running"


def test_placement_inventories_win_over_hypervisor_figures():
    inv = {"u1": {"VCPU": {"total": 16, "reserved": 2, "allocation_ratio": 4.0},
                  "MEMORY_MB": {"total": 16000, "reserved": 512, "allocation_ratio": 1.5}}}
    (row,) = snapshot.build(raw(inventories=inv), V).nodes
    assert (row["vcpus"], row["vcpu_reserved"], row["vcpu_ratio"]) == (16, 2, 4.0)
    assert (row["memory_mb"], row["memory_mb_reserved"], row["memory_ratio"]) == \
        (16000, 512, 1.5)
    # no DISK_GB inventory: the hypervisor's figure, nothing reserved, ratio 1
    assert (row["disk_gb"], row["disk_gb_reserved"], row["disk_ratio"]) == (100, 0, 1.0)


def test_without_placement_hypervisor_figures():
    (row,) = snapshot.build(raw(inventories=None), V).nodes
    assert row == {
        "uuid": "u1", "hostname": "h1", "hypervisor_hostname": "h1.example", "state": "up",
        "status": "enabled", "disabled_reason": None, "vcpus": 8, "vcpu_reserved": 0,
        "vcpu_ratio": 1.0, "memory_mb": 16384, "memory_mb_reserved": 0, "memory_ratio": 1.0,
        "disk_gb": 100, "disk_gb_reserved": 0, "disk_ratio": 1.0, "availability_zone": "az1",
        "forced_down": False, "service_uuid": "s1", "hypervisor_type": None, "version": V}


def test_zone_api_wins_over_service_zone():
    (row,) = snapshot.build(raw(zones={"h1": "az9"}), V).nodes
    assert row["availability_zone"] == "az9"


def test_servers_become_the_changes_notifications_give():
    snap = snapshot.build(raw(servers=[server("b", None, None),
                                       server("a", "h1", "h1.example",
                                              metadata={"k": "v"}),
                                       server("d", "h1", "h1.example", vm_state="deleted")]),
                          V)
    kinds = [(type(c).__name__, c.uuid) for c in snap.instance_changes]
    assert kinds == [("InstanceUpsert", "a"), ("InstanceMove", "a"),
                     ("InstanceUpsert", "b"), ("InstanceUnmap", "b")]
    assert all(c.version == V for c in snap.instance_changes)
    move = snap.instance_changes[1]
    assert isinstance(move, InstanceMove) and (move.host, move.node) == ("h1", "h1.example")
    assert isinstance(snap.instance_changes[3], InstanceUnmap)
    assert json.loads(snap.instance_changes[0].attrs["metadata"]) == {"k": "v"}
    assert snap.instances["b"]["node"] is None


def test_aggregates_and_memberships_by_service_host():
    aggs = [{"id": 2, "uuid": "x", "name": "ssd", "hosts": ["h1", "gone-host"],
             "availability_zone": "az1", "metadata": {"b": 1, "a": 2}},
            {"id": 1, "uuid": "y", "name": "empty", "hosts": [], "availability_zone": None,
             "metadata": {}}]
    snap = snapshot.build(raw(aggregates=aggs), V)
    assert [a["id"] for a in snap.aggregates] == [1, 2]
    assert snap.aggregates[1]["metadata"] == '{"a":2,"b":1}'
    assert snap.aggregates[1]["members"] == ["h1.example"]
    assert snap.memberships == [{"hypervisor_hostname": "h1.example", "aggregate_ids": [2]}]


def test_drift_created_updated_moved_removed():
    snap = snapshot.build(raw(servers=[server("a", "h1", "h1.example"),
                                       server("b", "h1", "h1.example"),
                                       server("c", "h1", "h1.example")]), V)
    graph = {
        "compute_nodes": {"h1.example": {"placeholder": True, "hypervisor_hostname": "h1.example"},
                          "old": {"placeholder": False}},
        "instances": {"a": {**snap.instances["a"]},
                      "b": {**snap.instances["b"], "node": "elsewhere", "vcpus": 1},
                      "z": {"name": "z"}},
        "aggregates": {5: {"name": "x"}},
    }
    d = snapshot.drift(snap, graph)
    assert d.kinds["compute_nodes"].counts() == {"created": 0, "updated": 1, "moved": 0,
                                                 "removed": 1}
    inst = d.kinds["instances"]
    assert (inst.created, inst.updated, inst.moved, inst.removed) == (["c"], ["b"], ["b"], ["z"])
    assert d.kinds["aggregates"].removed == [5]
    assert d.total() == 7
    shown = d.as_dict(examples=1)
    assert shown["instances"]["removed"] == {"count": 1, "examples": ["z"]}


def test_integer_and_float_figures_compare_equal():
    (row,) = snapshot.build(raw(), V).nodes
    have = {**row, "vcpu_ratio": 1, "placeholder": False}
    assert snapshot.drift(snapshot.Snapshot(V, nodes=[row]),
                          {"compute_nodes": {"h1.example": have}}).total() == 0


def test_report_line_is_short():
    from graphcdm.sync import SyncReport

    snap = snapshot.build(raw(servers=[server(str(i), "h1", "h1.example")
                                       for i in range(500)]), V)
    report = SyncReport(version=V, dry_run=False, fetched={"compute_nodes": 1,
                                                           "instances": 500},
                        drift=snapshot.drift(snap, {}), seconds={"poll": 1.0, "load": 0.5})
    text = str(report)
    assert len(text) < 300
    assert "instances created 500" in text and "1.5 s" in text


def test_hypervisor_type_and_extended_instance_attributes_are_read():
    """What Watcher's collector reads: hypervisor_type (ironic nodes are left out of its
    model), the embedded flavor's extra_specs (2.47+) and pinned_availability_zone (2.96+,
    only when nova answers it: absent, the graph's value is left alone)."""
    cloud = raw(inventories=None)
    cloud.hypervisors[0]["hypervisor_type"] = "ironic"
    (row,) = snapshot.build(cloud, V).nodes
    assert row["hypervisor_type"] == "ironic"
    server = {"id": "x", "vm_state": "active", "flavor": {"vcpus": 1, "extra_specs":
                                                          {"hw:cpu_policy": "dedicated"}}}
    attrs = snapshot.instance_attrs(server)
    assert attrs["flavor_extra_specs"] == '{"hw:cpu_policy":"dedicated"}'
    assert "pinned_availability_zone" not in attrs
    assert snapshot.instance_attrs({**server, "pinned_availability_zone": "az2"})[
        "pinned_availability_zone"] == "az2"
