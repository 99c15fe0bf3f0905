"""A simulated nova cloud: its notification stream and the model it must leave.

Why: the demo, the benchmarks and the end-to-end tests need streams that
look like a real cloud's (thousands of instances living their lives over
hundreds of compute nodes, both notification formats, nova's publishers and
its traps), *and* an answer to compare graphcdm's graph with that does not
come from graphcdm. The simulator keeps its own state of the cloud (where
each instance runs, its flavor and state, each compute service's status) and
emits, for every operation, the notifications nova emits for it, built by
:mod:`graphcdm.sim.emitter`. Its expected export is computed from that state,
never by running graphcdm's parse or writer.

What a run contains (every operation chooses its format: versioned,
legacy, or, with ``fmt="both"``, both twins as ``notification_format=both``
sends them):

- at boot, ``service.create`` for every nova-compute service, and N x
  ``instance.create.start/end`` until M instances run;
- then operations: state changes (power off/on, pause, suspend, reboot,
  lock), rebuild in place, delete (and a replacement create, so the cloud
  keeps M instances), resize with confirm or revert, live migration (with
  the stale ``live_migration_post.end`` the source emits after the
  destination's ``post_dest.end``, still showing the source host) and
  rollback, shelve / shelve offload / unshelve, service disable/enable,
  host failures (force-down, disable, ``instance.evacuate`` from nova-api
  and ``rebuild.end`` from the *destination* compute with the OLD host in
  its payload) and recoveries, and noise graphcdm must ignore
  (``*.start`` events, nova-scheduler/nova-conductor ``service.update``);
- delivery faults on request: duplicates (the same message again, as
  RabbitMQ redelivers) and reordering (each message displaced by up to a
  window of positions, as several publishers and consumer threads do).

Timestamps are one simulated clock (milliseconds apart, in causal order);
ids and choices come from one seeded ``random.Random``, so a seed repeats
a run byte for byte.

What the expected export holds, and why:

- compute nodes: every host the stream revealed. A host whose node name
  some placement event told (its ``host``/``node`` pair) appears as that
  node; a host known only by name (``service.*``, an evacuation's
  destination publisher) as a node named after the host. Nodes come from
  notifications only, so they are placeholders (``uuid`` null, capacities
  null: nova never notifies them; the resync fills them). Status follows
  the host's last ``service.*`` (null when it sent none); state only what
  the events tell (forced down: down; service.create: up).
- instances: every live instance with the simulator's attributes and the
  node it runs on (null when shelve-offloaded).

One liberty with nova: nova's ``live_migration_post.end`` sample also
carries the stale ``task_state: "migrating"``; the simulator keeps the stale
*host* (the trap under test) but sends the current task state, because the
expected export holds nova's database state and no later notification would
correct a stale task state (see ``stale_post_task_state``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphcdm.sim import emitter
from graphcdm.sim.emitter import Flavor, Instance

FLAVORS = (
    Flavor("m1.tiny", "1", 1, 512, 1),
    Flavor("m1.small", "2", 1, 2048, 20),
    Flavor("m1.medium", "3", 2, 4096, 40),
    Flavor("m1.large", "4", 4, 8192, 80),
    Flavor("m1.xlarge", "5", 8, 16384, 160),
)

#: versioned event -> legacy twin (None: nova sends no legacy twin)
LEGACY_TWIN: dict[str, str | None] = {
    "instance.create.start": "compute.instance.create.start",
    "instance.create.end": "compute.instance.create.end",
    "instance.delete.start": "compute.instance.delete.start",
    "instance.delete.end": "compute.instance.delete.end",
    "instance.power_off.end": "compute.instance.power_off.end",
    "instance.power_on.end": "compute.instance.power_on.end",
    "instance.pause.end": "compute.instance.pause.end",
    "instance.unpause.end": "compute.instance.unpause.end",
    "instance.suspend.end": "compute.instance.suspend.end",
    "instance.resume.end": "compute.instance.resume.end",
    "instance.reboot.end": "compute.instance.reboot.end",
    "instance.rebuild.start": "compute.instance.rebuild.start",
    "instance.rebuild.end": "compute.instance.rebuild.end",
    "instance.resize.start": "compute.instance.resize.start",
    "instance.resize.end": "compute.instance.resize.end",
    "instance.resize_finish.end": "compute.instance.finish_resize.end",
    "instance.resize_confirm.end": "compute.instance.resize.confirm.end",
    "instance.resize_revert.end": "compute.instance.resize.revert.end",
    "instance.live_migration_pre.end": "compute.instance.live_migration.pre.end",
    "instance.live_migration_post_dest.end": "compute.instance.live_migration.post.dest.end",
    "instance.live_migration_post.end": "compute.instance.live_migration._post.end",
    "instance.live_migration_rollback.end": "compute.instance.live_migration._rollback.end",
    "instance.shelve.end": "compute.instance.shelve.end",
    "instance.shelve_offload.end": "compute.instance.shelve_offload.end",
    "instance.unshelve.end": "compute.instance.unshelve.end",
    "instance.lock": None,
    "instance.unlock": None,
    "instance.evacuate": None,
}

FORMATS = ("mixed", "versioned", "legacy", "both")

#: operation -> weight in the mix after boot
OPERATIONS: dict[str, float] = {
    "state": 30, "lock": 3, "rebuild": 4, "churn": 10, "resize_confirm": 8,
    "resize_revert": 4, "live_migration": 15, "live_migration_rollback": 2,
    "shelve": 6, "unshelve": 6, "service_toggle": 3, "host_failure": 0.6,
    "host_recovery": 1.0, "noise": 2,
}

_STATE_CHANGES = (
    ("instance.power_off.end", "active", "stopped", "shutdown"),
    ("instance.power_on.end", "stopped", "active", "running"),
    ("instance.pause.end", "active", "paused", "paused"),
    ("instance.unpause.end", "paused", "active", "running"),
    ("instance.suspend.end", "active", "suspended", "suspended"),
    ("instance.resume.end", "suspended", "active", "running"),
    ("instance.reboot.end", "active", "active", "running"),
)

CONTROLLER = "controller-1"


@dataclass
class Service:
    """A nova-compute service as nova's database holds it."""

    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    #: True once a service.* notification told graphcdm about it
    notified: bool = False
    #: up/down as far as the notified events told it (see parse._service_state):
    #: forced down is down, a service.create is up, other updates say nothing
    known_state: str | None = None

    @property
    def usable(self) -> bool:
        """The scheduler may place an instance here: enabled and not forced down."""
        return not self.disabled and not self.forced_down


