"""nova's authority rules beyond the scenario views: fields a format does not
carry, and the resync's heartbeat verdict against service.update.

The scenarios (tests/functional/test_scenarios.py, tag "authority") cover
the placement and attribute rules, shuffled and repeated by the property
test; these check graph properties the export does not show.
"""

from __future__ import annotations

import datetime as dt
import itertools

from graphcdm.notifications import envelope, samples
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from graphcdm.sync import snapshot
from graphcdm.sync.nova import RawCloud
from tests.functional.test_scenarios import BFV_FLAVOR, X

T0 = dt.datetime(2026, 11, 25, 10, 0, 0)


def _apply(writer, messages) -> None:
    outcomes = Pipeline(writer).apply([envelope.from_message(m) for m in messages])
    assert [o.reason for o in outcomes if o.status == "rejected"] == []


def _props(neo4j_driver, uuid: str) -> dict:
    records = neo4j_driver.execute_query("MATCH (i:Instance {uuid: $uuid}) RETURN i",
                                         uuid=uuid, database_="neo4j").records
    return dict(records[0]["i"])


def test_a_newer_legacy_twin_erases_nothing_it_does_not_carry(writer, neo4j_driver):
    """notification_format = both: nova sends the legacy twin
    (notify_about_instance_usage: info_from_instance has no power_state, locked,
    locked_reason, swap nor image) next to the versioned event; when the twin
    is stamped later it must not null what only the versioned one carries.
    Both orders, one by one and in one batch, give the same instance."""
    x = emitter.Instance(X, "h1", "n1", flavor=BFV_FLAVOR, locked=True,
                         power_state="shutdown", state="stopped")
    versioned = emitter.instance_event("instance.power_off.end", x, timestamp=T0)
    versioned["payload"]["nova_object.data"]["image_uuid"] = ""
    versioned["payload"]["nova_object.data"]["locked_reason"] = "maintenance"
    legacy = emitter.instance_event("compute.instance.power_off.end", x,
                                    timestamp=T0 + dt.timedelta(milliseconds=2))
    seen = []
    for order, batch in (([versioned, legacy], False), ([legacy, versioned], False),
                         ([legacy, versioned], True)):
        writer.reset()
        if batch:
            _apply(writer, order)
        else:
            for m in order:
                _apply(writer, [m])
        p = _props(neo4j_driver, X)
        assert (p["power_state"], p["locked"], p["locked_reason"], p["swap_mb"],
                p["boot_from_volume"], p["disk_gb"]) == ("shutdown", True, "maintenance", 1536,
                                                         True, 2)
        assert p["state"] == "stopped" and p["version"] == p["v_state"]
        seen.append(export.export(writer))
    assert seen[0] == seen[1] == seen[2]


def test_a_dead_host_that_gets_disabled_stays_down(writer):
    """The resync reads the heartbeat verdict (nova's API: state down); then the
    operator disables the service: service.update (disabled, not forced down;
    objects/service.py _send_status_update_notification) carries no up/down,
    so the node stays down and only its status changes. Watcher's endpoint
    sets it up (decision_engine/model/notification/nova.py: state from
    forced_down alone)."""
    hyp = {"id": "u1", "hypervisor_hostname": "n1", "service_host": "h1", "state": "down",
           "status": "enabled", "disabled_reason": None, "vcpus": 8, "memory_mb": 16384,
           "local_gb": 100}
    raw = RawCloud(services=[{"id": "s1", "host": "h1", "binary": "nova-compute",
                              "zone": "nova", "state": "down", "status": "enabled",
                              "disabled_reason": None, "forced_down": False}],
                   hypervisors=[hyp])
    poll = envelope.version_from_datetime(T0, "sync")
    snap = snapshot.build(raw, poll)
    writer.sync_write("compute_nodes", snap.nodes)
    writer.apply(snap.service_changes)
    [n1] = export.export(writer)["compute_nodes"]
    assert (n1["state"], n1["status"]) == ("down", "enabled")
    _apply(writer, [emitter.service_event("service.update", "h1", disabled=True,
                                          disabled_reason="dead host",
                                          timestamp=T0 + dt.timedelta(seconds=5))])
    [n1] = export.export(writer)["compute_nodes"]
    assert (n1["state"], n1["status"], n1["disabled_reason"]) == ("down", "disabled",
                                                                   "dead host")
    # a later poll that sees the heartbeat again brings it up; the status stays
    later = envelope.version_from_datetime(T0 + dt.timedelta(minutes=10), "sync")
    raw.services[0].update(state="up", status="disabled", disabled_reason="dead host")
    hyp.update(state="up", status="disabled", disabled_reason="dead host")
    snap = snapshot.build(raw, later)
    writer.sync_write("compute_nodes", snap.nodes)
    writer.apply(snap.service_changes)
    [n1] = export.export(writer)["compute_nodes"]
    assert (n1["state"], n1["status"], n1["uuid"]) == ("up", "disabled", "u1")


