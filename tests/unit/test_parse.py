"""Unit tests of the pure parse step, per event family."""

from __future__ import annotations

import datetime as dt

import pytest

from graphcdm.graph import attributes
from graphcdm.graph.changes import (
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceDelete,
    ServiceUpsert,
)
from graphcdm.notifications import envelope, parse
from graphcdm.notifications.envelope import Rejected
from graphcdm.sim import emitter

T0 = dt.datetime(2026, 11, 25, 10, 0, 0)
INST = emitter.Instance(uuid="11111111-2222-3333-4444-555555555555", host="h1", node="n1",
                        name="web", flavor=emitter.Flavor(vcpus=2, memory_mb=4096, root_gb=40,
                                                          ephemeral_gb=5, swap=512))


def changes_of(message: dict) -> list:
    return parse.parse(envelope.from_message(message))


def ev(event_type: str, inst: emitter.Instance = INST, **kw) -> list:
    return changes_of(emitter.instance_event(event_type, inst, timestamp=T0, **kw))


@pytest.mark.parametrize("event", ["instance.create.end", "compute.instance.create.end"])
def test_create_sets_attributes_and_places(event):
    upsert, move = ev(event)
    assert isinstance(upsert, InstanceUpsert) and upsert.uuid == INST.uuid
    assert upsert.attrs["name"] == "web"
    assert upsert.attrs["vcpus"] == 2 and upsert.attrs["memory_mb"] == 4096
    assert move == InstanceMove(INST.uuid, upsert.version, "h1", "n1")


def test_versioned_carries_every_disk_input():
    """disk_gb itself is derived by instance_write from the stored inputs."""
    upsert, _ = ev("instance.create.end")
    assert "disk_gb" not in upsert.attrs
    assert (upsert.attrs["root_gb"], upsert.attrs["ephemeral_gb"], upsert.attrs["swap_mb"],
            upsert.attrs["boot_from_volume"]) == (40, 5, 512, False)


def test_legacy_leaves_what_it_does_not_carry_absent_not_null():
    """info_from_instance (nova/notifications/base.py) has no swap, power state,
    lock nor, unless populate_image_ref_url, image: absent keys, never None."""
    upsert, _ = ev("compute.instance.create.end")
    assert {"swap_mb", "power_state", "locked", "locked_reason", "boot_from_volume",
            "disk_gb"}.isdisjoint(upsert.attrs)
    assert (upsert.attrs["root_gb"], upsert.attrs["ephemeral_gb"]) == (40, 5)


@pytest.mark.parametrize("event,publisher", [
    ("instance.rebuild.end", "nova-compute:h2"),
    ("compute.instance.rebuild.end", "compute.h2"),
])
def test_evacuation_moves_to_publisher_host(event, publisher):
    msg = emitter.instance_event(event, INST, timestamp=T0)
    msg["publisher_id"] = publisher  # the destination compute emits it; payload shows h1
    _, move = changes_of(msg)
    assert move == InstanceMove(INST.uuid, move.version, "h2", None)


@pytest.mark.parametrize("event", ["instance.rebuild.end", "compute.instance.rebuild.end"])
def test_rebuild_in_place_keeps_host(event):
    _, move = ev(event)
    assert move == InstanceMove(INST.uuid, move.version, "h1", "n1")


def test_rebuild_from_api_publisher_is_not_an_evacuation():
    msg = emitter.instance_event("instance.rebuild.end", INST, timestamp=T0)
    msg["publisher_id"] = "nova-api:controller"
    _, move = changes_of(msg)
    assert move.host == "h1" and move.node == "n1"


@pytest.mark.parametrize("event", [
    "instance.resize_confirm.end", "compute.instance.resize.confirm.end",
    "instance.resize_finish.end", "compute.instance.finish_resize.end",
    "instance.resize_revert.end", "instance.live_migration_post_dest.end",
    "compute.instance.live_migration.post.dest.end", "instance.unshelve.end",
])
def test_placement_events_move_to_payload_host(event):
    dest = INST.replace(host="h9", node="n9")
    # resize_confirm is emitted by the SOURCE compute, with the destination in the payload
    _, move = ev(event, dest, publisher_host="h1")
    assert move == InstanceMove(INST.uuid, move.version, "h9", "n9")


