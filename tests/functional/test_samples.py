"""Every real nova/Watcher notification sample replays without a rejection,
and leaves the graph the sample means.

Each sample file is replayed on its own (``replay.read``, the reader of
``graphcdm replay``; nova's doc samples with ``$ref`` resolved) into a graph
that already holds the sample's instance, created by an older create.end on
a *seed* host. Then, per event family (the placement effect
``parse.EFFECTS`` declares, checked here against the payload itself):

- create/update/resize/migration/unshelve...: the instance is mapped on the
  payload's host and node, with the payload's state;
- rebuild: in place, or, when a compute on another host emitted it, on the
  publisher's host (evacuation);
- live_migration_post.end and other "keep" events: still on the seed host;
- shelve_offload: present and unmapped;
- delete / soft_delete: absent;
- service.* of nova-compute: the host's node carries the status, or is gone;
- anything else: ignored, graph unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphcdm.graph.attributes import Aspect
from graphcdm.notifications import envelope, parse, replay
from graphcdm.notifications.envelope import Notification
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from tests.conftest import SHARED_DATA

NOVA = "nova-notification-samples"
WATCHER = "watcher-notification-samples"
LEGACY = "nova-legacy-notification-samples"

#: Files in those folders that are not notifications, by name, with why.
NOT_NOTIFICATIONS = {
    f"{WATCHER}/model-fixtures/scenario_3_with_2_nodes.xml":
        "Watcher ModelRoot XML fixture (a cluster model, not a notification)",
    f"{WATCHER}/pre-legacy-removal-5265b06a-parent/scenario_3_with_2_nodes.xml":
        "Watcher ModelRoot XML fixture of the legacy-era tests",
    f"{NOVA}/README.txt": "provenance note", f"{WATCHER}/README.txt": "provenance note",
    f"{LEGACY}/README.txt": "provenance note",
}
#: Folders replayed by other means or not at all, with why.
NOT_REPLAYED = {
    f"{NOVA}/common_payloads": "payload fragments that samples $ref, not notifications",
    f"{LEGACY}/stacktach-notigen-ebfaf8e9": "notigen templates: element 0 is generator "
    "metadata and values are [[[[placeholders]]]] to substitute, not notifications",
}


def _files() -> list[str]:
    out = []
    for folder in (NOVA, WATCHER, LEGACY):
        for path in sorted((SHARED_DATA / folder).rglob("*")):
            rel = path.relative_to(SHARED_DATA).as_posix()
            if path.is_dir() or rel in NOT_NOTIFICATIONS:
                continue
            if any(rel.startswith(skip + "/") for skip in NOT_REPLAYED):
                continue
            out.append(rel)
    return out


SAMPLES = _files() if SHARED_DATA.is_dir() else []


def test_every_file_is_replayed_or_excluded_by_name(shared_data):
    """No sample silently escapes: each file is in SAMPLES or excluded with a reason."""
    everything = {p.relative_to(shared_data).as_posix()
                  for folder in (NOVA, WATCHER, LEGACY)
                  for p in (shared_data / folder).rglob("*") if p.is_file()}
    excluded = {f for f in everything if f in NOT_NOTIFICATIONS
                or any(f.startswith(skip + "/") for skip in NOT_REPLAYED)}
    assert everything == set(SAMPLES) | excluded
    assert len([s for s in SAMPLES if s.startswith(NOVA)]) >= 140
    assert len([s for s in SAMPLES if s.startswith(WATCHER)]) >= 70
    assert all(s.endswith(".json") for s in SAMPLES)


SEED_HOST, SEED_NODE = "seed-host", "seed-node"


def _fields(n: Notification) -> dict[str, Any]:
    data = n.payload.get("nova_object.data", n.payload)
    return {
        "uuid": data.get("uuid") if "nova_object.data" in n.payload else data.get("instance_id"),
        "host": data.get("host") or None, "node": data.get("node") or None,
        "state": data.get("state"), "binary": data.get("binary"),
        "disabled": data.get("disabled"), "disabled_reason": data.get("disabled_reason"),
    }


def _seed(writer, uuid: str, host: str = SEED_HOST, node: str = SEED_NODE) -> None:
    """The instance as an older create.end left it (before the sample's time)."""
    msg = emitter.instance_event("instance.create.end", emitter.Instance(uuid, host, node),
                                 timestamp="2000-01-01 00:00:00.000000")
    Pipeline(writer).apply([envelope.from_message(msg)])


def _where(data: dict[str, Any], uuid: str) -> Any:
    found = [i for i in data["instances"] if i["uuid"] == uuid]
    return found[0] if found else None


@pytest.mark.parametrize("rel", SAMPLES)
def test_sample_replays_and_means_what_it_says(writer, shared_data, rel):
    path = shared_data / rel
    items = list(replay.read(path, replay.ReplayClock(), resolve_refs=rel.startswith(NOVA)))
    assert items, f"{rel}: no notification read"
    notes = [i.notification for i in items]
    assert not [n for n in notes if isinstance(n, envelope.Rejected)], notes
    assert len(notes) == 1, f"{rel}: one notification per sample file"
    [n] = notes
    f = _fields(n)
    effect = parse.EFFECTS.get(n.event_type)
    is_compute_service = effect == "service" and f["binary"] == "nova-compute"
    if effect and effect != "service":
        _seed(writer, f["uuid"])
    if is_compute_service:
        _seed(writer, "5eed0000-0000-4000-8000-000000000000", f["host"], f["host"] + "-node")
    before = export.export(writer)

    [outcome] = Pipeline(writer).apply(notes)
    after = export.export(writer)
    assert outcome.status != "rejected", f"{rel}: {outcome.reason}"
    if effect is None or (effect == "service" and not is_compute_service):
        assert outcome.status == "ignored"
        assert after == before
        return
    assert outcome.status == "applied"
    check_effect(effect, n, f, after)


def check_effect(effect: str, n: Notification, f: dict[str, Any], after: dict) -> None:
    if effect == "service":
        nodes = [c for c in after["compute_nodes"] if c["hostname"] == f["host"]]
        if n.event_type == "service.delete":
            assert nodes == []
            assert [i["uuid"] for i in after["instances"]] == []
            return
        assert [c["hypervisor_hostname"] for c in nodes] == [f["host"] + "-node"]
        assert nodes[0]["status"] == ("disabled" if f["disabled"] else "enabled")
        assert nodes[0]["disabled_reason"] == f["disabled_reason"]
        return
    inst = _where(after, f["uuid"])
    if effect in ("delete", "soft-delete"):
        assert inst is None
        return
    event = parse.BY_TYPE[n.event_type]
    sets_state = Aspect.STATE in event.aspects
    if effect == "saver":  # see parse.saver_is_authoritative
        authoritative = parse.saver_is_authoritative(n.publisher_host, f["host"])
        effect = "payload" if authoritative else "keep"
        sets_state = authoritative
    assert inst is not None
    # an event not authoritative for the state leaves the seed's
    assert inst["state"] == (f["state"] if sets_state else "active")
    where = inst["hosted_on"]
    if effect == "keep":
        assert where == {"hostname": SEED_HOST, "hypervisor_hostname": SEED_NODE}
    elif effect == "unmap":
        assert where is None
    elif effect == "rebuild" and n.publisher_id.startswith(("nova-compute:", "compute.")) \
            and n.publisher_host != f["host"]:
        # evacuation: the destination compute emitted it; its node is not named
        assert where == {"hostname": n.publisher_host, "hypervisor_hostname": n.publisher_host}
    elif f["host"] is None:
        assert where is None
    else:
        assert effect in ("payload", "rebuild")
        assert where == {"hostname": f["host"], "hypervisor_hostname": f["node"]}


def test_all_nova_samples_in_one_replay_command(conf, shared_data):
    """``graphcdm replay --resolve-refs`` over every nova sample: no rejection, exit 0."""
    from click.testing import CliRunner

    from graphcdm.cli import main

    paths = [str(shared_data / s) for s in SAMPLES if s.startswith(NOVA)]
    result = CliRunner().invoke(main, ["replay", "--no-progress", "--resolve-refs", *paths])
    assert result.exit_code == 0, result.output
    assert ", rejected 0 " in result.output
    watcher = [str(shared_data / s) for s in SAMPLES if not s.startswith(NOVA)]
    result = CliRunner().invoke(main, ["replay", "--no-progress", *watcher])
    assert result.exit_code == 0, result.output
    assert ", rejected 0 " in result.output


def test_stacktach_templates_are_refused_clearly(writer, shared_data):
    """The excluded notigen templates are not silently half-applied either."""
    path = next(Path(shared_data / LEGACY).glob("stacktach*/compute.instance.create*.json"))
    items = list(replay.read(path, replay.ReplayClock()))
    outcomes = Pipeline(writer).apply([i.notification for i in items])
    assert {o.status for o in outcomes} <= {"rejected", "ignored"}
    assert any("timestamp" in o.reason or "event_type" in o.reason for o in outcomes)
