"""Differential test against OpenStack Watcher 17.0.0's nova notification endpoint.

The same notifications go through graphcdm (real pipeline, real Neo4j) and,
in-process, through ``watcher.decision_engine.model.notification.nova.
VersionedNotification`` holding a Watcher ``ModelRoot`` (as Watcher's own
unit tests drive it: a collector object exposing ``cluster_data_model`` and
``sync_lock``; Watcher's nova/placement helpers replaced by stubs that know
the hosts nova knows, the way its tests mock ``NovaHelper``). Watcher 17
has no legacy endpoint any more (removed upstream in 2018), so only the
versioned streams are compared.

Where Watcher is right, the instance -> host mapping (and node status)
agrees. Where Watcher is known to be wrong, the test asserts our answer AND
Watcher's actual wrong answer, so that it documents the difference.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from tests.functional.test_scenarios import BY_NAME, SCENARIOS, X, Y
from tests.functional.watcher_endpoint import WatcherEndpoint, node_uuid

#: hosts whose compute node Watcher's model holds (as after its own sync) and
#: that the nova API stub can resolve
NOVA_HOSTS = ("h1", "h2")


def ours(writer, messages: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = Pipeline(writer).apply([envelope.from_message(m) for m in messages])
    assert all(o.status != "rejected" for o in outcomes)
    return export.export(writer)


def host_placement(data: dict[str, Any]) -> dict[str, str | None]:
    return {i["uuid"]: (i["hosted_on"] or {}).get("hostname") for i in data["instances"]}


def node_status(data: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    return {n["hostname"]: (n["status"], n["disabled_reason"]) for n in data["compute_nodes"]}


#: scenario -> (Watcher's actual instance -> host mapping, why it is wrong)
WATCHER_WRONG: dict[str, tuple[dict[str, str | None], str]] = {
    "evacuate-versioned": (
        {X: "h1", Y: "h2"},
        "maps the evacuated instance to the payload host, the failed source; "
        "the destination compute published rebuild.end"),
    "evacuate-unknown-destination": (
        {X: "h1"},
        "unresolvable destination: leaves the instance on its old node"),
    "shelve-offload": (
        {X: "h1"},
        "ignores instance.shelve_offload.end: an offloaded instance stays on its host"),
    "delete-then-late-update": (
        {X: "h1"},
        "a late instance.update after instance.delete.end resurrects the instance"),
    "scheduler-service-update": (
        {X: None},
        "nova-scheduler/nova-conductor service.* events change the compute node of "
        "that host (here a conductor's service.delete removes it: X left unmapped)"),
    "service-delete-with-instance": (
        {X: None, Y: "h2"},
        "service.delete leaves its instances unmapped but present"),
    "api-save-clock-ahead": (
        {X: "h1"},
        "an instance.update saved by nova-api (published as nova-compute:<controller>, "
        "its clock ahead) moves the instance back to the host its row showed"),
    "cross-cell-resize-before-confirm": (
        {X: "h1"},
        "the conductor's save of the hidden source-cell copy (instance.update, host = "
        "source) moves the resized instance back to the source"),
    "create-on-unknown-host-versioned": (
        {X: None},
        "create.end on a host nova cannot resolve raises after adding the instance: "
        "a half-built, unmapped instance"),
}

VERSIONED = [s for s in SCENARIOS if "legacy" not in s.name]


def test_every_known_wrong_case_is_a_scenario():
    assert set(WATCHER_WRONG) <= {s.name for s in VERSIONED}


@pytest.mark.parametrize("scenario", VERSIONED, ids=lambda s: s.name)
def test_placement_against_watcher(writer, scenario):
    data = ours(writer, scenario.events)
    mine = host_placement(data)
    assert mine == {u: v["host"] for u, v in scenario.expect["instances"].items()}
    watcher = WatcherEndpoint(NOVA_HOSTS).feed(scenario.events)
    if scenario.name in WATCHER_WRONG:
        wrong, why = WATCHER_WRONG[scenario.name]
        assert watcher.placement() == wrong, f"Watcher no longer wrong? ({why})"
        assert mine != watcher.placement(), why
    else:
        assert watcher.placement() == mine
        assert watcher.errors == []


@pytest.mark.parametrize("name", ["service-disable", "service-disable-enable",
                                  "service-before-node-known", "evacuate-versioned"])
def test_compute_node_status_agrees(writer, name):
    scenario = BY_NAME[name]
    mine = node_status(ours(writer, scenario.events))
    theirs = WatcherEndpoint(NOVA_HOSTS).feed(scenario.events).node_status()
    compared = {host: status for host, status in mine.items() if status[0] is not None}
    assert compared  # hosts without a service event have no status on our side
    for host, status in compared.items():
        assert theirs[host] == status


def test_scheduler_service_update_changes_no_compute_node(writer):
    """Watcher applies a nova-scheduler's service.update to the compute node of the host."""
    clock = emitter.Clock()
    events = [emitter.service_event("service.update", "h1", timestamp=clock(),
                                    binary="nova-scheduler", disabled=True,
                                    disabled_reason="scheduler maintenance")]
    watcher = WatcherEndpoint(NOVA_HOSTS).feed(events)
    assert watcher.node_status()["h1"] == ("disabled", "scheduler maintenance")  # wrong
    data = ours(writer, [emitter.instance_event(
        "instance.create.end", emitter.Instance(X, "h1", "n1"), timestamp=clock()), *events])
    assert node_status(data) == {"h1": (None, None)}  # untouched by the scheduler's event


