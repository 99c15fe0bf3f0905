"""Scenario tests: nova-shaped streams through the real pipeline into a real Neo4j.

Each scenario is the stream of notifications nova sends for one operation
(built with :mod:`graphcdm.sim.emitter`, in emitter-time order) and the model
it must leave. The same scenarios feed the property test (any order, any
repetition, any batching) and the Watcher differential test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.notifications import envelope
from graphcdm.notifications.pipeline import Pipeline
from graphcdm.read import export
from graphcdm.sim import emitter
from graphcdm.sim.emitter import Flavor, Instance

X = "a0000000-0000-4000-8000-00000000000a"
Y = "b0000000-0000-4000-8000-00000000000b"
SMALL = Flavor(name="m1.small", flavorid="2", vcpus=1, memory_mb=2048, root_gb=20)
LARGE = Flavor(name="m1.large", flavorid="4", vcpus=4, memory_mb=8192, root_gb=80)


@dataclass
class Scenario:
    name: str
    events: list[dict[str, Any]]
    #: compact view of the final export: see :func:`view`
    expect: dict[str, Any]
    #: instance uuid -> expected hypervisor hostname (None = present, unmapped;
    #: absent key = not in the model); what the Watcher diff compares
    placement: dict[str, str | None] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    #: more of the export to check: {"instances": {uuid: {field: value}},
    #: "nodes": {hypervisor_hostname: {field: value}}} (see :func:`check_more`)
    more: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def check_more(data: dict[str, Any], scenario: Scenario) -> None:
    """The export fields a scenario states beyond :func:`view`."""
    found = {"instances": {i["uuid"]: i for i in data["instances"]},
             "nodes": {n["hypervisor_hostname"]: n for n in data["compute_nodes"]}}
    for kind, entities in scenario.more.items():
        for key, fields in entities.items():
            got = {f: found[kind][key][f] for f in fields}
            assert got == fields, (scenario.name, kind, key)


def view(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of an export the scenarios state (all of it would be noise)."""
    return {
        "nodes": {n["hypervisor_hostname"]: {
            "hostname": n["hostname"], "status": n["status"],
            "disabled_reason": n["disabled_reason"], "placeholder": n["uuid"] is None,
        } for n in data["compute_nodes"]},
        "instances": {i["uuid"]: {
            "node": (i["hosted_on"] or {}).get("hypervisor_hostname"),
            "host": (i["hosted_on"] or {}).get("hostname"),
            "state": i["state"], "vcpus": i["vcpus"],
        } for i in data["instances"]},
    }


def node(hostname: str, status: str | None = None, reason: str | None = None) -> dict:
    return {"hostname": hostname, "status": status, "disabled_reason": reason,
            "placeholder": True}


def inst(node_: str | None, host: str | None, state: str = "active", vcpus: int = 1) -> dict:
    return {"node": node_, "host": host, "state": state, "vcpus": vcpus}


def _fmt(legacy: bool) -> Callable[[str, str], str]:
    """Event name in the chosen format: (versioned, legacy) -> name."""
    return (lambda v, leg: leg) if legacy else (lambda v, leg: v)


# --------------------------------------------------------------------------
# the scenarios


def rebuild_in_place(legacy: bool = False) -> Scenario:
    e, clock = _fmt(legacy), emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), x,
                               timestamp=clock()),
        emitter.instance_event(e("instance.rebuild.end", "compute.instance.rebuild.end"),
                               x.replace(name="rebuilt"), timestamp=clock()),
    ]
    return Scenario(f"rebuild-in-place-{'legacy' if legacy else 'versioned'}", events,
                    {"nodes": {"n1": node("h1")}, "instances": {X: inst("n1", "h1")}},
                    {X: "n1"})