@pytest.mark.parametrize("event", ["instance.live_migration_post.end",
                                   "compute.instance.live_migration._post.end"])
def test_live_migration_post_end_does_not_move(event):
    """The source's stale copy (_post_live_migration) is authoritative for nothing."""
    assert ev(event) == []


def test_shelve_offload_unmaps_and_keeps_the_instance():
    offloaded = INST.replace(host=None, node=None, state="shelved_offloaded")
    upsert, unmap = ev("instance.shelve_offload.end", offloaded, publisher_host="h1")
    assert upsert.attrs["state"] == "shelved_offloaded"
    assert unmap == InstanceUnmap(INST.uuid, upsert.version)


def test_update_with_null_host_unmaps_instead_of_failing():
    building = INST.replace(host=None, node=None, state="building", task_state="scheduling")
    upsert, unmap = ev("instance.update", building, publisher_host="conductor")
    assert isinstance(unmap, InstanceUnmap)


@pytest.mark.parametrize("event,final", [
    ("instance.delete.end", True), ("compute.instance.delete.end", True),
    ("instance.soft_delete.end", False),
])
def test_delete_events(event, final):
    [change] = ev(event)
    assert change == InstanceDelete(INST.uuid, change.version, final=final)


def test_update_to_deleted_state_is_a_delete():
    [change] = ev("instance.update", INST.replace(state="deleted"))
    assert isinstance(change, InstanceDelete) and change.final


def test_service_update_of_compute():
    msg = emitter.service_event("service.update", "h1", timestamp=T0, disabled=True,
                                disabled_reason="maintenance", forced_down=True)
    [change] = changes_of(msg)
    assert isinstance(change, ServiceUpsert)
    assert (change.host, change.disabled, change.disabled_reason, change.forced_down) == (
        "h1", True, "maintenance", True)


@pytest.mark.parametrize("binary", ["nova-scheduler", "nova-conductor", "nova-api"])
def test_service_events_of_other_binaries_are_ignored(binary):
    msg = emitter.service_event("service.update", "h1", timestamp=T0, binary=binary,
                                disabled=True)
    assert changes_of(msg) is None


def test_service_delete():
    [change] = changes_of(emitter.service_event("service.delete", "h1", timestamp=T0))
    assert change == ServiceDelete("h1", change.version)


@pytest.mark.parametrize("event", ["instance.create.start", "instance.exists",
                                   "compute.instance.exists", "keypair.create.end",
                                   "instance.live_migration_pre.end"])
def test_events_that_do_not_change_the_model_are_ignored(event):
    assert ev(event) is None


def test_duplicate_has_the_same_version():
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    assert changes_of(msg) == changes_of(dict(msg))


def test_version_orders_by_timestamp_then_message_id():
    a = envelope.make_version("2026-11-25 10:00:00.000001", "zzz")
    b = envelope.make_version("2026-11-25 10:00:00.000002", "aaa")
    c = envelope.make_version("2026-11-25T10:00:00.000002Z", "bbb")
    assert a < b < c


def test_versions_compare_across_timezones():
    assert envelope.make_version("2026-11-25T11:00:00+01:00", "x") == \
        envelope.make_version("2026-11-25 10:00:00", "x")