@dataclass
class Simulation:
    """What a run produced: the delivered stream and the model it must give."""

    #: notifications in delivery order (message form, as oslo.messaging's body)
    messages: list[dict[str, Any]]
    #: same shape as :func:`graphcdm.read.export.export`
    expected: dict[str, list[dict[str, Any]]]
    #: operation -> how many ran (for summaries)
    operations: dict[str, int]
    #: notifications emitted before duplication (distinct messages)
    emitted: int = 0


class _Live(dict):
    """The live instances by uuid, in the order they were first added, plus
    which of them each host holds.

    Why: a host failure evacuates what the host runs; scanning every live
    instance for it made generating a 1,000,000-instance cloud take hours.
    :meth:`on_host` gives the same instances in the same order as that scan.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_host: dict[str | None, set[str]] = {}
        self._rank: dict[str, int] = {}
        self._added = 0

    def __setitem__(self, uuid: str, inst: Instance) -> None:
        old = self.get(uuid)
        if old is None:  # new (or back): last in the order, as in a dict
            self._rank[uuid] = self._added
            self._added += 1
        elif old.host != inst.host:
            self._by_host[old.host].discard(uuid)
        self._by_host.setdefault(inst.host, set()).add(uuid)
        super().__setitem__(uuid, inst)

    def __delitem__(self, uuid: str) -> None:
        self._by_host[self[uuid].host].discard(uuid)
        del self._rank[uuid]
        super().__delitem__(uuid)

    def on_host(self, host: str) -> list[str]:
        """The uuids of the live instances on ``host``, in the live order."""
        return sorted(self._by_host.get(host, ()), key=self._rank.__getitem__)


@dataclass
class Simulator:
    """A seeded cloud of ``nodes`` compute hosts and ``instances`` instances.

    ``operations`` is how many operations run after boot (default: as many
    as instances). ``duplicate`` is the fraction of messages delivered twice;
    ``reorder`` the largest displacement (in positions) of a delivery.
    """

    nodes: int = 10
    instances: int = 100
    seed: int = 1
    operations: int | None = None
    fmt: str = "mixed"
    legacy_share: float = 0.3
    duplicate: float = 0.0
    reorder: int = 0
    start_events: bool = True
    #: send nova's stale task_state "migrating" in live_migration_post.end
    stale_post_task_state: bool = False
    start: dt.datetime = dt.datetime(2026, 11, 25, 8, 0, 0)

    # state ------------------------------------------------------------
    rng: random.Random = field(init=False, repr=False)
    hosts: list[str] = field(init=False, repr=False)
    live: _Live = field(init=False, repr=False)
    services: dict[str, Service] = field(init=False, repr=False)
    revealed_nodes: set[str] = field(init=False, repr=False)
    named_hosts: set[str] = field(init=False, repr=False)
    counts: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, not {self.fmt!r}")
        if self.nodes < 2:
            raise ValueError("a cloud needs at least 2 compute nodes (moves need a destination)")
        if self.instances < 1:
            raise ValueError("a cloud needs at least 1 instance")
        self.rng = random.Random(self.seed)
        width = max(4, len(str(self.nodes)))
        self.hosts = [f"compute-{i:0{width}d}" for i in range(1, self.nodes + 1)]
        self.live = _Live()
        self._uuids: list[str] = []  # live uuids, for O(1) random picks
        self._where: dict[str, int] = {}
        self.services = {h: Service() for h in self.hosts}
        self.revealed_nodes = set()
        self.named_hosts = set()
        self.counts = {}
        self._now = self.start
        self._out: list[dict[str, Any]] = []
        self._serial = 0
        self._projects = [f"{self.rng.getrandbits(128):032x}" for _ in range(20)]
        self._users = [f"{self.rng.getrandbits(128):032x}" for _ in range(40)]

    # -- public ---------------------------------------------------------
    def run(self) -> Simulation:
        """Simulate boot and the operations; return stream and expected export."""
        self._boot()
        total = self.instances if self.operations is None else self.operations
        kinds, weights = zip(*OPERATIONS.items(), strict=True)
        done = 0
        while done < total:
            kind = self.rng.choices(kinds, weights)[0]
            if getattr(self, f"_op_{kind}")():
                self.counts[kind] = self.counts.get(kind, 0) + 1
                done += 1
        emitted = len(self._out)
        return Simulation(self._deliver(self._out), self.expected(), dict(self.counts), emitted)

    def fail_hosts(self, count: int) -> tuple[list[str], list[dict[str, Any]]]:
        """After :meth:`run`: ``count`` hosts fail and their instances are evacuated.

        Returns the failed hosts and the notifications emitted for it (each
        host forced down and disabled, every instance evacuated as in a
        host-failure operation); :meth:`expected` then gives the model after
        it. Why: the mass-evacuation benchmark (a rack fails) needs the
        stream of many failures at once on an already built cloud.
        """
        start = len(self._out)
        before = {h for h, s in self.services.items() if s.forced_down}
        for _ in range(count):
            if not self._op_host_failure():
                break
            self.counts["host_failure"] = self.counts.get("host_failure", 0) + 1
        failed = sorted(h for h, s in self.services.items() if s.forced_down and h not in before)
        return failed, self._deliver(self._out[start:])

    def expected(self) -> dict[str, list[dict[str, Any]]]:
        """The export graphcdm must give for the stream, from the simulator's state."""
        nodes = []
        for host in self.hosts:
            if host in self.revealed_nodes:
                name = node_name(host)
            elif host in self.named_hosts:
                name = host
            else:
                continue
            svc = self.services[host]
            nodes.append({
                "uuid": None, "hostname": host, "hypervisor_hostname": name,
                "state": svc.known_state,
                "status": ("disabled" if svc.disabled else "enabled") if svc.notified else None,
                "disabled_reason": svc.disabled_reason if svc.notified else None,
                "vcpus": None, "memory_mb": None, "disk_gb": None, "placeholder": True,
            })
        instances = []
        for inst in self.live.values():
            f = inst.flavor
            hosted_on = None
            if inst.host:
                hosted_on = {"hostname": inst.host,
                             "hypervisor_hostname": node_name(inst.host)
                             if inst.host in self.revealed_nodes else inst.host}
            instances.append({
                "uuid": inst.uuid, "name": inst.name, "state": inst.state,
                "task_state": inst.task_state, "vcpus": f.vcpus, "memory_mb": f.memory_mb,
                "disk_gb": f.disk_gb, "flavor": f.name, "project_id": inst.project_id,
                "hosted_on": hosted_on,
            })
        return {"compute_nodes": sorted(nodes, key=lambda n: n["hypervisor_hostname"]),
                "instances": sorted(instances, key=lambda i: i["uuid"])}

    # -- emission -------------------------------------------------------
    def _tick(self) -> dt.datetime:
        self._now += dt.timedelta(microseconds=self.rng.randint(200, 20_000))
        return self._now

    def _id(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def _legacy(self) -> bool:
        """Format of one operation (mixed: a share of operations is legacy)."""
        return self.fmt == "legacy" or (self.fmt == "mixed"
                                        and self.rng.random() < self.legacy_share)

    def _instance(self, event: str, inst: Instance, legacy: bool, *,
                  publisher_host: str | None = None, publisher: str | None = None,
                  places: bool = False) -> None:
        """Emit one instance event in the operation's format (or both).

        ``places``: the event tells where the instance is (its payload
        host/node), which reveals that host's node name.
        """
        twin = LEGACY_TWIN.get(event)
        names = []
        if self.fmt == "both":
            names = [event] + ([twin] if twin else [])
        else:
            names = [twin if legacy and twin else event]
        for name in names:
            msg = emitter.instance_event(name, inst, timestamp=self._tick(),
                                         publisher_host=publisher_host, message_id=self._id())
            if publisher:
                msg["publisher_id"] = publisher
            self._out.append(msg)
        if places and inst.host:
            self.revealed_nodes.add(inst.host)

    def _service(self, host: str, binary: str = "nova-compute",
                 event: str = "service.update") -> None:
        svc = self.services.get(host, Service())
        self._out.append(emitter.service_event(
            event, host, timestamp=self._tick(), binary=binary, disabled=svc.disabled,
            disabled_reason=svc.disabled_reason, forced_down=svc.forced_down,
            message_id=self._id()))
        if binary == "nova-compute":
            svc.notified = True
            if svc.forced_down:
                svc.known_state = "down"
            elif event == "service.create":
                svc.known_state = "up"
            self.named_hosts.add(host)

    # -- choices --------------------------------------------------------
    def _usable_hosts(self) -> list[str]:
        return [h for h, s in self.services.items() if s.usable]

    def _usable_more_than(self, n: int) -> bool:
        """``len(self._usable_hosts()) > n``, stopping at the first n + 1."""
        found = 0
        for s in self.services.values():
            if s.usable:
                found += 1
                if found > n:
                    return True
        return False

    def _destination(self, avoid: str | None) -> str | None:
        """A random enabled, up host other than ``avoid`` (as the scheduler picks one)."""
        for _ in range(32):  # most hosts are usable: sample, do not scan
            host = self.hosts[self.rng.randrange(len(self.hosts))]
            if host != avoid and self.services[host].usable:
                return host
        hosts = [h for h in self._usable_hosts() if h != avoid]
        return self.rng.choice(hosts) if hosts else None

    def _add(self, inst: Instance) -> None:
        self.live[inst.uuid] = inst
        self._where[inst.uuid] = len(self._uuids)
        self._uuids.append(inst.uuid)

    def _remove(self, uuid: str) -> None:
        del self.live[uuid]
        pos = self._where.pop(uuid)
        last = self._uuids.pop()
        if last != uuid:
            self._uuids[pos] = last
            self._where[last] = pos

    def _pick(self, *, states: tuple[str, ...] = ("active",), placed: bool = True,
              ) -> Instance | None:
        """A random instance in one of the states, on an up host (or unplaced)."""
        for _ in range(20):
            inst = self.live[self._uuids[self.rng.randrange(len(self._uuids))]]
            if inst.state not in states:
                continue
            if placed and (not inst.host or self.services[inst.host].forced_down):
                continue
            if not placed and inst.host:
                continue
            return inst
        return None

    # -- operations -----------------------------------------------------
    def _boot(self) -> None:
        for host in self.hosts:
            self._service(host, event="service.create")
        for _ in range(self.instances):
            self._create()

    def _create(self) -> bool:
        host = self._destination(None)
        if host is None:
            return False
        self._serial += 1
        project = self.rng.choice(self._projects)
        inst = Instance(
            uuid=self._id(), host=host, node=node_name(host), name=f"vm-{self._serial:06d}",
            state="building", task_state="spawning", flavor=self.rng.choice(FLAVORS),
            project_id=project, user_id=self.rng.choice(self._users),
            created_at=self._now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            metadata={"app": self.rng.choice(["web", "db", "batch", "cache"])})
        legacy = self._legacy()
        if self.start_events:
            self._instance("instance.create.start", inst, legacy)
        inst = inst.replace(state="active", task_state=None)
        self._instance("instance.create.end", inst, legacy, places=True)
        self._add(inst)
        return True

    def _op_churn(self) -> bool:
        inst = self._pick(states=("active", "stopped", "paused", "suspended"))
        if inst is None:
            return False
        legacy = self._legacy()
        if self.start_events:
            self._instance("instance.delete.start", inst.replace(task_state="deleting"), legacy)
        self._instance("instance.delete.end",
                       inst.replace(state="deleted", task_state=None, power_state="pending"),
                       legacy)
        self._remove(inst.uuid)
        return self._create()

    def _op_state(self) -> bool:
        event, before, after, power = self.rng.choice(_STATE_CHANGES)
        inst = self._pick(states=(before,))
        if inst is None:
            return False
        inst = inst.replace(state=after, power_state=power, task_state=None)
        self._instance(event, inst, self._legacy(), places=True)
        self.live[inst.uuid] = inst
        return True

    def _op_lock(self) -> bool:
        inst = self._pick(states=("active", "stopped"))
        if inst is None:
            return False
        inst = inst.replace(locked=not inst.locked)
        self._instance("instance.lock" if inst.locked else "instance.unlock", inst, False,
                       publisher=f"nova-api:{CONTROLLER}", places=True)
        self.live[inst.uuid] = inst
        return True

    def _op_rebuild(self) -> bool:
        inst = self._pick()
        if inst is None:
            return False
        legacy = self._legacy()
        if self.start_events:
            self._instance("instance.rebuild.start", inst.replace(task_state="rebuilding"),
                           legacy)
        self._instance("instance.rebuild.end", inst, legacy, places=True)
        return True

    def _op_resize_confirm(self) -> bool:
        return self._resize(confirm=True)

    def _op_resize_revert(self) -> bool:
        return self._resize(confirm=False)

    def _resize(self, confirm: bool) -> bool:
        inst = self._pick()
        if inst is None:
            return False
        dest = self._destination(inst.host)
        if dest is None:
            return False
        src = inst.host
        new_flavor = self.rng.choice([f for f in FLAVORS if f != inst.flavor])
        legacy = self._legacy()
        if self.start_events:
            self._instance("instance.resize.start", inst.replace(task_state="resize_migrating"),
                           legacy)
        # source compute, after moving the disk: host/node already the destination
        migrated = inst.replace(host=dest, node=node_name(dest), task_state="resize_migrated")
        self._instance("instance.resize.end", migrated, legacy, publisher_host=src, places=True)
        resized = migrated.replace(flavor=new_flavor, state="resized", task_state=None)
        self._instance("instance.resize_finish.end", resized, legacy, places=True)
        if confirm:  # emitted by the source compute, shows the destination
            final = resized.replace(state="active")
            self._instance("instance.resize_confirm.end", final, legacy, publisher_host=src,
                           places=True)
        else:  # finish_revert_resize on the source: back there, old flavor
            final = inst.replace(state="active", task_state=None)
            self._instance("instance.resize_revert.end", final, legacy, places=True)
        self.live[inst.uuid] = final
        return True

    def _op_live_migration(self) -> bool:
        inst = self._pick()
        if inst is None:
            return False
        dest = self._destination(inst.host)
        if dest is None:
            return False
        legacy = self._legacy()
        migrating = inst.replace(task_state="migrating")
        if self.start_events:
            self._instance("instance.live_migration_pre.end", migrating, legacy,
                           publisher_host=dest)
        moved = inst.replace(host=dest, node=node_name(dest), task_state=None)
        self._instance("instance.live_migration_post_dest.end", moved, legacy, places=True)
        # the source's stale object: still the source host (and, in nova, task state)
        stale = inst.replace(task_state="migrating" if self.stale_post_task_state else None)
        self._instance("instance.live_migration_post.end", stale, legacy)
        self.live[inst.uuid] = moved
        return True

    def _op_live_migration_rollback(self) -> bool:
        inst = self._pick()
        if inst is None:
            return False
        legacy = self._legacy()
        if self.start_events:
            dest = self._destination(inst.host) or inst.host
            self._instance("instance.live_migration_pre.end", inst.replace(task_state="migrating"),
                           legacy, publisher_host=dest)
        self._instance("instance.live_migration_rollback.end", inst, legacy, places=True)
        return True

    def _op_shelve(self) -> bool:
        inst = self._pick(states=("active", "stopped"))
        if inst is None:
            return False
        legacy = self._legacy()
        shelved = inst.replace(state="shelved", task_state=None, power_state="shutdown")
        self._instance("instance.shelve.end", shelved, legacy, places=True)
        off = shelved.replace(host=None, node=None, state="shelved_offloaded")
        self._instance("instance.shelve_offload.end", off, legacy, publisher_host=inst.host)
        self.live[inst.uuid] = off
        return True

    def _op_unshelve(self) -> bool:
        inst = self._pick(states=("shelved_offloaded",), placed=False)
        dest = self._destination(None)
        if inst is None or dest is None:
            return False
        back = inst.replace(host=dest, node=node_name(dest), state="active",
                            power_state="running", task_state=None)
        self._instance("instance.unshelve.end", back, self._legacy(), places=True)
        self.live[inst.uuid] = back
        return True

    def _op_service_toggle(self) -> bool:
        host = self.rng.choice(self.hosts)
        svc = self.services[host]
        if svc.forced_down:
            return False
        if svc.disabled:
            svc.disabled, svc.disabled_reason = False, None
        elif self._usable_more_than(2):
            svc.disabled, svc.disabled_reason = True, "maintenance"
        else:
            return False
        self._service(host)
        return True

    def _op_host_failure(self) -> bool:
        """A compute fails: force it down, disable it, evacuate what it ran."""
        usable = self._usable_hosts()
        if len(usable) <= max(2, self.nodes // 4):
            return False
        host = self.rng.choice(usable)
        svc = self.services[host]
        svc.forced_down = True
        self._service(host)
        svc.disabled, svc.disabled_reason = True, "evacuating: host failed"
        self._service(host)
        for inst in [self.live[u] for u in self.live.on_host(host)]:
            dest = self._destination(host)
            if dest is None:
                break
            legacy = self._legacy()
            self._instance("instance.evacuate", inst.replace(task_state="rebuilding"), False,
                           publisher=f"nova-api:{CONTROLLER}")
            # rebuild.end from the destination compute, payload still on the old host
            rebuilt = inst.replace(state="active", task_state=None, power_state="running")
            self._instance("instance.rebuild.end", rebuilt, legacy, publisher_host=dest)
            self.named_hosts.add(dest)
            self.live[inst.uuid] = rebuilt.replace(host=dest, node=node_name(dest))
            self.counts["evacuated"] = self.counts.get("evacuated", 0) + 1
        return True

    def _op_host_recovery(self) -> bool:
        down = [h for h, s in self.services.items() if s.forced_down]
        if not down:
            return False
        host = self.rng.choice(down)
        svc = self.services[host]
        svc.forced_down = False
        self._service(host)
        svc.disabled, svc.disabled_reason = False, None
        self._service(host)
        return True

    def _op_noise(self) -> bool:
        """Events graphcdm must ignore: other binaries' service.update."""
        binary = self.rng.choice(["nova-scheduler", "nova-conductor"])
        self._service(CONTROLLER, binary=binary)
        return True

    # -- delivery -------------------------------------------------------
    def _deliver(self, emitted: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Duplicate and reorder deliveries, as a message bus may."""
        if not self.duplicate and not self.reorder:
            return list(emitted)
        keyed: list[tuple[float, int, dict[str, Any]]] = []
        for pos, msg in enumerate(emitted):
            keyed.append((pos + self.rng.uniform(0, self.reorder), len(keyed), msg))
            if self.rng.random() < self.duplicate:
                later = pos + self.rng.uniform(0, max(self.reorder, 1) * 2)
                keyed.append((later, len(keyed), msg))
        keyed.sort(key=lambda k: (k[0], k[1]))
        return [msg for _, _, msg in keyed]


def node_name(host: str) -> str:
    """A compute host's hypervisor hostname (nova's ``node``): its FQDN, as libvirt reports."""
    return f"{host}.cloud.example.org"


def write_stream(messages: list[dict[str, Any]], path: str | Path) -> None:
    """JSON Lines of message-form notifications (what ``graphcdm replay`` reads)."""
    with open(path, "w", encoding="utf-8") as out:
        for msg in messages:
            out.write(json.dumps(msg, separators=(",", ":")) + "\n")


def iter_stream(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def summary(sim: Simulation) -> dict[str, Any]:
    """Counts for people: what the cloud did and what it ended as."""
    exp = sim.expected
    return {
        "notifications": len(sim.messages), "emitted": sim.emitted,
        "compute_nodes": len(exp["compute_nodes"]), "instances": len(exp["instances"]),
        "unmapped": sum(1 for i in exp["instances"] if i["hosted_on"] is None),
        "operations": dict(sorted(sim.operations.items())),
    }
