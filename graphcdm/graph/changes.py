"""Typed changes: what parse produces and the graph writer applies.

Each change names one entity and carries the version of the notification it
came from (see :func:`graphcdm.notifications.envelope.make_version`). The writer applies a
change only when its version is newer than what the graph holds for the
same aspect of the entity, which is what makes the model independent of
delivery order and repetition.

Instances have two independently versioned aspects, because nova does not
report both in every event: *attributes* (name, state, flavor sizes ...)
and *placement* (host, node, the HOSTED_ON edge). ``live_migration_post.end``
for example is newer than ``live_migration_post_dest.end`` but shows the
source host, so it updates attributes and leaves placement alone.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


def json_text(value: Any) -> str:
    """The one JSON form of a map-valued attribute (``metadata``).

    Why a string: Neo4j properties cannot hold maps. Why canonical (sorted
    keys, no spaces): equal maps must give equal strings whichever path
    (versioned, legacy, resync) wrote them, or the drift and the export
    would see a change where there is none.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class InstanceUpsert:
    """Set an instance's attributes (creating it if need be)."""

    uuid: str
    version: str
    attrs: dict[str, Any] = field(default_factory=dict)
    #: field -> version when the fields come from several changes (a batch's
    #: merge, :func:`newest_per_key`); None: every field is at ``version``
    versions: dict[str, str] | None = None

    def field_versions(self) -> dict[str, str]:
        """The version of each field this change carries."""
        return self.versions or {k: self.version for k in self.attrs}


@dataclass(frozen=True, slots=True)
class InstanceMove:
    """Place an instance on a compute node: one HOSTED_ON edge, no other.

    ``node`` None means "the compute node of service host ``host``": an
    evacuation's rebuild.end names only the destination *host* (publisher).
    """

    uuid: str
    version: str
    host: str
    node: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceUnmap:
    """The instance runs nowhere (shelve-offloaded, not scheduled yet)."""

    uuid: str
    version: str


@dataclass(frozen=True, slots=True)
class InstanceDelete:
    """Remove an instance and leave a tombstone.

    ``final`` (a hard delete) wins over any version, so a late event whose
    emitter's clock runs ahead cannot bring the instance back; a soft delete
    can be undone by a newer ``restore``.
    """

    uuid: str
    version: str
    final: bool = True


@dataclass(frozen=True, slots=True)
class ServiceUpsert:
    """A nova-compute service's status, set on the compute node(s) of its host.

    ``state`` (up/down) is None when the source does not know it: a
    ``service.update`` says nothing about the heartbeat, so it changes the
    state only when it forces the service down.
    """

    host: str
    version: str
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    service_uuid: str | None = None
    availability_zone: str | None = None
    last_seen_up: str | None = None
    state: str | None = None
    #: version of ``state`` when it comes from another change of a batch's
    #: merge (:func:`newest_per_key`); None: ``version`` when state is known
    state_version: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceDelete:
    """A nova-compute service was deleted: its compute nodes go, and what they hosted."""

    host: str
    version: str


Change = (InstanceUpsert | InstanceMove | InstanceUnmap | InstanceDelete
          | ServiceUpsert | ServiceDelete)


def change_key(change: Change) -> tuple[str, str]:
    """The (aspect, entity) a change writes; two changes with one key compete."""
    if isinstance(change, InstanceUpsert):
        return ("instance-attrs", change.uuid)
    if isinstance(change, (InstanceMove, InstanceUnmap)):
        return ("instance-placement", change.uuid)
    if isinstance(change, InstanceDelete):
        return ("instance-delete", change.uuid)
    if isinstance(change, ServiceUpsert):
        return ("service", change.host)
    if isinstance(change, ServiceDelete):
        return ("service-delete", change.host)
    raise TypeError(f"not a change: {change!r}")


def newest_per_key(changes: list[Change]) -> list[Change]:
    """Keep, per :func:`change_key`, only the change with the greatest version.

    Why: a Cypher ``UNWIND`` evaluates each clause for all rows before the
    next clause, so two rows for one entity in one statement would both pass
    the version check against the old value. Reducing first makes a batch
    equivalent to applying its changes one by one, and it is cheaper.
    Attribute and service changes are merged rather than picked, because
    their parts have their own versions: each instance field, and a
    service's status apart from its state.
    Hard deletes win over soft ones of the same key whatever their versions.
    """
    best: dict[tuple[str, str], Change] = {}
    for change in changes:
        key = change_key(change)
        current = best.get(key)
        if current is None:
            best[key] = change
        elif isinstance(change, InstanceUpsert) and isinstance(current, InstanceUpsert):
            best[key] = _merge_attrs(current, change)
        elif isinstance(change, ServiceUpsert) and isinstance(current, ServiceUpsert):
            best[key] = _merge_service(current, change)
        elif _beats(change, current):
            best[key] = change
    return list(best.values())


def _merge_attrs(a: InstanceUpsert, b: InstanceUpsert) -> InstanceUpsert:
    """Per field, the newest value: fields have their own versions (attributes.py)."""
    attrs, versions = dict(a.attrs), a.field_versions()
    for k, v in b.field_versions().items():
        if v > versions.get(k, ""):
            attrs[k], versions[k] = b.attrs[k], v
    newest = b if b.version > a.version else a
    return InstanceUpsert(a.uuid, newest.version, attrs, versions)


def _merge_service(a: ServiceUpsert, b: ServiceUpsert) -> ServiceUpsert:
    """The newest status, and the newest *known* state (each has its own version)."""
    status = b if b.version > a.version else a
    states = [(c.state_version or c.version, c.state) for c in (a, b) if c.state is not None]
    if not states:
        return dataclasses.replace(status, state=None, state_version=None)
    version, state = max(states)
    return dataclasses.replace(status, state=state, state_version=version)


def _beats(new: Change, old: Change) -> bool:
    if isinstance(new, InstanceDelete) and isinstance(old, InstanceDelete):
        if new.final != old.final:
            return new.final
    return new.version > old.version