def evacuate(legacy: bool = False) -> Scenario:
    """h1 fails; nova evacuates X to h2: rebuild.end from h2 still shows h1/n1."""
    e, clock = _fmt(legacy), emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    y = Instance(Y, "h2", "n2", flavor=SMALL)
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), x,
                               timestamp=clock()),
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), y,
                               timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(), forced_down=True,
                              disabled=True, disabled_reason="host down"),
        emitter.instance_event(e("instance.rebuild.end", "compute.instance.rebuild.end"), x,
                               timestamp=clock(), publisher_host="h2"),
    ]
    return Scenario(f"evacuate-{'legacy' if legacy else 'versioned'}", events,
                    {"nodes": {"n1": node("h1", "disabled", "host down"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2"), Y: inst("n2", "h2")}},
                    {X: "n2", Y: "n2"}, {"evacuate"})


def evacuate_to_unknown_host() -> Scenario:
    """The destination's node name is known from no event: a host-only placeholder."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.rebuild.end", x, timestamp=clock(),
                               publisher_host="h3"),
    ]
    return Scenario("evacuate-unknown-destination", events,
                    {"nodes": {"n1": node("h1"), "h3": node("h3")},
                     "instances": {X: inst("h3", "h3")}},
                    {X: "h3"}, {"evacuate"})


def resize_confirm(legacy: bool = False) -> Scenario:
    e, clock = _fmt(legacy), emitter.Clock()
    src = Instance(X, "h1", "n1", flavor=SMALL)
    dst_old = src.replace(host="h2", node="n2", state="active", task_state="resize_migrated")
    dst_new = dst_old.replace(flavor=LARGE, state="resized", task_state=None)
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), src,
                               timestamp=clock()),
        emitter.instance_event(e("instance.resize.end", "compute.instance.resize.end"),
                               dst_old, timestamp=clock(), publisher_host="h1"),
        emitter.instance_event(e("instance.resize_finish.end",
                                 "compute.instance.finish_resize.end"), dst_new,
                               timestamp=clock()),
        emitter.instance_event(e("instance.resize_confirm.end",
                                 "compute.instance.resize.confirm.end"),
                               dst_new.replace(state="active"), timestamp=clock(),
                               publisher_host="h1"),
    ]
    return Scenario(f"resize-confirm-{'legacy' if legacy else 'versioned'}", events,
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2", vcpus=4)}},
                    {X: "n2"}, {"resize"})


def resize_revert() -> Scenario:
    clock = emitter.Clock()
    src = Instance(X, "h1", "n1", flavor=SMALL)
    dst = src.replace(host="h2", node="n2", flavor=LARGE, state="resized")
    events = [
        emitter.instance_event("instance.create.end", src, timestamp=clock()),
        emitter.instance_event("instance.resize.end", src.replace(host="h2", node="n2"),
                               timestamp=clock(), publisher_host="h1"),
        emitter.instance_event("instance.resize_finish.end", dst, timestamp=clock()),
        emitter.instance_event("instance.resize_revert.end", src, timestamp=clock(),
                               publisher_host="h1"),
    ]
    return Scenario("resize-revert", events,
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"resize"})


def live_migration(post_first: bool, legacy: bool = False) -> Scenario:
    """post.end (source, still shows h1) emitted before or after post_dest.end."""
    e, clock = _fmt(legacy), emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    create = emitter.instance_event(e("instance.create.end", "compute.instance.create.end"),
                                    x, timestamp=clock())
    t1, t2 = clock(), clock()
    t_post, t_dest = (t1, t2) if post_first else (t2, t1)
    post = emitter.instance_event(e("instance.live_migration_post.end",
                                    "compute.instance.live_migration._post.end"),
                                  x.replace(task_state="migrating"), timestamp=t_post)
    dest = emitter.instance_event(e("instance.live_migration_post_dest.end",
                                    "compute.instance.live_migration.post.dest.end"),
                                  x.replace(host="h2", node="n2"), timestamp=t_dest)
    events = [create, post, dest] if post_first else [create, dest, post]
    order = "post-first" if post_first else "dest-first"
    return Scenario(f"live-migration-{order}-{'legacy' if legacy else 'versioned'}", events,
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2")}},
                    {X: "n2"}, {"live-migration"})


def shelve_unshelve() -> Scenario:
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.shelve.end", x.replace(state="shelved"),
                               timestamp=clock()),
        emitter.instance_event("instance.shelve_offload.end",
                               x.replace(host=None, node=None, state="shelved_offloaded"),
                               timestamp=clock(), publisher_host="h1"),
        emitter.instance_event("instance.unshelve.end", x.replace(host="h2", node="n2"),
                               timestamp=clock()),
    ]
    return Scenario("shelve-offload-unshelve", events,
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2")}},
                    {X: "n2"})


def shelve_offload_only() -> Scenario:
    full = shelve_unshelve()
    return Scenario("shelve-offload", full.events[:3],
                    {"nodes": {"n1": node("h1")},
                     "instances": {X: inst(None, None, state="shelved_offloaded")}},
                    {X: None})


def delete_then_late_update() -> Scenario:
    """A late instance.update (older, and one from a clock running ahead) after delete.end."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    create = emitter.instance_event("instance.create.end", x, timestamp=clock())
    update = emitter.instance_event("instance.update", x.replace(task_state="deleting"),
                                    timestamp=clock())
    delete = emitter.instance_event("instance.delete.end", x.replace(state="deleted"),
                                    timestamp=clock())
    ahead = emitter.instance_event("instance.update", x.replace(task_state="deleting"),
                                   timestamp=clock.skew(30), publisher_host="api")
    return Scenario("delete-then-late-update", [create, delete, update, ahead],
                    {"nodes": {"n1": node("h1")}, "instances": {}}, {}, {"delete"})


def scheduler_service_update() -> Scenario:
    """A nova-scheduler on a compute host is disabled: the compute node does not change."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.service_event("service.create", "h1", timestamp=clock()),
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(),
                              binary="nova-scheduler", disabled=True,
                              disabled_reason="scheduler maintenance"),
        emitter.service_event("service.delete", "h1", timestamp=clock(),
                              binary="nova-conductor"),
    ]
    return Scenario("scheduler-service-update", events,
                    {"nodes": {"n1": node("h1", "enabled")}, "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"service"})


def service_disable_enable(end_enabled: bool = True) -> Scenario:
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(), disabled=True,
                              disabled_reason="maintenance"),
    ]
    if end_enabled:
        events.append(emitter.service_event("service.update", "h1", timestamp=clock()))
    want = node("h1", "enabled") if end_enabled else node("h1", "disabled", "maintenance")
    return Scenario(f"service-disable{'-enable' if end_enabled else ''}", events,
                    {"nodes": {"n1": want}, "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"service"})


def service_before_node_known() -> Scenario:
    """service.create names only the host; the node name comes with the first instance."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.service_event("service.create", "h1", timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(), disabled=True,
                              disabled_reason="burn-in"),
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
    ]
    return Scenario("service-before-node-known", events,
                    {"nodes": {"n1": node("h1", "disabled", "burn-in")},
                     "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"service"})


def decommission() -> Scenario:
    """X leaves h1 by live migration, h1 is disabled, then its service deleted."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.live_migration_post_dest.end",
                               x.replace(host="h2", node="n2"), timestamp=clock()),
        emitter.instance_event("instance.live_migration_post.end",
                               x.replace(task_state="migrated"), timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(), disabled=True,
                              disabled_reason="decommission"),
        emitter.service_event("service.delete", "h1", timestamp=clock(), disabled=True,
                              disabled_reason="decommission"),
    ]
    return Scenario("decommission", events,
                    {"nodes": {"n2": node("h2")}, "instances": {X: inst("n2", "h2")}},
                    {X: "n2"}, {"service"})


def service_delete_with_instance() -> Scenario:
    """A service deleted while nova still records an instance on it (older nova)."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    y = Instance(Y, "h2", "n2", flavor=SMALL)
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.create.end", y, timestamp=clock()),
        emitter.service_event("service.delete", "h1", timestamp=clock()),
    ]
    return Scenario("service-delete-with-instance", events,
                    {"nodes": {"n2": node("h2")}, "instances": {Y: inst("n2", "h2")}},
                    {Y: "n2"}, {"service"})


def create_on_unknown_host(legacy: bool = False) -> Scenario:
    e, clock = _fmt(legacy), emitter.Clock()
    x = Instance(X, "h7", "n7", flavor=SMALL)
    events = [emitter.instance_event(e("instance.create.end", "compute.instance.create.end"),
                                     x, timestamp=clock())]
    return Scenario(f"create-on-unknown-host-{'legacy' if legacy else 'versioned'}", events,
                    {"nodes": {"n7": node("h7")}, "instances": {X: inst("n7", "h7")}},
                    {X: "n7"})


# --------------------------------------------------------------------------
# nova's authority rules (issue 11): stale copies, non-compute savers, clock
# resolution, boot from volume, a down host that gets disabled. Publisher ids
# and the order of timestamps are those nova's code produces (cited per
# scenario); the property test also shuffles, repeats and batches them.

CONDUCTOR, API = "conductor1", "api1"


def live_migration_stale_copies(legacy: bool = False) -> Scenario:
    """nova-api saves task_state migrating; the destination saves host/node and
    task_state None (post_live_migration_at_destination: instance.update from
    h2, then post_dest.end); the source then sends live_migration_post.end from
    its copy taken before (_post_live_migration: host h1, task migrating), with
    the LATEST timestamp. It must change nothing: neither the placement nor the
    task state."""
    e, clock = _fmt(legacy), emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    moving = x.replace(task_state="migrating")
    done = x.replace(host="h2", node="n2")
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), x,
                               timestamp=clock()),
        emitter.instance_event(e("instance.update", "compute.instance.update"), moving,
                               timestamp=clock(), publisher_host=API),
        emitter.instance_event(e("instance.update", "compute.instance.update"), done,
                               timestamp=clock(), publisher_host="h2"),
        emitter.instance_event(e("instance.live_migration_post_dest.end",
                                 "compute.instance.live_migration.post.dest.end"), done,
                               timestamp=clock(), publisher_host="h2"),
        emitter.instance_event(e("instance.live_migration_post.end",
                                 "compute.instance.live_migration._post.end"), moving,
                               timestamp=clock(), publisher_host="h1"),
    ]
    return Scenario(f"live-migration-stale-copies-{'legacy' if legacy else 'versioned'}",
                    events, {"nodes": {"n1": node("h1"), "n2": node("h2")},
                             "instances": {X: inst("n2", "h2")}},
                    {X: "n2"}, {"live-migration", "authority"},
                    {"instances": {X: {"task_state": None}}})


