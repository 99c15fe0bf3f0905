"""Resync against a real HTTP API no one here wrote: Watcher 17's emulators.

Watcher's Nova and Placement API emulators are served on loopback
(tests/functional/emulators.py); openstacksdk reads them as it would a
cloud (auth_type none, endpoint overrides), and the graph is a real Neo4j.
Each test states the graph the cloud must give, through ``export`` or Cypher.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.read.query import GraphQuery
from graphcdm.sim import emitter
from graphcdm.sim.emitter import Flavor, Instance
from graphcdm.sync import PollFailed, resync
from tests.functional.emulators import Aggregate, Cloud, ComputeTopology
from tests.functional.fixtures import topology

REPO = Path(__file__).resolve().parents[2]


def _read(writer, name: str, **params):
    return GraphQuery.of(writer).read(name, **params)


def uuid_of(t: ComputeTopology, name: str) -> str:
    return next(i.uuid for i in t.instances if i.name == name)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    c = Cloud(topology())
    yield c
    c.stop()


@pytest.fixture
def sconf(conf, cloud: Cloud):
    """graphcdm's configuration with [nova] pointing at the emulators."""
    for key, value in cloud.conf_overrides().items():
        conf.set_override(key, value, group="nova")
    conf.set_override("batch_size", 2, group="sync")  # several batches even here
    conf.set_override("page_size", 2, group="sync")  # and several pages
    return conf


def nodes(writer) -> dict[str, dict[str, Any]]:
    return {r["hypervisor_hostname"]: r for r in _read(writer, "sync/graph_compute_nodes")}


def placement(writer) -> dict[str, str | None]:
    return {i["uuid"]: (i["hosted_on"] or {}).get("hypervisor_hostname")
            for i in export.export(writer)["instances"]}


def members(writer) -> dict[int, list[str]]:
    return {a["id"]: sorted(a["members"]) for a in _read(writer, "sync/graph_aggregates")}


def note(message: dict[str, Any]) -> envelope.Notification:
    return envelope.from_message(message)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------


def test_sync_builds_the_graph(writer, sconf, cloud):
    t = topology()
    report = resync(sconf, writer)
    assert report.placement is True
    assert report.fetched["instances"] == 5

    got = nodes(writer)
    assert sorted(got) == ["compute-1", "compute-2", "compute-3"]
    c1 = got["compute-1"]
    assert c1 | {} == {
        "hypervisor_hostname": "compute-1", "hostname": "compute-1",
        "uuid": "aaaa0001-0000-0000-0000-000000000001", "state": "up", "status": "enabled",
        "disabled_reason": None, "vcpus": 16, "vcpu_reserved": 2, "vcpu_ratio": 4.0,
        "memory_mb": 32768, "memory_mb_reserved": 512, "memory_ratio": 1.5, "disk_gb": 500,
        "disk_gb_reserved": 10, "disk_ratio": 1.0, "availability_zone": "nova",
        "hypervisor_type": "libvirt", "placeholder": False}

    data = export.export(writer)
    inst = {i["name"]: i for i in data["instances"]}
    assert {n: i["hosted_on"]["hypervisor_hostname"] for n, i in inst.items()} == {
        "vm-1": "compute-1", "vm-2": "compute-1", "vm-3": "compute-2", "vm-4": "compute-2",
        "vm-5": "compute-3"}
    # Watcher's disk: root (unless boot-from-volume) + ephemeral + swap rounded up to GB
    assert inst["vm-1"]["disk_gb"] == 20 + 5 + 2
    assert inst["vm-3"]["disk_gb"] == 40
    assert inst["vm-5"]["disk_gb"] == 0
    assert (inst["vm-1"]["vcpus"], inst["vm-1"]["memory_mb"], inst["vm-1"]["state"]) == \
        (2, 2048, "active")
    assert uuid_of(t, "vm-1") == inst["vm-1"]["uuid"]

    aggs = _read(writer, "sync/graph_aggregates")
    assert [(a["id"], a["name"], json.loads(a["metadata"])) for a in aggs] == \
        [(7, "ssd", {"ssd": "true"})]
    assert members(writer) == {7: ["compute-1", "compute-2"]}
    # the read side's scope query finds the aggregate's hosts
    hosts = _read(writer, "queries/scope_aggregate_hosts", ids=[7], names=[], all=False)
    assert [h["hostname"] for h in hosts] == ["compute-1", "compute-2"]

    # a second sync of an unchanged cloud changes nothing
    again = resync(sconf, writer)
    assert again.drift.total() == 0
    assert export.export(writer) == data


