"""The emitter speaks as nova does: its payloads have the fields of nova's own samples."""

from __future__ import annotations

import datetime as dt

import pytest

from graphcdm.notifications import envelope, samples
from graphcdm.sim import emitter

T0 = dt.datetime(2026, 11, 25, 10, 0, 0)
INST = emitter.Instance("11111111-2222-3333-4444-555555555555", "h1", "n1")


def _nova(shared_data, name: str) -> dict:
    return samples.load_sample(shared_data / "nova-notification-samples" / name)


def test_versioned_instance_payload_has_nova_fields(shared_data):
    nova = _nova(shared_data, "instance-create-end.json")["payload"]
    ours = emitter.instance_event("instance.create.end", INST, timestamp=T0)["payload"]
    assert ours["nova_object.name"] in ("InstanceActionPayload", "InstanceCreatePayload")
    nova_data, our_data = nova["nova_object.data"], ours["nova_object.data"]
    missing = set(nova_data) - set(our_data)
    # create.end adds its own keys (keypairs, tags...), none of which parse reads
    assert missing <= {"keypairs", "tags", "trusted_image_certificates", "instance_name",
                       "image_uuid", "host_name"}, missing
    assert set(nova_data["flavor"]["nova_object.data"]) <= set(
        our_data["flavor"]["nova_object.data"])


def test_service_payload_has_nova_fields(shared_data):
    nova = _nova(shared_data, "service-update.json")
    ours = emitter.service_event("service.update", "h1", timestamp=T0)
    assert set(nova["payload"]["nova_object.data"]) == set(ours["payload"]["nova_object.data"])
    assert nova["publisher_id"].split(":")[0] == ours["publisher_id"].split(":")[0]


def test_legacy_payload_has_the_fields_of_watchers_legacy_samples(shared_data):
    import json

    path = (shared_data / "watcher-notification-samples" / "pre-legacy-removal-5265b06a-parent"
            / "scenario3_legacy_instance-create-end.json")
    legacy = json.loads(path.read_text())["payload"]
    ours = emitter.instance_event("compute.instance.create.end", INST, timestamp=T0)["payload"]
    read_by_parse = {"instance_id", "host", "node", "state", "vcpus", "memory_mb", "root_gb",
                     "ephemeral_gb", "disk_gb", "display_name", "tenant_id", "user_id",
                     "instance_type", "instance_flavor_id", "metadata", "created_at",
                     "availability_zone"}
    assert read_by_parse <= set(legacy)
    assert read_by_parse <= set(ours)


@pytest.mark.parametrize("event,publisher", [("instance.update", "nova-compute:h1"),
                                             ("compute.instance.update", "compute.h1")])
def test_publisher_ids_per_format(event, publisher):
    assert emitter.instance_event(event, INST, timestamp=T0)["publisher_id"] == publisher


def test_forms_decode_to_the_same_notification():
    msg = emitter.instance_event("instance.update", INST, timestamp=T0)
    n = envelope.from_message(msg)
    assert envelope.from_message(emitter.to_wire(msg)) == n
    assert envelope.from_message(emitter.to_endpoint(msg)) == n
    assert n.timestamp == "2026-11-25 10:00:00"


def test_clock_steps_and_skews():
    clock = emitter.Clock(start=T0)
    assert clock() == T0 + dt.timedelta(seconds=1)
    assert clock() == T0 + dt.timedelta(seconds=2)
    assert clock.skew(-5) == T0 - dt.timedelta(seconds=3)
    assert clock() == T0 + dt.timedelta(seconds=3)