def live_migration_rollback_stale_dest() -> Scenario:
    """An aborted live migration: the source saves task_state None and sends
    rollback.end (_rollback_live_migration); abort.end (live_migration_abort)
    and the destination's rollback_dest.end (a cast,
    rollback_live_migration_at_destination) carry copies with task_state
    migrating and later timestamps: the instance stays on h1, no task."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    moving = x.replace(task_state="migrating")
    events = [
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.instance_event("instance.update", moving, timestamp=clock(),
                               publisher_host=API),
        emitter.instance_event("instance.update", x, timestamp=clock()),
        emitter.instance_event("instance.live_migration_rollback.end", x, timestamp=clock()),
        emitter.instance_event("instance.live_migration_abort.end", moving, timestamp=clock()),
        emitter.instance_event("instance.live_migration_rollback_dest.end", moving,
                               timestamp=clock(), publisher_host="h2"),
    ]
    return Scenario("live-migration-rollback-stale-dest", events,
                    {"nodes": {"n1": node("h1")}, "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"live-migration", "authority"},
                    {"instances": {X: {"task_state": None}}})


def resize_source_end_after_finish(legacy: bool = False) -> Scenario:
    """Same-cell resize (resize_instance): the source sets host/node = h2 and
    task resize_migrated, saves (instance.update from h1 naming h2), casts
    finish_resize, and only then sends resize.end from its copy (old flavor).
    The destination's resize_finish.end (_finish_resize: new flavor, vm_state
    resized, task None) is stamped BEFORE that resize.end: the flavor and
    state stay the destination's."""
    e, clock = _fmt(legacy), emitter.Clock()
    src = Instance(X, "h1", "n1", flavor=SMALL)
    migrated = src.replace(host="h2", node="n2", task_state="resize_migrated")
    finished = migrated.replace(flavor=LARGE, state="resized", task_state=None)
    t_save, t_finish, t_end = clock(), clock(), clock()
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), src,
                               timestamp=clock.skew(-10)),
        emitter.instance_event(e("instance.update", "compute.instance.update"), migrated,
                               timestamp=t_save, publisher_host="h1"),
        emitter.instance_event(e("instance.resize_finish.end",
                                 "compute.instance.finish_resize.end"), finished,
                               timestamp=t_finish, publisher_host="h2"),
        emitter.instance_event(e("instance.resize.end", "compute.instance.resize.end"),
                               migrated, timestamp=t_end, publisher_host="h1"),
    ]
    return Scenario(f"resize-source-end-after-finish-{'legacy' if legacy else 'versioned'}",
                    events, {"nodes": {"n1": node("h1"), "n2": node("h2")},
                             "instances": {X: inst("n2", "h2", state="resized", vcpus=4)}},
                    {X: "n2"}, {"resize", "authority"},
                    {"instances": {X: {"task_state": None, "flavor": "m1.large",
                                       "disk_gb": 80}}})


