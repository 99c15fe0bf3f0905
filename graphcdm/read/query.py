"""The read side: Watcher's compute-model questions answered in Cypher.

Watcher strategies ask a handful of questions of their in-memory
``ModelRoot`` (all compute nodes, a node by uuid or service host, an
instance and its node, a node's instances, used and free resources).
:class:`GraphQuery` answers the same questions straight from Neo4j, each
with one statement from ``cypher/queries/`` that starts from an index
(``uuid``, ``hostname``, ``hypervisor_hostname``), so an answer is as
current as the graph and costs one round trip. The whole-cloud variants
(:meth:`GraphQuery.used_resources_all`, :meth:`GraphQuery.free_resources_all`)
are one query each, never one per node.

Semantics follow Watcher 17.0.0's ``ModelRoot``:

- used resources are the sums of the vcpus, memory_mb and disk_gb of the
  instances hosted on the node, *every state counting* (stopped, shelved
  but still mapped, error ...), as Watcher does;
- capacity is ``(total - reserved) x allocation ratio`` and free is capacity
  minus used. A missing ``*_reserved`` counts as 0 and a missing ``*_ratio``
  as 1.0 (what Watcher's nova collector assumes when placement has no
  inventory); a missing total (a placeholder node a notification created
  before resync) gives ``None`` capacity and ``None`` free;
- an instance without sizes (known only from a move) counts as 0.

Instances marked ``gone`` (docs/ARCHITECTURE.md, "Graph model") are left
out of every answer, as the export leaves them out: to a reader they no
longer exist.

Where Watcher raises ``ComputeNodeNotFound``/``InstanceNotFound``/
``InstanceNotMapped``, these methods return ``None``. Nodes are named by
``hypervisor_hostname`` (the graph key, nova's ``node``) where Watcher takes
a node object, because placeholder nodes have no uuid yet.

:meth:`GraphQuery.to_watcher_model` builds a real Watcher ``ModelRoot``
from the graph in one round trip, for Watcher code that wants the object.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import gc
import json
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import neo4j

from graphcdm.graph import cypher, tx

if TYPE_CHECKING:  # python-watcher is optional at run time
    from watcher.decision_engine.model.model_root import ModelRoot


class Connected(Protocol):
    """What a reader needs: a driver and the database name (a writer has both)."""

    driver: neo4j.Driver
    database: str

LOG = logging.getLogger(__name__)

#: The compute-node projection: every statement that answers "a compute node"
#: (``NODE_STATEMENTS``) returns exactly these columns, each computed so
#: (missing reserved = 0, missing ratio = 1.0 as a float, placeholder false
#: unless set, aggregates by name). Cypher has no include, so the statements
#: spell it out; tests/unit/test_query_fields.py holds them to this list.
NODE_PROJECTION: dict[str, str] = {
    "uuid": "c.uuid", "hostname": "c.hostname", "hypervisor_hostname": "c.hypervisor_hostname",
    "state": "c.state", "status": "c.status", "disabled_reason": "c.disabled_reason",
    "availability_zone": "c.availability_zone",
    "placeholder": "coalesce(c.placeholder, false)",
    "vcpus": "c.vcpus", "vcpu_reserved": "coalesce(c.vcpu_reserved, 0)",
    "vcpu_ratio": "toFloat(coalesce(c.vcpu_ratio, 1.0))",
    "memory_mb": "c.memory_mb", "memory_mb_reserved": "coalesce(c.memory_mb_reserved, 0)",
    "memory_ratio": "toFloat(coalesce(c.memory_ratio, 1.0))",
    "disk_gb": "c.disk_gb", "disk_gb_reserved": "coalesce(c.disk_gb_reserved, 0)",
    "disk_ratio": "toFloat(coalesce(c.disk_ratio, 1.0))",
    "aggregates": "COLLECT { MATCH (c)-[:MEMBER_OF]->(a:Aggregate) RETURN a.name ORDER BY a.name }",
}
NODE_STATEMENTS = ("compute_nodes", "compute_node_by_uuid", "compute_node_by_name",
                   "compute_node_by_hypervisor_hostname", "instance_node")

#: The instance projection of Watcher's instance questions (``INSTANCE_STATEMENTS``),
#: with ``hosted_on``/``hosted_on_uuid`` naming the node of its HOSTED_ON edge.
INSTANCE_PROJECTION: dict[str, str] = {
    "uuid": "i.uuid", "name": "i.name", "state": "i.state", "task_state": "i.task_state",
    "power_state": "i.power_state", "vcpus": "i.vcpus", "memory_mb": "i.memory_mb",
    "disk_gb": "i.disk_gb", "flavor": "i.flavor", "project_id": "i.project_id",
    "user_id": "i.user_id", "locked": "coalesce(i.locked, false)",
    "availability_zone": "i.availability_zone", "created_at": "i.created_at",
    "metadata": "i.metadata", "host": "i.host", "node": "i.node",
    "moved_at": "toString(i.moved_at)", "previous_node": "i.previous_node",
    "hosted_on": "c.hypervisor_hostname", "hosted_on_uuid": "c.uuid",
}
INSTANCE_STATEMENTS = ("instance_by_uuid", "instances", "node_instances")

#: Watcher's used resources of a node ``c``: the hosted instances' sizes, every
#: state counting, a missing size 0, ``gone`` instances out; and its capacity
#: (total - reserved) x ratio. The statements of ``RESOURCE_STATEMENTS`` compute
#: them so (tests/unit/test_query_fields.py).
USED_HOSTED = "OPTIONAL MATCH (i:Instance)-[:HOSTED_ON]->(c) WHERE i.gone IS NULL"
USED_SUMS = ("sum(coalesce(i.vcpus, 0))", "sum(coalesce(i.memory_mb, 0))",
             "sum(coalesce(i.disk_gb, 0))", "count(i)")
CAPACITY = ("(c.vcpus - coalesce(c.vcpu_reserved, 0)) * toFloat(coalesce(c.vcpu_ratio, 1.0))",
            "(c.memory_mb - coalesce(c.memory_mb_reserved, 0)) "
            "* toFloat(coalesce(c.memory_ratio, 1.0))",
            "(c.disk_gb - coalesce(c.disk_gb_reserved, 0)) * toFloat(coalesce(c.disk_ratio, 1.0))")
RESOURCE_STATEMENTS = {"used_resources": False, "node_used_resources": False,
                       "free_resources": True, "node_free_resources": True,
                       "hosts_by_free_capacity": True, "overcommitted_hosts": False}

#: Positional fields of a ``node`` row of ``queries/watcher_model``.
WATCHER_NODE_FIELDS = ("uuid", "hostname", "hypervisor_hostname", "state", "status",
                       "disabled_reason", "vcpus", "vcpu_reserved", "vcpu_ratio", "memory",
                       "memory_mb_reserved", "memory_ratio", "disk", "disk_gb_reserved",
                       "disk_ratio")
#: Positional fields of an ``instance`` row of ``queries/watcher_model``.
WATCHER_INSTANCE_FIELDS = ("uuid", "name", "state", "vcpus", "memory", "disk", "metadata",
                           "project_id", "locked", "created", "host", "hypervisor_hostname",
                           "pinned_az", "flavor_extra_specs", "node_uuid")


class GraphQuery:
    """Read-only questions on the graph; every method is one Cypher query.

    Uses managed read transactions (``execute_read``), so the driver
    retries transient failures and a cluster routes them to a reader.
    """

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j") -> None:
        self.driver = driver
        self.database = database

    # -- plumbing -------------------------------------------------------
    @classmethod
    def of(cls, graph: Connected) -> GraphQuery:
        """The reader on the same driver and database as ``graph`` (e.g. a writer's)."""
        return graph if isinstance(graph, GraphQuery) else cls(graph.driver, graph.database)

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run ``cypher/<name>.cypher`` with parameters; records as dicts."""
        return tx.read(self.driver, self.database, name, params)

    def _one(self, name: str, **params: Any) -> dict[str, Any] | None:
        rows = self.read(name, **params)
        return rows[0] if rows else None

    # -- compute nodes --------------------------------------------------
    def compute_nodes(self) -> list[dict[str, Any]]:
        """Every compute node (placeholders flagged ``placeholder: True``)."""
        return self.read("queries/compute_nodes")

    def node_by_uuid(self, uuid: str) -> dict[str, Any] | None:
        """Watcher's ``get_node_by_uuid``: the node with this hypervisor uuid."""
        return self._one("queries/compute_node_by_uuid", uuid=uuid)

    def node_by_name(self, hostname: str) -> dict[str, Any] | None:
        """Watcher's ``get_node_by_name``: the node of this nova service host.

        A host with several nodes (ironic-like) answers its first real node
        by hypervisor hostname, which is also the first one
        :meth:`to_watcher_model` inserts, so both agree.
        """
        return self._one("queries/compute_node_by_name", hostname=hostname)

    def node_by_hypervisor_hostname(self, hypervisor_hostname: str) -> dict[str, Any] | None:
        """The node keyed by nova's node name (works for placeholders too)."""
        return self._one("queries/compute_node_by_hypervisor_hostname",
                         hypervisor_hostname=hypervisor_hostname)

    # -- instances ------------------------------------------------------
    def instance_by_uuid(self, uuid: str) -> dict[str, Any] | None:
        """Watcher's ``get_instance_by_uuid``; ``hosted_on`` names its node or is None."""
        return self._one("queries/instance_by_uuid", uuid=uuid)

    def node_of_instance(self, uuid: str) -> dict[str, Any] | None:
        """Watcher's ``get_node_by_instance_uuid``; None when unknown or unmapped."""
        return self._one("queries/instance_node", uuid=uuid)

    def instances(self) -> list[dict[str, Any]]:
        """Watcher's ``get_all_instances``: mapped and unmapped, sorted by uuid."""
        return self.read("queries/instances")

    def node_instances(self, hypervisor_hostname: str) -> list[dict[str, Any]]:
        """Watcher's ``get_node_instances``: instances hosted on the node, any state."""
        return self.read("queries/node_instances", hypervisor_hostname=hypervisor_hostname)

    # -- resources ------------------------------------------------------
    def used_resources(self, hypervisor_hostname: str) -> dict[str, int] | None:
        """Watcher's ``get_node_used_resources``: ``{vcpu, memory, disk}``; None if no such node."""
        row = self._one("queries/node_used_resources", hypervisor_hostname=hypervisor_hostname)
        return _resources(row) if row else None

    def free_resources(self, hypervisor_hostname: str) -> dict[str, float | None] | None:
        """Watcher's ``get_node_free_resources``: capacity minus used, per resource."""
        row = self._one("queries/node_free_resources", hypervisor_hostname=hypervisor_hostname)
        return _resources(row) if row else None

    def used_resources_all(self) -> dict[str, dict[str, int]]:
        """Used resources of every node in one query, keyed by hypervisor hostname."""
        rows = self.read("queries/used_resources")
        return {r["hypervisor_hostname"]: _resources(r) for r in rows}

    def free_resources_all(self) -> dict[str, dict[str, float | None]]:
        """Free resources of every node in one query, keyed by hypervisor hostname."""
        rows = self.read("queries/free_resources")
        return {r["hypervisor_hostname"]: _resources(r) for r in rows}

    # -- Watcher --------------------------------------------------------
    def watcher_rows(self) -> tuple[list[list[Any]], list[list[Any]]]:
        """Rows of ``queries/watcher_model`` (one round trip): (nodes, instances)."""
        statement = cypher.load("queries/watcher_model")

        def rows(transaction: neo4j.ManagedTransaction
                 ) -> tuple[list[list[Any]], list[list[Any]]]:
            # Records read positionally, not as dicts: 21,000 of them at 1,000 nodes.
            nodes: list[list[Any]] = []
            instances: list[list[Any]] = []
            for kind, values in transaction.run(statement):
                (nodes if kind == "node" else instances).append(values)
            return nodes, instances

        with self.driver.session(database=self.database,
                                 default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(rows)

    def to_watcher_model(self, extended_attributes: bool | None = None) -> ModelRoot:
        """A real Watcher ``ModelRoot`` of the graph, built from one query.

        The model Watcher 17's nova collector builds of the same cloud: no
        ironic node, no instance that is on no (modelled) node, every
        instance mapped. Placeholder nodes (no uuid until resync) are left
        out with their instances, and so are ``gone`` instances. Missing
        sizes become 0, missing reserved 0, missing ratios 1.0, missing
        name, host and node "", a missing project the nil UUID (Watcher
        reads them unguarded). ``pinned_az`` and ``flavor_extra_specs`` are
        "" and {} unless ``extended_attributes`` (default: Watcher's
        ``[compute_model] enable_extended_attributes``), as in Watcher.
        Requires python-watcher.
        """
        with cyclic_gc_paused():
            nodes, instances = self.watcher_rows()
            return build_watcher_model(nodes, instances, extended_attributes)


def _resources(row: dict[str, Any]) -> dict[str, Any]:
    return {"vcpu": row["vcpu"], "memory": row["memory"], "disk": row["disk"]}


def build_watcher_model(nodes: list[list[Any]], instances: list[list[Any]],
                        extended_attributes: bool | None = None,
                        direct: bool = True) -> ModelRoot:
    """Turn ``watcher_model`` rows into a ``ModelRoot``. Pure (no I/O).

    Why not ``element.Instance(**attrs)`` and ``add_instance``/``map_instance``
    per row: at 20,000 instances Watcher's per-field setattr and locked
    calls cost about as much as reading the graph. :class:`_ElementMaker`
    fills the same fields directly, after checking on the first row that
    the result equals what Watcher's constructor gives. ``direct=False``
    uses the constructor for every element (the benchmark's baseline).
    """
    from watcher.decision_engine.model import element
    from watcher.decision_engine.model.model_root import ModelRoot

    model = ModelRoot()
    if extended_attributes is None:
        extended_attributes = _watcher_extended_attributes(model)
    make_node = _ElementMaker(element.ComputeNode, direct)
    make_instance = _ElementMaker(element.Instance, direct)
    graph_nodes: list[tuple[str, dict[str, Any]]] = []
    known: set[str] = set()
    for values in nodes:
        attrs = dict(zip(WATCHER_NODE_FIELDS, values, strict=True))
        attrs.pop("hypervisor_hostname")
        if attrs["hostname"] is None:
            attrs["hostname"] = ""
        node = make_node(_without_none(attrs, nullable=("disabled_reason",)))
        graph_nodes.append((node.uuid, {"attr": node}))
        known.add(node.uuid)
    edges = []
    metadata = _Memo(_metadata)
    created = _Memo(_created)
    for values in instances:
        attrs = dict(zip(WATCHER_INSTANCE_FIELDS, values, strict=True))
        node_uuid = attrs.pop("node_uuid")
        attrs["metadata"] = dict(metadata(attrs["metadata"]))
        attrs["created"] = created(attrs["created"])
        # Watcher's _build_instance_node: "" and {} unless extended attributes;
        # nova's null pinned zone (not pinned) cannot be a Watcher StringField.
        if extended_attributes:
            attrs["pinned_az"] = attrs["pinned_az"] or ""
            attrs["flavor_extra_specs"] = _metadata(attrs["flavor_extra_specs"])
        else:
            attrs["pinned_az"], attrs["flavor_extra_specs"] = "", {}
        for key, default in _INSTANCE_DEFAULTS.items():  # Watcher reads these unguarded
            if attrs[key] is None:
                attrs[key] = default
        instance = make_instance(_without_none(attrs))
        graph_nodes.append((instance.uuid, {"attr": instance}))
        if node_uuid in known:
            edges.append((instance.uuid, node_uuid))
    # networkx's own bulk methods, not ModelRoot's locked per-element calls: the
    # model is fresh and private, and they do the same bookkeeping.
    super(ModelRoot, model).add_nodes_from(graph_nodes)
    model.add_edges_from(edges)
    return model


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the model is read and built.

    Why: the build allocates ~100,000 objects at 20,000 instances, none of
    them garbage, and each allocation burst triggers collections that scan
    the growing young generations: measured, more than half of the build's
    time. Process-wide, but only for the build (about a second); reference
    counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Memo:
    """``fn`` of a value computed once per distinct value (metadata, created_at repeat)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        try:
            return self.seen[value]
        except KeyError:
            out = self.seen[value] = self.fn(value)
            return out
        except TypeError:   # unhashable (a dict already)
            return self.fn(value)


class _ElementMaker:
    """Watcher elements (oslo versioned objects) built without per-field setattr.

    The object gets what ``Element.__init__`` + ``VersionedObject.__init__``
    give it: ``_context`` None, every non-nullable field with a default set,
    the given fields as ``_obj_<name>``, all of them in ``_changed_fields``.
    Field coercion is skipped, so values must already have the fields' types
    (the graph query returns ints, floats, strings, booleans; the builder
    parses metadata and created). The first element is also built by
    Watcher's constructor and compared; on any difference (another
    python-watcher, another oslo.versionedobjects) every element is built by
    the constructor.
    """

    def __init__(self, cls: type, direct: bool = True) -> None:
        from oslo_versionedobjects import fields as ovo_fields

        self.cls = cls
        self.defaults = {name: field.default for name, field in cls.fields.items()
                         if not field.nullable
                         and field.default != ovo_fields.UnspecifiedDefault}
        self.checked = not direct
        self.fast = direct

    def _direct(self, attrs: dict[str, Any]) -> Any:
        obj = self.cls.__new__(self.cls)
        values = {**self.defaults, **attrs}
        state = {"_obj_" + name: value for name, value in values.items()}
        state["_context"] = None
        state["_changed_fields"] = set(values)
        obj.__dict__.update(state)
        return obj

    def __call__(self, attrs: dict[str, Any]) -> Any:
        if not self.checked:
            self.checked = True
            slow = self.cls(**attrs)
            direct = self._direct(attrs)
            self.fast = (slow.as_dict() == direct.as_dict()
                         and slow.obj_what_changed() == direct.obj_what_changed()
                         and vars(slow).keys() == vars(direct).keys())
            if not self.fast:
                LOG.warning("Watcher's %s differs from graphcdm's direct build; using "
                            "Watcher's constructor (slower)", self.cls.__name__)
            return slow
        return self._direct(attrs) if self.fast else self.cls(**attrs)


def _watcher_extended_attributes(model: ModelRoot) -> bool:
    """Watcher's ``[compute_model] enable_extended_attributes``; False outside Watcher
    (a process that never loaded Watcher's configuration has not enabled them)."""
    from oslo_config import cfg

    try:
        return bool(model.extended_attributes_enabled)
    except cfg.NoSuchOptError:
        return False


#: Instance fields Watcher's code reads without a guard, with what stands in when the
#: graph lacks them (an instance known only from a move has no name or project yet).
#: project_id is a UUIDField that refuses "": the nil UUID says "no project known".
_INSTANCE_DEFAULTS = {"name": "", "project_id": "00000000-0000-0000-0000-000000000000",
                      "host": "", "hypervisor_hostname": ""}


def _without_none(attrs: dict[str, Any], nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """Drop None values Watcher's non-nullable fields would reject (they stay unset)."""
    return {k: v for k, v in attrs.items() if v is not None or k in nullable}


def _metadata(value: Any) -> dict[str, Any]:
    """The graph stores metadata as a JSON string (Neo4j has no map properties)."""
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            LOG.warning("instance metadata is not JSON; using {}")
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}


def _created(value: Any) -> _dt.datetime | None:
    """nova's created_at string as an aware datetime (Watcher's field wants one)."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


# -- named queries for the CLI --------------------------------------------------------

#: ``// param: name = <JSON default> -- description`` lines of a query file; a
#: ``null`` default marks a parameter the caller must give.
_PARAM_LINE = re.compile(r"^//\s*param:\s*(?P<name>\w+)\s*=\s*(?P<default>.+?)\s*"
                         r"(?:--\s*(?P<help>.*))?$")


@dataclasses.dataclass(frozen=True)
class Param:
    """A parameter a named query declares, with its default and help."""

    name: str
    default: Any
    help: str = ""

    def coerce(self, text: str) -> Any:
        """``--param key=value`` text to the default's type (a string stays a string).

        Why by the default's type: ``project_id=1234`` must stay a string,
        ``limit=10`` must become an int; lists take JSON or comma-separated.
        """
        default = self.default
        if isinstance(default, bool):
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise ValueError(f"{self.name}: expected true or false, got {text!r}")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            if text.startswith("["):
                value = json.loads(text)
                if not isinstance(value, list):
                    raise ValueError(f"{self.name}: expected a JSON list")
                return value
            return [part for part in text.split(",") if part]
        return text


def query_names() -> list[str]:
    """Names of the read queries (``cypher/queries/<name>.cypher``), sorted."""
    return [n.split("/", 1)[1] for n in cypher.names("queries")]


def query_params(name: str) -> dict[str, Param]:
    """The parameters ``cypher/queries/<name>.cypher`` declares, in file order."""
    params: dict[str, Param] = {}
    for line in cypher.load(f"queries/{name}").splitlines():
        match = _PARAM_LINE.match(line.strip())
        if match:
            params[match["name"]] = Param(match["name"], json.loads(match["default"]),
                                          (match["help"] or "").strip())
    return params


def bind_params(name: str, given: list[str]) -> dict[str, Any]:
    """Defaults of a query overlaid with ``key=value`` texts; ValueError on a bad one."""
    declared = query_params(name)
    values = {p.name: p.default for p in declared.values()}
    for item in given:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--param {item!r}: expected key=value")
        if key not in declared:
            known = ", ".join(declared) or "none"
            raise ValueError(f"query {name!r} has no parameter {key!r} (parameters: {known})")
        values[key] = declared[key].coerce(text)
    missing = [key for key, value in values.items() if value is None]
    if missing:
        raise ValueError(f"query {name!r} needs --param " + ", ".join(f"{k}=..." for k in missing))
    return values
