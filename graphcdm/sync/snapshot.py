"""Turn what a poll read into typed rows, and compare them with the graph: pure.

The *transform* step of the resync: no I/O, so the arithmetic Watcher's
collector does (placement inventories over hypervisor figures) and the
drift a dry run prints are unit-tested on hand-written data. Instance
attributes are derived by :mod:`graphcdm.graph.attributes`, as for
notifications (local disk is derived by ``instance_write`` from them).

Instances become the same changes notifications give
(:class:`~graphcdm.graph.changes.InstanceUpsert` and
:class:`~graphcdm.graph.changes.InstanceMove`/``InstanceUnmap``) at the poll's
version, so the writer's version guards and tombstones decide between a
snapshot row and a notification exactly as between two notifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphcdm.graph import attributes
from graphcdm.graph.changes import (
    Change,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceUpsert,
    json_text,
)
from graphcdm.sync.nova import RawCloud

#: Compute node properties the resync writes (the read side uses these names).
NODE_FIELDS = ("uuid", "hostname", "hypervisor_hostname", "state", "status", "disabled_reason",
               "vcpus", "vcpu_reserved", "vcpu_ratio", "memory_mb", "memory_mb_reserved",
               "memory_ratio", "disk_gb", "disk_gb_reserved", "disk_ratio", "availability_zone",
               "hypervisor_type")

#: Instance attributes compared by a dry run (placement is compared apart: "moved").
INSTANCE_FIELDS = ("name", "state", "task_state", "vcpus", "memory_mb", "root_gb",
                   "ephemeral_gb", "swap_mb", "boot_from_volume", "flavor", "project_id")

AGGREGATE_FIELDS = ("uuid", "name", "availability_zone", "metadata", "members")

KINDS = ("compute_nodes", "instances", "aggregates")


@dataclass
class Snapshot:
    """The cloud as rows for the loader, all at one version (the poll's start)."""

    version: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    #: one ServiceUpsert per host of ``nodes``: their service status and state
    service_changes: list[ServiceUpsert] = field(default_factory=list)
    #: InstanceUpsert + InstanceMove/InstanceUnmap per server
    instance_changes: list[Change] = field(default_factory=list)
    #: uuid -> {INSTANCE_FIELDS..., host, node}: for the drift
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    aggregates: list[dict[str, Any]] = field(default_factory=list)
    #: [{hypervisor_hostname, aggregate_ids}] for every node of the snapshot
    memberships: list[dict[str, Any]] = field(default_factory=list)


def _capacity(inv: dict[str, dict[str, Any]] | None, rc: str, total: Any
              ) -> tuple[Any, int, float]:
    """(total, reserved, allocation_ratio) from placement, else the hypervisor's total."""
    if inv and rc in inv:
        i = inv[rc]
        return i.get("total"), int(i.get("reserved") or 0), float(i.get("allocation_ratio")
                                                                  or 1.0)
    return total, 0, 1.0


def _enabled(value: Any) -> str | None:
    return None if value is None else str(value)


def node_rows(raw: RawCloud, version: str) -> list[dict[str, Any]]:
    """One row per hypervisor (compute node), keyed by hypervisor_hostname."""
    services = {s["host"]: s for s in raw.services if s.get("host")}
    rows = []
    for h in sorted(raw.hypervisors, key=lambda h: h["hypervisor_hostname"] or ""):
        if not h.get("hypervisor_hostname"):
            continue
        host = h.get("service_host") or h["hypervisor_hostname"]
        svc = services.get(host, {})
        inv = raw.inventories.get(h["id"]) if raw.inventories is not None else None
        vcpus, vcpu_reserved, vcpu_ratio = _capacity(inv, "VCPU", h.get("vcpus"))
        mem, mem_reserved, mem_ratio = _capacity(inv, "MEMORY_MB", h.get("memory_mb"))
        disk, disk_reserved, disk_ratio = _capacity(inv, "DISK_GB", h.get("local_gb"))
        zone = (raw.zones or {}).get(host) or svc.get("zone")
        rows.append({
            "uuid": h["id"], "hostname": host, "hypervisor_hostname": h["hypervisor_hostname"],
            "state": _enabled(h.get("state") or svc.get("state")),
            "status": _enabled(h.get("status") or svc.get("status")),
            "disabled_reason": h.get("disabled_reason") or svc.get("disabled_reason"),
            "vcpus": vcpus, "vcpu_reserved": vcpu_reserved, "vcpu_ratio": vcpu_ratio,
            "memory_mb": mem, "memory_mb_reserved": mem_reserved, "memory_ratio": mem_ratio,
            "disk_gb": disk, "disk_gb_reserved": disk_reserved, "disk_ratio": disk_ratio,
            "availability_zone": zone, "forced_down": bool(svc.get("forced_down", False)),
            "hypervisor_type": h.get("hypervisor_type"),
            "service_uuid": svc.get("id"), "version": version,
        })
    return rows


def instance_attrs(s: dict[str, Any]) -> dict[str, Any]:
    """A server's attributes: its raw values under the graph's names, then
    :func:`graphcdm.graph.attributes.derive` as for notifications.

    The listing at microversion 2.53 carries no flavor id nor lock reason:
    they stay absent (untouched), as every field a source lacks.
    """
    f = s.get("flavor") or {}
    raw = {
        "name": s.get("name"), "state": s.get("vm_state"), "task_state": s.get("task_state"),
        "power_state": s.get("power_state"),
        "vcpus": f.get("vcpus"), "memory_mb": f.get("ram"), "root_gb": f.get("disk"),
        "ephemeral_gb": f.get("ephemeral"), "swap_mb": f.get("swap") or 0,
        "flavor": f.get("name"),
        "project_id": s.get("project_id"), "user_id": s.get("user_id"),
        "locked": s.get("locked"), "availability_zone": s.get("availability_zone"),
        "created_at": s.get("created"), "metadata": s.get("metadata"),
        "image": s.get("image_id"), "flavor_extra_specs": f.get("extra_specs"),
        **({"pinned_availability_zone": s["pinned_availability_zone"]}
           if "pinned_availability_zone" in s else {}),
    }
    return attributes.derive(raw)


def service_changes(nodes: list[dict[str, Any]], version: str) -> list[ServiceUpsert]:
    """One ServiceUpsert per host of the snapshot's nodes, at the poll's version.

    The resync knows the heartbeat verdict (state up/down), so its rows set
    both status and state, through the same statement as service events.
    """
    out: dict[str, ServiceUpsert] = {}
    for n in nodes:
        host = n["hostname"]
        if host in out:
            continue
        out[host] = ServiceUpsert(
            host=host, version=version, disabled=n["status"] == "disabled",
            disabled_reason=n["disabled_reason"], forced_down=n["forced_down"],
            service_uuid=n["service_uuid"], availability_zone=n["availability_zone"],
            state=n["state"])
    return [out[h] for h in sorted(out)]


def build(raw: RawCloud, version: str) -> Snapshot:
    """The snapshot of a complete poll, every row at ``version``."""
    snap = Snapshot(version=version, nodes=node_rows(raw, version))
    snap.service_changes = service_changes(snap.nodes, version)
    for s in sorted(raw.servers, key=lambda s: s["id"]):
        if s.get("vm_state") == "deleted":
            continue  # Watcher skips them too; the cleanup removes them
        attrs = instance_attrs(s)
        host, node = s.get("host"), s.get("node")
        snap.instance_changes.append(InstanceUpsert(s["id"], version, attrs))
        if host:
            snap.instance_changes.append(InstanceMove(s["id"], version, host, node))
        else:
            snap.instance_changes.append(InstanceUnmap(s["id"], version))
        snap.instances[s["id"]] = {**{k: attrs[k] for k in INSTANCE_FIELDS},
                                   "host": host, "node": node if host else None}
    by_host: dict[str, list[int]] = {}
    for a in sorted(raw.aggregates, key=lambda a: a["id"]):
        for host in a.get("hosts") or []:
            by_host.setdefault(host, []).append(a["id"])
    members: dict[Any, list[str]] = {}
    for n in snap.nodes:
        ids = sorted(set(by_host.get(n["hostname"], [])))
        snap.memberships.append({"hypervisor_hostname": n["hypervisor_hostname"],
                                 "aggregate_ids": ids})
        for i in ids:
            members.setdefault(i, []).append(n["hypervisor_hostname"])
    for a in sorted(raw.aggregates, key=lambda a: a["id"]):
        snap.aggregates.append({
            "id": a["id"], "uuid": a.get("uuid"), "name": a.get("name"),
            "availability_zone": a.get("availability_zone"),
            "metadata": json_text(a.get("metadata") or {}),
            "members": sorted(members.get(a["id"], [])),
        })
    return snap


# --------------------------------------------------------------------------
# drift: what a load would change


@dataclass
class KindDrift:
    """Keys (hypervisor_hostname, uuid, aggregate id) per kind of change."""

    created: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    moved: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("created", "updated", "moved", "removed")}


