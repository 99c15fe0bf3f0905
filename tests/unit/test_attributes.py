"""One instance through the three readers: versioned, legacy, resync agree.

The readers only pick values out of their source's shape; the derivation
(graphcdm.graph.attributes.derive) is shared. Field sets per source follow
nova: versioned InstancePayload (nova/notifications/objects/instance.py),
legacy info_from_instance (nova/notifications/base.py), GET /servers/detail
at microversion 2.53 (nova/api/openstack/compute/views/servers.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from graphcdm.graph import attributes
from graphcdm.graph.changes import InstanceUpsert
from graphcdm.notifications import envelope, parse
from graphcdm.sim import emitter
from graphcdm.sync import nova, snapshot

T0 = dt.datetime(2026, 11, 25, 10, 0, 0)
FLAVOR = emitter.Flavor(name="m1.swap", flavorid="7", vcpus=2, memory_mb=4096, root_gb=40,
                        ephemeral_gb=5, swap=1536)
INST = emitter.Instance(uuid="11111111-2222-4333-8444-555555555555", host="h1", node="n1",
                        name="web", state="active", task_state=None, power_state="running",
                        flavor=FLAVOR, locked=True, created_at="2026-11-01T08:30:00Z",
                        metadata={"b": "2", "a": "1"})


def _notification(event_type: str, inst: emitter.Instance = INST) -> dict:
    [upsert, _] = parse.parse(envelope.from_message(
        emitter.instance_event(event_type, inst, timestamp=T0)))
    assert isinstance(upsert, InstanceUpsert)
    return upsert.attrs


def _api_server(inst: emitter.Instance, image: object) -> dict:
    """What nova's API answers for the same instance (2.53; 2.96's pinned zone)."""
    f = inst.flavor
    return {
        "id": inst.uuid, "name": inst.name, "status": "ACTIVE",
        "OS-EXT-STS:vm_state": inst.state, "OS-EXT-STS:task_state": inst.task_state,
        "OS-EXT-STS:power_state": 1, "OS-EXT-SRV-ATTR:host": inst.host,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": inst.node,
        "flavor": {"original_name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb,
                   "disk": f.root_gb, "ephemeral": f.ephemeral_gb, "swap": f.swap,
                   "extra_specs": {}},
        "image": image, "tenant_id": inst.project_id, "user_id": inst.user_id,
        "locked": inst.locked, "OS-EXT-AZ:availability_zone": inst.availability_zone,
        "created": inst.created_at, "metadata": dict(inst.metadata),
        "pinned_availability_zone": None,  # answered from microversion 2.96
    }


def _resync(inst: emitter.Instance = INST, image: object = None) -> dict:
    image = {"id": "155d900f-4e14-4e4c-a73d-069cbf4541e6"} if image is None else image
    return snapshot.instance_attrs(nova._server(_api_server(inst, image)))


SOURCES = {
    "versioned": lambda: _notification("instance.update"),
    "legacy": lambda: _notification("compute.instance.update"),
    "resync": _resync,
}


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_carries_exactly_what_its_format_knows(source):
    assert set(SOURCES[source]()) == attributes.KNOWN_BY[source]


def test_all_sources_agree_on_every_common_field():
    got = {name: read() for name, read in SOURCES.items()}
    fields = set(attributes.FIELDS)
    for name, attrs in got.items():
        fields &= set(attrs)
    assert fields >= {"name", "state", "task_state", "vcpus", "memory_mb", "root_gb",
                      "ephemeral_gb", "flavor", "project_id", "user_id", "availability_zone",
                      "created_at", "metadata"}
    for field in sorted(fields):
        values = {name: attrs[field] for name, attrs in got.items()}
        assert len(set(map(repr, values.values()))) == 1, (field, values)
    # and pairwise on what two of them share
    for field in attributes.FIELDS:
        values = {name: a[field] for name, a in got.items() if field in a}
        assert len(set(map(repr, values.values()))) == 1, (field, values)


def test_the_agreed_values_are_nova_s():
    attrs = _resync()
    assert attrs["created_at"] == "2026-11-01T08:30:00Z"
    assert attrs["metadata"] == '{"a":"1","b":"2"}'
    assert attrs["power_state"] == "running"
    assert (attrs["swap_mb"], attrs["boot_from_volume"], attrs["locked"]) == (1536, False, True)


def test_boot_from_volume_is_the_same_on_both_paths_that_know_it():
    """Versioned image_uuid "" and the API's image "" both mean boot from volume
    (Watcher's collector: is_boot_from_volume, no root disk counted)."""
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    msg["payload"]["nova_object.data"]["image_uuid"] = ""
    [upsert, _] = parse.parse(envelope.from_message(msg))
    assert upsert.attrs["boot_from_volume"] is True
    assert _resync(image="")["boot_from_volume"] is True


def test_metadata_is_capped_the_same_way_everywhere():
    big = INST.replace(metadata={"k": "v" * attributes.MAX_METADATA_CHARS})
    texts = {_notification("instance.update", big)["metadata"],
             _notification("compute.instance.update", big)["metadata"],
             _resync(big)["metadata"]}
    assert len(texts) == 1 and texts.pop().startswith('{"_truncated"')


def test_null_is_kept_as_null_and_unknown_stays_absent():
    attrs = _notification("instance.update", INST.replace(task_state=None))
    assert "task_state" in attrs and attrs["task_state"] is None
    assert "locked" not in _notification("compute.instance.update")