def cross_cell_resize_hidden_copy() -> Scenario:
    """Cross-cell resize (conductor/tasks/cross_cell_migrate.py): resize.end
    shows the SOURCE host; the destination's resize_finish.end the new host
    and flavor; then the conductor hides the source cell's copy
    (_update_instance_mapping: source_cell_instance.hidden = True; save), an
    instance.update published as nova-compute:<conductor's host> with host =
    h1 and the old flavor, stamped last. The conductor then sends the
    confirm (_send_resize_confirm_notification, CONF.host = the conductor's)."""
    clock = emitter.Clock()
    src = Instance(X, "h1", "n1", flavor=SMALL)
    finished = src.replace(host="h2", node="n2", flavor=LARGE, state="resized")
    hidden = src.replace(task_state="resize_migrated")
    events = [
        emitter.instance_event("instance.create.end", src, timestamp=clock()),
        emitter.instance_event("instance.resize.end", hidden, timestamp=clock()),
        emitter.instance_event("instance.resize_finish.end", finished, timestamp=clock()),
        emitter.instance_event("instance.update", hidden, timestamp=clock(),
                               publisher_host=CONDUCTOR),
    ]
    confirmed = emitter.instance_event("instance.resize_confirm.end",
                                       finished.replace(state="active"), timestamp=clock(),
                                       publisher_host=CONDUCTOR)
    return Scenario("cross-cell-resize-hidden-copy", [*events, confirmed],
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2", vcpus=4)}},
                    {X: "n2"}, {"resize", "authority"},
                    {"instances": {X: {"flavor": "m1.large", "task_state": None}}})


