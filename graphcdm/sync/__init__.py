"""Resync from the nova API: get -> transform -> load -> cleanup.

Notifications cannot tell of everything (a compute node appearing or
vanishing, a service down by missed heartbeat, lost messages); a resync
reads the cloud as Watcher's collector does and makes the graph follow it,
without trampling newer events:

* every row carries the version of the poll's *start*
  (``version_from_datetime(poll_start, "sync")``), so a notification that
  arrived after the poll began is newer and wins (the writer's guards);
* the poll is complete or nothing is written: the cleanup deletes what the
  cloud did not list, so a partial listing must delete nothing;
* the cleanup spares entities an event newer than the poll's start touched
  (created or updated by a notification while the poll ran) and leaves soft
  tombstones, so a late, older notification cannot resurrect what it removed;
  a tombstone newer than the poll keeps the load from resurrecting an
  instance a notification deleted.

:func:`resync` is called by ``graphcdm sync`` and periodically by the listener.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg

from graphcdm.graph import tx
from graphcdm.graph.changes import InstanceDelete
from graphcdm.graph.writer import GraphWriter
from graphcdm.notifications.envelope import version_from_datetime
from graphcdm.read.query import Connected, GraphQuery
from graphcdm.sync import nova, snapshot
from graphcdm.sync.nova import NovaConfigError, PollFailed

LOG = logging.getLogger(__name__)

__all__ = ["NovaConfigError", "PollFailed", "SyncReport", "resync", "Progress"]

#: progress(step, done, total or None): the command's progress bar.
Progress = Callable[[str, int, int | None], None]


@dataclass
class SyncReport:
    """What a resync read, would change (drift) and, unless dry, wrote."""

    version: str
    dry_run: bool
    fetched: dict[str, int] = field(default_factory=dict)
    drift: snapshot.Drift = field(default_factory=snapshot.Drift)
    #: Neo4j counters summed over the load and cleanup
    written: dict[str, int] = field(default_factory=dict)
    #: instances/nodes the cleanup kept because a newer event touched them
    spared: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    placement: bool = False

    def __str__(self) -> str:
        """One short log line (the listener logs reports; the drift's keys would flood it)."""
        drift = "; ".join(f"{kind} " + " ".join(f"{k} {v}" for k, v in d.counts().items() if v)
                          for kind, d in self.drift.kinds.items() if any(d.counts().values()))
        spared = {k: v for k, v in self.spared.items() if v}
        return (f"{'dry run' if self.dry_run else 'resync'} {self.version}: read "
                f"{self.fetched.get('compute_nodes', 0)} compute nodes, "
                f"{self.fetched.get('instances', 0)} instances; drift {drift or 'none'}"
                f"{f'; kept (newer events) {spared}' if spared else ''}; "
                f"{sum(self.seconds.values()):.1f} s")

    def as_dict(self, examples: int = 3) -> dict[str, Any]:
        return {"version": self.version, "dry_run": self.dry_run, "fetched": self.fetched,
                "placement": self.placement, "drift": self.drift.as_dict(examples),
                "written": self.written, "spared": self.spared,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def graph_state(graph: Connected) -> dict[str, dict[Any, dict[str, Any]]]:
    """The graph's compute nodes, instances and aggregates, keyed as a snapshot is."""
    query = GraphQuery.of(graph)
    return {
        "compute_nodes": {r["hypervisor_hostname"]: r
                          for r in query.read("sync/graph_compute_nodes")},
        "instances": {r["uuid"]: r for r in query.read("sync/graph_instances")},
        "aggregates": {r["id"]: r for r in query.read("sync/graph_aggregates")},
    }


def resync(conf: cfg.ConfigOpts, writer: GraphWriter, *, dry_run: bool = False,
           progress: Progress | None = None, conn: Any = None) -> SyncReport:
    """Poll nova (and placement), then load the snapshot and remove what is gone.

    Raises :class:`PollFailed` when the poll is incomplete (nothing is
    written then) and :class:`graphcdm.graph.writer.WriteFailed` when Neo4j fails.
    ``conn`` is an openstacksdk connection to use instead of ``[nova]``'s.
    """
    poll_start = dt.datetime.now(dt.timezone.utc)
    version = version_from_datetime(poll_start, "sync")
    report = SyncReport(version=version, dry_run=dry_run)
    clock = time.monotonic()

    def tick(step: str, done: int, total: int | None = None) -> None:
        if progress:
            progress(step, done, total)

    raw = nova.fetch(conf, lambda step, n: tick(step, n), conn=conn)
    report.placement = raw.inventories is not None
    report.seconds["poll"] = time.monotonic() - clock
    snap = snapshot.build(raw, version)
    report.fetched = {"services": len(raw.services), "compute_nodes": len(snap.nodes),
                      "instances": len(snap.instances), "aggregates": len(snap.aggregates)}
    LOG.info("resync poll: %(compute_nodes)d compute nodes, %(instances)d instances, "
             "%(aggregates)d aggregates", report.fetched)

    clock = time.monotonic()
    graph = graph_state(writer)
    report.drift = snapshot.drift(snap, graph)
    report.seconds["diff"] = time.monotonic() - clock
    if dry_run:
        return report

    clock = time.monotonic()
    _load(conf, writer, snap, report, tick)
    report.seconds["load"] = time.monotonic() - clock
    clock = time.monotonic()
    _cleanup(conf, writer, snap, report, tick)
    report.seconds["cleanup"] = time.monotonic() - clock
    LOG.info("resync %s: drift %s; written %s", version,
             {k: d.counts() for k, d in report.drift.kinds.items()}, report.written)
    return report


def _add(report: SyncReport, counters: dict[str, int]) -> None:
    for key, value in counters.items():
        report.written[key] = report.written.get(key, 0) + value


def _load(conf: cfg.ConfigOpts, writer: GraphWriter, snap: snapshot.Snapshot,
          report: SyncReport, tick: Callable[..., None]) -> None:
    batch = conf.sync.batch_size
    total = len(snap.nodes)
    _add(report, writer.sync_write("compute_nodes", snap.nodes, batch,
                                   lambda n: tick("load compute nodes", n, total)))
    # Service status and state through the notification path's service_upsert
    # (the one status rule): a service.update newer than the poll wins.
    for start in range(0, len(snap.service_changes), batch):
        _add(report, writer.apply(snap.service_changes[start:start + batch]))
    report.written["placeholders_folded"] = writer.fold_placeholders()
    _add(report, writer.sync_write("aggregates", snap.aggregates, batch))
    _add(report, writer.sync_write("memberships", snap.memberships, batch))
    # A delete the complete poll contradicts is lifted first (older than the
    # poll by more than the clock bound; see cypher/sync/lift_tombstones).
    poll_us = int(snap.version.partition("|")[0])
    before = f"{poll_us - int(conf.notifications.max_clock_ahead * 1_000_000):017d}"
    lift = [{"uuid": u, "before": before} for u in report.drift.kinds["instances"].created]
    _add(report, writer.sync_write("lift_tombstones", lift, batch))
    # Instances go through the notification path's statements (GraphWriter.apply):
    # the same version guards, tombstones and placeholder handling decide.
    changes = snap.instance_changes  # upsert, then move/unmap, per uuid: keep pairs together
    step = batch * 2
    total = len(snap.instances)
    for start in range(0, len(changes), step):
        _add(report, writer.apply(changes[start:start + step]))
        tick("load instances", min(total, (start + step) // 2), total)


def _cleanup(conf: cfg.ConfigOpts, writer: GraphWriter, snap: snapshot.Snapshot,
             report: SyncReport, tick: Callable[..., None]) -> None:
    batch = conf.sync.batch_size
    gone = report.drift.kinds
    # The same soft delete as a notification's (instance_delete): the instance
    # goes unless something newer than the poll touched it, and its soft
    # tombstone at the poll's version keeps older notifications out.
    deletes = [InstanceDelete(u, snap.version, final=False) for u in gone["instances"].removed]
    counters: dict[str, int] = {}
    for start in range(0, len(deletes), batch):
        tx.add(counters, writer.apply(deletes[start:start + batch]))
        tick("remove instances", min(len(deletes), start + batch), len(deletes))
    report.spared["instances"] = len(deletes) - counters.get("nodes_deleted", 0)
    _add(report, counters)
    rows = [{"hypervisor_hostname": h, "version": snap.version}
            for h in gone["compute_nodes"].removed]
    counters = writer.sync_write("remove_compute_nodes", rows, batch)
    report.spared["compute_nodes"] = len(rows) - counters.get("nodes_deleted", 0)
    _add(report, counters)
    rows = [{"id": i} for i in gone["aggregates"].removed]
    _add(report, writer.sync_write("remove_aggregates", rows, batch))