def test_graph_follows_the_cloud(writer, sconf, cloud):
    t = topology()
    resync(sconf, writer)
    vm3 = uuid_of(t, "vm-3")
    vm5 = uuid_of(t, "vm-5")
    # compute-3 goes (with its instance), vm-3 moves to compute-1, compute-2 is
    # disabled, leaves the aggregate, a new host edge-1 appears (with the uuid
    # compute-3 had: Watcher's topology numbers uuids by position)
    t.compute_nodes = [n for n in t.compute_nodes if n.hostname != "compute-3"]
    t.instances = [i for i in t.instances if i.uuid != vm5]
    t.update_instance("vm-3", host="compute-1")
    t.update_compute("compute-2", status="disabled", disabled_reason="maintenance",
                     state="down")
    t.add_computes(count=1, hostname_prefix="edge")
    t.aggregates = [Aggregate(id=7, name="ssd", hosts=["compute-1"], metadata={})]
    cloud.load(t)

    report = resync(sconf, writer)
    counts = {k: d.counts() for k, d in report.drift.kinds.items()}
    assert counts["compute_nodes"]["removed"] == 1 and counts["compute_nodes"]["created"] == 1
    assert counts["instances"] == {"created": 0, "updated": 0, "moved": 1, "removed": 1}

    got = nodes(writer)
    assert sorted(got) == ["compute-1", "compute-2", "edge-1"]
    assert got["edge-1"]["uuid"] == "aaaa0003-0000-0000-0000-000000000003"
    assert (got["compute-2"]["status"], got["compute-2"]["state"],
            got["compute-2"]["disabled_reason"]) == ("disabled", "down", "maintenance")
    where = placement(writer)
    assert vm5 not in where
    assert where[vm3] == "compute-1"
    assert members(writer) == {7: ["compute-1"]}
    # the removed instance leaves a soft tombstone at the poll's version
    with writer.driver.session() as s:
        t5 = s.run("MATCH (t:InstanceTombstone {uuid: $u}) RETURN t.final AS final, "
                   "t.version AS version", u=vm5).single()
    assert t5 is not None and t5["final"] is False and t5["version"] == report.version


def test_failed_poll_deletes_nothing(writer, sconf, cloud):
    t = topology()
    resync(sconf, writer)
    before = export.export(writer)
    before_aggs = _read(writer, "sync/graph_aggregates")
    # the cloud loses a host and most instances, but the servers listing fails
    # halfway (second page): nothing may be deleted
    t.compute_nodes = t.compute_nodes[:1]
    t.instances = t.instances[:3]  # two pages of two
    t.aggregates = []
    cloud.load(t)
    cloud.nova_http.before = lambda environ: (
        500 if environ["PATH_INFO"].endswith("/servers/detail")
        and "marker=" in environ.get("QUERY_STRING", "") else None)
    with pytest.raises(PollFailed, match="servers"):
        resync(sconf, writer)
    assert any("marker=" in r for r in cloud.nova_http.requests)  # it failed on page 2
    assert export.export(writer) == before
    assert _read(writer, "sync/graph_aggregates") == before_aggs


def test_newer_notification_during_the_poll_wins(writer, sconf, cloud):
    t = topology()
    resync(sconf, writer)
    vm1, vm2, vm3 = (uuid_of(t, n) for n in ("vm-1", "vm-2", "vm-3"))
    fresh = "f0000000-0000-4000-8000-00000000000f"
    pipeline = Pipeline(writer)
    fired: list[bool] = []

    def during_poll(environ: dict) -> None:
        # while the servers are being listed, nova live-migrates vm-1 to
        # compute-3, deletes vm-2, boots a new instance on compute-2 and
        # disables compute-1: the notifications arrive after the poll started
        if environ["PATH_INFO"].endswith("/servers/detail") and not fired:
            fired.append(True)
            small = Flavor(vcpus=2, memory_mb=2048, root_gb=20)
            pipeline.apply([
                note(emitter.instance_event(
                    "instance.live_migration_post_dest.end",
                    Instance(vm1, "compute-3", "compute-3", name="vm-1", flavor=small),
                    timestamp=now())),
                note(emitter.instance_event(
                    "instance.delete.end", Instance(vm2, "compute-1", "compute-1",
                                                    name="vm-2", state="deleted"),
                    timestamp=now())),
                note(emitter.instance_event(
                    "instance.create.end", Instance(fresh, "compute-2", "compute-2",
                                                    name="fresh"), timestamp=now())),
                note(emitter.service_event("service.update", "compute-1", disabled=True,
                                           disabled_reason="draining", timestamp=now())),
            ])
        return None

    cloud.nova_http.before = during_poll
    report = resync(sconf, writer)
    assert fired
    where = placement(writer)
    assert where[vm1] == "compute-3"  # the emulator still says compute-1
    assert vm2 not in where  # not resurrected by the snapshot
    assert where[fresh] == "compute-2"  # not removed by the cleanup
    assert where[vm3] == "compute-2"
    assert report.spared["instances"] == 1
    got = nodes(writer)
    assert (got["compute-1"]["status"], got["compute-1"]["disabled_reason"]) == \
        ("disabled", "draining")
    # and the next sync, with no notification, makes the graph follow the cloud
    cloud.nova_http.before = None
    resync(sconf, writer)
    where = placement(writer)
    assert where[vm1] == "compute-1" and fresh not in where
    assert nodes(writer)["compute-1"]["status"] == "enabled"