def test_host_none_is_applied_not_dropped(writer):
    """instance.update with host=None: Watcher raises (ValueError) half-way and drops
    the rest: the state is updated but the instance stays mapped on its old host."""
    clock = emitter.Clock()
    x = emitter.Instance(X, "h1", "n1")
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.update",
                               x.replace(host=None, node=None, state="shelved_offloaded"),
                               timestamp=clock(), publisher_host="h1"),
    ]
    watcher = WatcherEndpoint(NOVA_HOSTS).feed(events)
    assert watcher.errors == ["ValueError"]
    assert watcher.placement() == {X: "h1"}
    assert watcher.model.get_instance_by_uuid(X).state == "shelved_offloaded"
    data = ours(writer, events)
    assert host_placement(data) == {X: None}
    assert data["instances"][0]["state"] == "shelved_offloaded"


def test_create_on_unknown_host_is_complete(writer):
    """Watcher's half-built instance has none of the payload's attributes."""
    scenario = BY_NAME["create-on-unknown-host-versioned"]
    watcher = WatcherEndpoint(NOVA_HOSTS).feed(scenario.events)
    assert watcher.errors == ["ComputeNodeNotFound"]
    half = watcher.model.get_instance_by_uuid(X)
    assert not half.obj_attr_is_set("vcpus") or half.vcpus in (None, 0)
    data = ours(writer, scenario.events)
    [inst] = data["instances"]
    assert (inst["vcpus"], inst["memory_mb"], inst["state"]) == (1, 2048, "active")
    assert inst["hosted_on"] == {"hostname": "h7", "hypervisor_hostname": "n7"}
    [node] = data["compute_nodes"]
    assert node["uuid"] is None  # a flagged placeholder until the resync completes it


def test_a_down_host_that_gets_disabled_stays_down_unlike_watcher(writer):
    """Watcher derives a node's state from forced_down alone (its
    VersionedNotification service.update handler: DOWN if forced_down else
    UP), so un-forcing a dead host, or disabling one, brings it up; nova's
    service.update carries no heartbeat verdict (objects/service.py
    _send_status_update_notification), so graphcdm keeps the last known state."""
    scenario = BY_NAME["forced-down-host-disabled-then-unforced"]
    watcher = WatcherEndpoint(NOVA_HOSTS).feed(scenario.events)
    assert watcher.model.get_node_by_uuid(node_uuid("h1")).state == "up"  # wrong
    data = ours(writer, scenario.events)
    assert {n["hostname"]: n["state"] for n in data["compute_nodes"]} == {"h1": "down"}