@dataclass
class Drift:
    """What loading a snapshot would change, per kind (compute_nodes, instances, aggregates)."""

    kinds: dict[str, KindDrift] = field(default_factory=lambda: {k: KindDrift() for k in KINDS})

    def total(self) -> int:
        return sum(sum(d.counts().values()) for d in self.kinds.values())

    def as_dict(self, examples: int = 3) -> dict[str, Any]:
        return {kind: {what: {"count": len(keys), "examples": keys[:examples]}
                       for what, keys in vars(d).items()}
                for kind, d in self.kinds.items()}


def _differs(want: dict[str, Any], have: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(_norm(want.get(f)) != _norm(have.get(f)) for f in fields)


def _norm(v: Any) -> Any:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def drift(snap: Snapshot, graph: dict[str, dict[Any, dict[str, Any]]]) -> Drift:
    """Compare a snapshot with the graph's current entities (keyed like the snapshot).

    ``graph`` = {"compute_nodes": {hypervisor_hostname: props},
    "instances": {uuid: props}, "aggregates": {id: props}}. A placeholder
    the snapshot completes counts as updated.
    """
    d = Drift()
    have_nodes = graph.get("compute_nodes", {})
    want_nodes = {n["hypervisor_hostname"]: n for n in snap.nodes}
    nd = d.kinds["compute_nodes"]
    for key, row in want_nodes.items():
        if key not in have_nodes:
            nd.created.append(key)
        elif have_nodes[key].get("placeholder") or _differs(row, have_nodes[key], NODE_FIELDS):
            nd.updated.append(key)
    nd.removed = sorted(k for k in have_nodes if k not in want_nodes)

    have_inst = graph.get("instances", {})
    idr = d.kinds["instances"]
    for key, row in snap.instances.items():
        have = have_inst.get(key)
        if have is None:
            idr.created.append(key)
            continue
        if _differs(row, have, INSTANCE_FIELDS):
            idr.updated.append(key)
        if row.get("node") != have.get("node") or row.get("host") != have.get("host"):
            idr.moved.append(key)
    idr.removed = sorted(k for k in have_inst if k not in snap.instances)

    have_agg = graph.get("aggregates", {})
    want_agg = {a["id"]: a for a in snap.aggregates}
    ad = d.kinds["aggregates"]
    for key, row in want_agg.items():
        if key not in have_agg:
            ad.created.append(key)
        elif _differs(row, {**have_agg[key], "members": sorted(have_agg[key].get("members")
                                                                 or [])}, AGGREGATE_FIELDS):
            ad.updated.append(key)
    ad.removed = sorted((k for k in have_agg if k not in want_agg), key=str)
    return d