def cross_cell_resize_before_confirm() -> Scenario:
    """The cross-cell resize above, before its confirm: the conductor's save of
    the hidden source copy is the newest event and must not move X back."""
    full = cross_cell_resize_hidden_copy()
    return Scenario("cross-cell-resize-before-confirm", full.events[:-1],
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2", state="resized", vcpus=4)}},
                    {X: "n2"}, {"resize", "authority"},
                    {"instances": {X: {"flavor": "m1.large", "task_state": None}}})


def api_save_clock_ahead() -> Scenario:
    """nova-api renames X (compute/api.py update_instance: instance.save() on
    the controller, instance.update published as nova-compute:api1 with the
    row read back: host h1) just before the live migration to h2 completes;
    the controller's clock runs 300 ms ahead, so its save is stamped after
    post_dest.end. Then nova-api locks it (compute/api.py lock: instance.lock
    from nova-api:api1), also skewed. The rename and the lock hold; the
    placement stays the compute's."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    create = emitter.instance_event("instance.create.end", x, timestamp=clock())
    t_dest = clock()
    dest = emitter.instance_event("instance.live_migration_post_dest.end",
                                  x.replace(host="h2", node="n2"), timestamp=t_dest)
    rename = emitter.instance_event("instance.update", x.replace(name="renamed"),
                                    timestamp=clock.skew(0.3), publisher_host=API)
    lock = emitter.instance_event("instance.lock", x.replace(name="renamed", locked=True),
                                  timestamp=clock.skew(0.4), publisher_host=API)
    lock["publisher_id"] = f"nova-api:{API}"
    return Scenario("api-save-clock-ahead", [create, dest, rename, lock],
                    {"nodes": {"n1": node("h1"), "n2": node("h2")},
                     "instances": {X: inst("n2", "h2")}},
                    {X: "n2"}, {"authority"}, {"instances": {X: {"name": "renamed"}}})


def second_resolution_unshelve(legacy: bool = False) -> Scenario:
    """Timestamps cut to the second (an archive): unshelve on h2
    (manager.py unshelve_instance) saves task_state spawning (instance.update),
    spawns, saves vm_state active / task None, then sends unshelve.end -- in
    the same second. At equal timestamps the operation's .end outranks the
    update whatever the random message ids."""
    e = _fmt(legacy)
    x = Instance(X, "h1", "n1", flavor=SMALL)
    offloaded = x.replace(host=None, node=None, state="shelved_offloaded")
    spawning = offloaded.replace(host="h2", node="n2", task_state="spawning")
    events = [
        emitter.instance_event(e("instance.create.end", "compute.instance.create.end"), x,
                               timestamp="2026-11-25 10:00:01"),
        emitter.instance_event(e("instance.shelve_offload.end",
                                 "compute.instance.shelve_offload.end"), offloaded,
                               timestamp="2026-11-25 10:00:02", publisher_host="h1"),
        emitter.instance_event(e("instance.update", "compute.instance.update"), spawning,
                               timestamp="2026-11-25 10:00:03", publisher_host="h2",
                               message_id="ffffffff-ffff-4fff-bfff-ffffffffffff"),
        emitter.instance_event(e("instance.unshelve.end", "compute.instance.unshelve.end"),
                               x.replace(host="h2", node="n2"),
                               timestamp="2026-11-25 10:00:03",
                               message_id="00000000-0000-4000-8000-000000000000"),
    ]
    return Scenario(f"second-resolution-unshelve-{'legacy' if legacy else 'versioned'}",
                    events, {"nodes": {"n1": node("h1"), "n2": node("h2")},
                             "instances": {X: inst("n2", "h2")}},
                    {X: "n2"}, {"authority"}, {"instances": {X: {"task_state": None}}})


BFV_FLAVOR = Flavor(name="m1.swap", flavorid="6", vcpus=1, memory_mb=2048, root_gb=20,
                    swap=1536)


def _boot_from_volume(message: dict[str, Any]) -> dict[str, Any]:
    """nova's versioned payload of a volume-backed instance: image_uuid "" """
    data = message["payload"].get("nova_object.data")
    if data is not None:
        data["image_uuid"] = ""
    return message