@pytest.mark.parametrize("mutate,reason", [
    (lambda m: m["payload"]["nova_object.data"].pop("uuid"), "missing uuid"),
    (lambda m: m["payload"]["nova_object.data"].update(uuid=42), "uuid is int"),
    (lambda m: m["payload"]["nova_object.data"]["flavor"]["nova_object.data"].update(
        vcpus="many"), "vcpus"),
    (lambda m: m["payload"]["nova_object.data"]["flavor"]["nova_object.data"].update(
        memory_mb=True), "memory_mb is a boolean"),
    (lambda m: m["payload"]["nova_object.data"].update(host=["h1"]), "host is list"),
    (lambda m: m["payload"].pop("nova_object.data"), "no nova_object.data"),
    (lambda m: m["payload"]["nova_object.data"].update(display_name="x" * 5000), "longer"),
])
def test_malformed_payloads_are_rejected_with_a_reason(mutate, reason):
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    mutate(msg)
    with pytest.raises(Rejected, match=reason):
        changes_of(msg)


@pytest.mark.parametrize("mutate,reason", [
    (lambda m: m.pop("timestamp"), "missing timestamp"),
    (lambda m: m.update(timestamp="yesterday"), "not a date"),
    (lambda m: m.update(payload="text"), "payload"),
    (lambda m: m.pop("event_type"), "missing event_type"),
    (lambda m: m.update(message_id=7), "message_id is int"),
])
def test_malformed_envelopes_are_rejected(mutate, reason):
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    mutate(msg)
    with pytest.raises(Rejected, match=reason):
        envelope.from_message(msg)


def test_wire_form_round_trip_and_limits():
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    assert envelope.from_message(emitter.to_wire(msg)) == envelope.from_message(msg)
    with pytest.raises(Rejected, match="not JSON"):
        envelope.from_message({"oslo.version": "2.0", "oslo.message": "{nope"})
    with pytest.raises(Rejected, match="byte limit"):
        envelope.from_wire(emitter.to_wire(msg), max_bytes=100)


def test_endpoint_form_reads_metadata():
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    assert envelope.from_message(emitter.to_endpoint(msg)) == envelope.from_message(msg)


def test_publisher_host_parsing():
    assert envelope.publisher_host("nova-compute:host.example.org") == "host.example.org"
    assert envelope.publisher_host("compute.host.example.org") == "host.example.org"
    assert envelope.publisher_host("") is None
    assert envelope.publisher_host("nonsense") is None


def test_every_handled_event_has_a_documented_effect():
    assert set(parse.HANDLERS) == set(parse.EFFECTS)
    for spec_event in ("compute.instance.rebuild.end", "compute.instance.resize.confirm.end",
                       "instance.rebuild.end", "instance.resize_confirm.end"):
        assert spec_event in parse.HANDLERS


DESIGN_TABLE = [
    "instance.create.end", "compute.instance.create.end", "instance.rebuild.end",
    "compute.instance.rebuild.end", "instance.resize_finish.end", "instance.resize.end",
    "instance.resize_confirm.end", "compute.instance.resize.confirm.end",
    "instance.resize_revert.end", "instance.live_migration_post_dest.end",
    "compute.instance.live_migration.post.dest.end", "instance.live_migration_post.end",
    "instance.live_migration_rollback_dest.end", "instance.shelve_offload.end",
    "instance.unshelve.end", "instance.update", "compute.instance.update",
    "instance.power_on.end", "instance.power_off.end", "instance.pause.end",
    "instance.suspend.end", "instance.resume.end", "instance.lock", "instance.rescue.end",
    "instance.delete.end", "compute.instance.delete.end", "instance.soft_delete.end",
    "service.create", "service.update", "service.delete",
]


@pytest.mark.parametrize("event", DESIGN_TABLE)
def test_every_event_of_the_design_table_is_handled(event):
    assert event in parse.HANDLERS


@pytest.mark.parametrize("event,effect", [
    ("instance.live_migration_post.end", "keep"), ("instance.rebuild.end", "rebuild"),
    ("compute.instance.rebuild.end", "rebuild"), ("instance.shelve_offload.end", "unmap"),
    ("instance.soft_delete.end", "soft-delete"), ("compute.instance.delete.end", "delete"),
    ("instance.live_migration_rollback_dest.end", "keep"),
])
def test_effects(event, effect):
    assert parse.EFFECTS[event] == effect