def test_a_service_update_newer_than_the_poll_keeps_its_status(writer):
    """One status rule for events and the resync: a poll older than a
    service.update does not undo it (both run service_upsert)."""
    hyp = {"id": "u1", "hypervisor_hostname": "n1", "service_host": "h1", "state": "up",
           "status": "enabled", "disabled_reason": None, "vcpus": 8, "memory_mb": 16384,
           "local_gb": 100}
    raw = RawCloud(services=[{"id": "s1", "host": "h1", "binary": "nova-compute",
                              "zone": "nova", "state": "up", "status": "enabled",
                              "disabled_reason": None, "forced_down": False}],
                   hypervisors=[hyp])
    _apply(writer, [emitter.service_event("service.update", "h1", disabled=True,
                                          disabled_reason="drain", forced_down=True,
                                          timestamp=T0 + dt.timedelta(seconds=1))])
    snap = snapshot.build(raw, envelope.version_from_datetime(T0, "sync"))
    writer.sync_write("compute_nodes", snap.nodes)
    writer.apply(snap.service_changes)
    writer.fold_placeholders()
    [n1] = export.export(writer)["compute_nodes"]
    assert (n1["hypervisor_hostname"], n1["state"], n1["status"], n1["disabled_reason"],
            n1["uuid"]) == ("n1", "down", "disabled", "drain", "u1")


# --------------------------------------------------------------------------
# the same rules on nova's own sample payloads (doc/notification_samples)


def _sample(shared_data, name: str, seconds: int, publisher_host: str, **data) -> dict:
    """nova's sample ``name`` with the publisher and time nova's code gives it."""
    msg = samples.load_sample(shared_data / "nova-notification-samples" / f"{name}.json")
    msg["payload"]["nova_object.data"].update(data)
    msg["publisher_id"] = f"nova-compute:{publisher_host}"
    msg["timestamp"] = str(T0 + dt.timedelta(seconds=seconds))
    msg["message_id"] = f"{seconds:08d}-0000-4000-8000-{name[-12:].rjust(12, '0')}"
    return msg


def _every_order(writer, events: list[dict]) -> dict:
    """Every permutation, one by one, then all twice in one batch: one export."""
    seen = []
    for order in itertools.permutations(events):
        writer.reset()
        for m in order:
            _apply(writer, [m])
        seen.append(export.export(writer))
    writer.reset()
    _apply(writer, [*events, *reversed(events)])
    seen.append(export.export(writer))
    assert all(s == seen[0] for s in seen)
    return seen[0]


def test_nova_samples_live_migration_post_end_is_stale(writer, shared_data):
    """nova's samples: post_dest.end from the destination (host2, task None,
    post_live_migration_at_destination) then post.end from the source's copy
    (host compute, task_state migrating, _post_live_migration), stamped last."""
    events = [
        _sample(shared_data, "instance-create-end", 0, "compute"),
        _sample(shared_data, "instance-live_migration_post_dest-end", 2, "host2"),
        _sample(shared_data, "instance-live_migration_post-end", 3, "compute"),
    ]
    [i] = _every_order(writer, events)["instances"]
    assert i["hosted_on"] == {"hostname": "host2", "hypervisor_hostname": "host2"}
    assert (i["state"], i["task_state"]) == ("active", None)


def test_nova_samples_resize_end_after_resize_finish(writer, shared_data):
    """nova's samples: resize_finish.end (other_flavor, resized) from the
    destination, then the source's resize.end (test_flavor, resize_migrated;
    resize_instance sends it after casting finish_resize) stamped later."""
    flavor = samples.load_sample(shared_data / "nova-notification-samples"
                                 / "instance-resize_finish-end.json")["payload"][
        "nova_object.data"]["flavor"]["nova_object.data"]
    events = [
        _sample(shared_data, "instance-create-end", 0, "compute"),
        _sample(shared_data, "instance-resize_finish-end", 2, "host2", host="host2",
                node="host2"),
        _sample(shared_data, "instance-resize-end", 3, "compute", host="host2", node="host2"),
    ]
    [i] = _every_order(writer, events)["instances"]
    assert i["hosted_on"] == {"hostname": "host2", "hypervisor_hostname": "host2"}
    assert (i["state"], i["task_state"], i["flavor"]) == ("resized", None, flavor["name"])
    assert i["disk_gb"] == flavor["root_gb"] + flavor["ephemeral_gb"] + -(-flavor["swap"]
                                                                          // 1024)