def boot_from_volume_both_formats() -> Scenario:
    """notification_format = both: every action sends its legacy twin
    (notify_about_instance_usage) and its versioned event
    (notify_about_instance_action). X boots from volume (image_uuid ""),
    Y from an image; both have 1536 MB swap. Local disk as Watcher counts it:
    X 0 + 2, Y 20 + 2, however the legacy twins (no image, no swap) fall."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=BFV_FLAVOR)
    y = Instance(Y, "h1", "n1", flavor=BFV_FLAVOR)
    events = []
    for inst_, bfv in ((x, True), (y, False)):
        for v, leg, state in (("instance.create.end", "compute.instance.create.end", inst_),
                              ("instance.power_off.end", "compute.instance.power_off.end",
                               inst_.replace(state="stopped", power_state="shutdown"))):
            versioned = emitter.instance_event(v, state, timestamp=clock())
            events.append(_boot_from_volume(versioned) if bfv else versioned)
            events.append(emitter.instance_event(leg, state, timestamp=clock()))
    return Scenario("boot-from-volume-both-formats", events,
                    {"nodes": {"n1": node("h1")},
                     "instances": {X: inst("n1", "h1", state="stopped"),
                                   Y: inst("n1", "h1", state="stopped")}},
                    {X: "n1", Y: "n1"}, {"authority"},
                    {"instances": {X: {"disk_gb": 2}, Y: {"disk_gb": 22}}})


def forced_down_host_disabled_then_unforced() -> Scenario:
    """A failed host: forced down, then disabled, then un-forced while still
    dead. service.update is sent only when disabled/disabled_reason/
    forced_down change (objects/service.py _send_status_update_notification)
    and does not carry the heartbeat verdict: after forced_down goes back to
    false nothing says the host is up again (servicegroup is_up then needs a
    fresh heartbeat), so it stays down until a resync."""
    clock = emitter.Clock()
    x = Instance(X, "h1", "n1", flavor=SMALL)
    events = [
        emitter.service_event("service.create", "h1", timestamp=clock()),
        emitter.instance_event("instance.create.end", x, timestamp=clock()),
        emitter.service_event("service.update", "h1", timestamp=clock(), forced_down=True),
        emitter.service_event("service.update", "h1", timestamp=clock(), forced_down=True,
                              disabled=True, disabled_reason="dead"),
        emitter.service_event("service.update", "h1", timestamp=clock(), disabled=True,
                              disabled_reason="dead"),
    ]
    return Scenario("forced-down-host-disabled-then-unforced", events,
                    {"nodes": {"n1": node("h1", "disabled", "dead")},
                     "instances": {X: inst("n1", "h1")}},
                    {X: "n1"}, {"service", "authority"}, {"nodes": {"n1": {"state": "down"}}})


AUTHORITY: list[Scenario] = [
    live_migration_stale_copies(), live_migration_stale_copies(legacy=True),
    live_migration_rollback_stale_dest(),
    resize_source_end_after_finish(), resize_source_end_after_finish(legacy=True),
    cross_cell_resize_hidden_copy(), cross_cell_resize_before_confirm(),
    api_save_clock_ahead(),
    second_resolution_unshelve(), second_resolution_unshelve(legacy=True),
    boot_from_volume_both_formats(), forced_down_host_disabled_then_unforced(),
]

SCENARIOS: list[Scenario] = [
    rebuild_in_place(), rebuild_in_place(legacy=True),
    evacuate(), evacuate(legacy=True), evacuate_to_unknown_host(),
    resize_confirm(), resize_confirm(legacy=True), resize_revert(),
    live_migration(post_first=True), live_migration(post_first=False),
    live_migration(post_first=True, legacy=True), live_migration(post_first=False, legacy=True),
    shelve_offload_only(), shelve_unshelve(), delete_then_late_update(),
    scheduler_service_update(), service_disable_enable(), service_disable_enable(False),
    service_before_node_known(), decommission(), service_delete_with_instance(),
    create_on_unknown_host(), create_on_unknown_host(legacy=True),
    *AUTHORITY,
]
BY_NAME = {s.name: s for s in SCENARIOS}


def run(writer, messages: list[dict[str, Any]], batch: int | None = None) -> dict[str, Any]:
    """Apply messages through the real pipeline; returns the export."""
    pipeline = Pipeline(writer)
    notes = [envelope.from_message(m) for m in messages]
    size = batch or 1
    for start in range(0, len(notes), size):
        outcomes = pipeline.apply(notes[start:start + size])
        assert [o.reason for o in outcomes if o.status == "rejected"] == []
    return export.export(writer)


# --------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_one_by_one(writer, scenario):
    data = run(writer, scenario.events)
    assert view(data) == scenario.expect
    check_more(data, scenario)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_in_one_batch_twice(writer, scenario):
    first = run(writer, scenario.events, batch=len(scenario.events))
    assert view(first) == scenario.expect
    check_more(first, scenario)
    assert run(writer, scenario.events, batch=len(scenario.events)) == first


def test_shelve_offload_keeps_the_instance_until_unshelve(writer):
    s = shelve_unshelve()
    mid = run(writer, s.events[:3])
    assert view(mid)["instances"] == {X: inst(None, None, state="shelved_offloaded")}
    assert view(run(writer, s.events[3:])) == s.expect


def test_export_fields_and_order(writer):
    data = run(writer, evacuate().events)
    assert list(data) == ["compute_nodes", "instances"]
    keys = [n["hypervisor_hostname"] for n in data["compute_nodes"]]
    assert keys == sorted(keys)
    assert set(data["compute_nodes"][0]) >= {"uuid", "hostname", "hypervisor_hostname", "state",
                                             "status", "disabled_reason", "vcpus",
                                             "memory_mb", "disk_gb"}
    x = next(i for i in data["instances"] if i["uuid"] == X)
    assert set(x) >= {"uuid", "name", "state", "vcpus", "memory_mb", "disk_gb", "project_id",
                      "hosted_on"}
    assert x["hosted_on"] == {"hostname": "h2", "hypervisor_hostname": "n2"}
    assert (x["vcpus"], x["memory_mb"], x["disk_gb"]) == (1, 2048, 20)
    assert data["compute_nodes"][0]["uuid"] is None  # placeholder until a resync
    assert export.dumps(data) == export.dumps(json.loads(export.dumps(data)))


def test_tombstones_are_absent_from_export_and_purged(writer, neo4j_driver):
    data = run(writer, delete_then_late_update().events)
    assert data["instances"] == []
    count = lambda label: neo4j_driver.execute_query(  # noqa: E731
        f"MATCH (t:{label}) RETURN count(t) AS n", database_="neo4j").records[0]["n"]
    assert count("InstanceTombstone") == 1
    assert writer.purge_tombstones(3600) == 0  # young: kept
    assert writer.purge_tombstones(0) == 1
    assert count("InstanceTombstone") == 0


def test_gone_instances_are_purged_with_the_service_tombstone(writer, neo4j_driver):
    run(writer, service_delete_with_instance().events)
    n = neo4j_driver.execute_query("MATCH (i:Instance) RETURN count(i) AS n",
                                   database_="neo4j").records[0]["n"]
    assert n == 2  # X is kept, marked gone, until the service tombstone expires
    assert writer.purge_tombstones(0) == 1
    n = neo4j_driver.execute_query("MATCH (i:Instance) RETURN count(i) AS n",
                                   database_="neo4j").records[0]["n"]
    assert n == 1


# --------------------------------------------------------------------------
# through the command line


@pytest.fixture
def cli_env(conf, monkeypatch):
    """The CLI reads [neo4j] from the environment the ``conf`` fixture set."""
    return CliRunner()


def _jsonl(tmp_path, name: str, items: list[dict]) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return str(path)


def renamed(events: list[dict], old: str, new: str) -> list[dict]:
    """The same stream about another instance uuid."""
    return [json.loads(json.dumps(m).replace(old, new)) for m in events]


def test_scenarios_through_the_replay_command(writer, cli_env, tmp_path):
    """Scenarios in the three file forms through ``graphcdm replay``, then again."""
    z = "c0000000-0000-4000-8000-00000000000c"
    s1, s2, s3 = resize_confirm(), delete_then_late_update(), service_disable_enable()
    wire = _jsonl(tmp_path, "wire.jsonl", [emitter.to_wire(m) for m in s1.events])
    endpoint = tmp_path / "endpoint.json"  # a JSON array of endpoint-form items
    endpoint.write_text(json.dumps([emitter.to_endpoint(m)
                                    for m in renamed(s2.events, X, Y)], indent=1))
    plain = _jsonl(tmp_path, "message.jsonl", renamed(s3.events, X, z))
    result = cli_env.invoke(main, ["replay", "--no-progress", wire, str(endpoint)])
    assert result.exit_code == 0, result.output
    assert "applied 8, ignored 0, rejected 0" in result.output
    assert view(export.export(writer)) == s1.expect  # Y created, then deleted
    result = cli_env.invoke(main, ["replay", "--no-progress", plain])
    assert result.exit_code == 0, result.output
    assert "applied 3, ignored 0, rejected 0" in result.output
    want = {"nodes": {"n1": node("h1", "enabled"), "n2": node("h2")},
            "instances": {X: inst("n2", "h2", vcpus=4), z: inst("n1", "h1")}}
    assert view(export.export(writer)) == want
    # the same files again, in other batches: nothing changes
    before = export.export(writer)
    again = cli_env.invoke(main, ["replay", "--no-progress", "--batch-size", "2", plain, wire,
                                  str(endpoint)])
    assert again.exit_code == 0, again.output
    assert "applied 11, ignored 0, rejected 0" in again.output
    assert export.export(writer) == before
    out = cli_env.invoke(main, ["export"])
    assert out.exit_code == 0 and json.loads(out.output) == before
    reset = cli_env.invoke(main, ["reset"])
    assert reset.exit_code == 2 and "--yes" in reset.output
    reset = cli_env.invoke(main, ["reset", "--yes"])
    assert reset.exit_code == 0
    assert export.export(writer) == {"compute_nodes": [], "instances": []}


def test_replay_exit_status_3_when_neo4j_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCDM_NEO4J_URI", "bolt://127.0.0.1:9")
    cfg_file = tmp_path / "graphcdm.conf"
    cfg_file.write_text("[neo4j]\nwrite_retries = 0\nconnection_timeout = 1\n"
                        "max_transaction_retry_time = 0\n")
    path = _jsonl(tmp_path, "one.jsonl", rebuild_in_place().events)
    result = CliRunner().invoke(main, ["--config-file", str(cfg_file), "replay",
                                       "--no-progress", path])
    assert result.exit_code == 3, result.output
    assert "Error: Neo4j" in result.output and "unavailable" in result.output