def test_legacy_shelve_offload_unmaps():
    offloaded = INST.replace(host=None, node=None, state="shelved_offloaded")
    upsert, unmap = ev("compute.instance.shelve_offload.end", offloaded, publisher_host="h1")
    assert upsert.attrs["state"] == "shelved_offloaded" and isinstance(unmap, InstanceUnmap)


def test_legacy_empty_host_strings_mean_no_host():
    msg = emitter.instance_event("compute.instance.update", INST, timestamp=T0)
    msg["payload"].update(host="", node="")
    _, unmap = changes_of(msg)
    assert isinstance(unmap, InstanceUnmap)


def test_legacy_attributes():
    upsert, _ = ev("compute.instance.create.end")
    a = upsert.attrs
    assert (a["name"], a["vcpus"], a["memory_mb"], a["flavor"], a["project_id"]) == (
        "web", 2, 4096, INST.flavor.name, INST.project_id)


def test_malformed_legacy_publisher_is_not_an_evacuation():
    """Watcher's samples use "compute:Node_0"; only compute services evacuate."""
    msg = emitter.instance_event("compute.instance.rebuild.end", INST, timestamp=T0)
    msg["publisher_id"] = "compute:elsewhere"
    _, move = changes_of(msg)
    assert (move.host, move.node) == ("h1", "n1")


def test_evacuation_to_the_publisher_host_without_node():
    msg = emitter.instance_event("instance.rebuild.end", INST, timestamp=T0,
                                 publisher_host="h2")
    upsert, move = changes_of(msg)
    assert (move.host, move.node) == ("h2", None) and upsert.attrs["name"] == "web"


def test_metadata_is_json_and_capped():
    big = INST.replace(metadata={"k": "v" * (attributes.MAX_METADATA_CHARS + 1)})
    upsert, _ = ev("instance.update", big)
    assert upsert.attrs["metadata"].startswith('{"_truncated"')
    upsert, _ = ev("instance.update", INST.replace(metadata={"b": "2", "a": "1"}))
    assert upsert.attrs["metadata"] == '{"a":"1","b":"2"}'


def test_legacy_metadata_pairs():
    msg = emitter.instance_event("compute.instance.update", INST, timestamp=T0)
    msg["payload"]["metadata"] = [{"key": "a", "value": "1"}]
    upsert, _ = changes_of(msg)
    assert upsert.attrs["metadata"] == '{"a":"1"}'
    msg["payload"]["metadata"] = [1, 2]
    with pytest.raises(Rejected, match="key/value"):
        changes_of(msg)


@pytest.mark.parametrize("value,ok", [(3, 3), (3.0, 3), ("3", 3), (-1, None), (2**60, None),
                                      (1.5, None), ([3], None)])
def test_integer_fields(value, ok):
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    msg["payload"]["nova_object.data"]["flavor"]["nova_object.data"]["vcpus"] = value
    if ok is None:
        with pytest.raises(Rejected, match="vcpus"):
            changes_of(msg)
    else:
        assert changes_of(msg)[0].attrs["vcpus"] == ok


def test_service_with_null_host_is_rejected():
    msg = emitter.service_event("service.update", "h1", timestamp=T0)
    msg["payload"]["nova_object.data"]["host"] = None
    with pytest.raises(Rejected, match="service.update: missing host"):
        changes_of(msg)


def test_service_without_binary_is_ignored():
    msg = emitter.service_event("service.update", "h1", timestamp=T0)
    del msg["payload"]["nova_object.data"]["binary"]
    assert changes_of(msg) is None


def test_deeply_nested_metadata_is_rejected_not_raised():
    deep: dict = {}
    cur = deep
    for _ in range(5000):
        cur["x"] = {}
        cur = cur["x"]
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    msg["payload"]["nova_object.data"]["metadata"] = deep
    with pytest.raises(Rejected, match="nested too deeply"):
        changes_of(msg)