def test_placeholders_are_completed(writer, sconf, cloud):
    t = topology()
    vm1 = uuid_of(t, "vm-1")
    old = now() - dt.timedelta(minutes=5)
    Pipeline(writer).apply([
        # a node known only by name from a placement
        note(emitter.instance_event("instance.create.end",
                                    Instance(vm1, "compute-1", "compute-1", name="vm-1"),
                                    timestamp=old)),
        # a host known only by its service (host-only placeholder)
        note(emitter.service_event("service.update", "compute-3", disabled=True,
                                   disabled_reason="old", timestamp=old)),
    ])
    before = nodes(writer)
    assert before["compute-1"]["placeholder"] and before["compute-3"]["placeholder"]
    resync(sconf, writer)
    got = nodes(writer)
    assert sorted(got) == ["compute-1", "compute-2", "compute-3"]
    assert not any(n["placeholder"] for n in got.values())
    assert got["compute-1"]["uuid"] == "aaaa0001-0000-0000-0000-000000000001"
    assert got["compute-3"]["status"] == "enabled"  # the poll is newer than that update
    with writer.driver.session() as s:
        rows = s.run("MATCH (c:ComputeNode) WHERE c.host_only OR c.placeholder "
                     "RETURN count(c) AS n").single()
    assert rows["n"] == 0
    assert placement(writer)[vm1] == "compute-1"


def test_dry_run_prints_drift_and_writes_nothing(writer, sconf, cloud):
    t = topology()
    resync(sconf, writer)
    t.compute_nodes = [n for n in t.compute_nodes if n.hostname != "compute-3"]
    t.instances = [i for i in t.instances if i.host != "compute-3"]
    t.update_instance("vm-1", host="compute-2")
    cloud.load(t)
    before = export.export(writer)
    report = resync(sconf, writer, dry_run=True)
    assert export.export(writer) == before
    kinds = report.drift.kinds
    assert kinds["compute_nodes"].removed == ["compute-3"]
    assert kinds["instances"].moved == [uuid_of(t, "vm-1")]
    assert len(kinds["instances"].removed) == 1


def _conf_file(tmp_path: Path, cloud: Cloud, uri: str) -> Path:
    path = tmp_path / "graphcdm.conf"
    path.write_text(f"""[neo4j]
uri = {uri}
password =

[nova]
auth_type = none
compute_endpoint_override = {cloud.compute_url}
placement_endpoint_override = {cloud.placement_url}
""")
    return path


def _cli(conf_file: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHCDM_NEO4J")}
    return subprocess.run([sys.executable, "-m", "graphcdm.cli", "--config-file",
                           str(conf_file), "sync", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)


def test_cli_end_to_end(writer, neo4j_uri, cloud, tmp_path):
    t = topology()
    conf_file = _conf_file(tmp_path, cloud, neo4j_uri)
    dry = _cli(conf_file, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "compute_nodes  created 3" in dry.stdout and "Dry run: nothing written." in dry.stdout
    assert export.export(writer)["compute_nodes"] == []

    done = _cli(conf_file, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["drift"]["instances"]["created"]["count"] == 5
    assert sorted(placement(writer).values()) == \
        ["compute-1", "compute-1", "compute-2", "compute-2", "compute-3"]

    # the API fails: non-zero status, a clear message, nothing removed
    t.instances = []
    cloud.load(t)
    cloud.nova_http.before = lambda environ: (
        500 if environ["PATH_INFO"].endswith("/servers/detail") else None)
    failed = _cli(conf_file)
    assert failed.returncode == 1
    assert "resync aborted, nothing removed" in failed.stderr and "servers" in failed.stderr
    assert len(placement(writer)) == 5


def test_placement_down_falls_back_to_hypervisor_figures(writer, sconf, cloud):
    cloud.placement_http.before = lambda environ: 503
    report = resync(sconf, writer)
    assert report.placement is False
    c1 = nodes(writer)["compute-1"]
    # the hypervisor's totals, nothing reserved, ratio 1 (Watcher's fallback)
    assert (c1["vcpus"], c1["vcpu_reserved"], c1["vcpu_ratio"], c1["memory_mb_reserved"]) == \
        (16, 0, 1.0, 0)
    assert len(placement(writer)) == 5


def test_service_deleted_during_the_poll_stays_deleted(writer, sconf, cloud):
    t = topology()
    resync(sconf, writer)
    vm5 = uuid_of(t, "vm-5")
    pipeline = Pipeline(writer)
    fired: list[bool] = []

    def during_poll(environ: dict) -> None:
        if environ["PATH_INFO"].endswith("/os-hypervisors/detail") and not fired:
            fired.append(True)
            pipeline.apply([note(emitter.service_event("service.delete", "compute-3",
                                                       timestamp=now()))])
        return None

    cloud.nova_http.before = during_poll
    resync(sconf, writer)
    assert fired
    # the snapshot (older than the deletion) brings neither the node nor the
    # instance's placement back
    assert sorted(nodes(writer)) == ["compute-1", "compute-2"]
    assert vm5 not in placement(writer)
