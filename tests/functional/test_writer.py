"""GraphWriter's statements against a real Neo4j, one rule at a time.

The scenarios (test_scenarios.py) and the property test check whole
streams; these check what a single statement does when another transaction
holds the entity it writes: every statement must take the entity's write
lock *before* it reads the version it compares (docs/ARCHITECTURE.md,
"Concurrent writers"). Each race is made deterministic: a second
transaction writes the entity and stays open, the batch under test is
started in a thread, and the test waits until Neo4j reports that batch
blocked before committing the second transaction.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from graphcdm.graph.changes import InstanceDelete, InstanceMove, InstanceUpsert, ServiceDelete
from graphcdm.read import export

U = "a2000000-0000-4000-8000-0000000000a2"


def v(n: int) -> str:
    """A version string (17-digit µs since epoch | message id) ordered by n."""
    return f"{1_700_000_000_000_000 + n:017d}|m{n}"


def _wait_blocked(driver: Any, timeout: float = 10.0) -> None:
    """Until some transaction is blocked on a lock (Neo4j's SHOW TRANSACTIONS)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with driver.session(database="neo4j") as session:
            rows = session.run("SHOW TRANSACTIONS YIELD status "
                               "WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n").single()
        if rows and rows["n"]:
            return
        time.sleep(0.02)
    pytest.fail("the batch under test never waited for the open transaction's lock")


def _race(writer: Any, hold: str, params: dict[str, Any], changes: list[Any] | None,
          write: Any = None) -> None:
    """Run ``hold`` in an open transaction, apply ``changes`` (or call ``write``)
    meanwhile, then commit."""
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            if write is not None:
                write()
            else:
                writer.apply(changes)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    with writer.driver.session(database="neo4j") as session:
        tx = session.begin_transaction()
        tx.run(hold, params).consume()
        thread = threading.Thread(target=apply)
        thread.start()
        _wait_blocked(writer.driver)
        tx.commit()
    thread.join(30)
    assert not thread.is_alive() and errors == []


def test_soft_delete_racing_a_newer_upsert_keeps_the_instance(writer):
    """instance_delete locks before it compares versions.

    Ordered, a soft delete (v2) followed by a newer upsert (v3) is a
    restore: the instance exists. If the delete read the held version (v1)
    before the lock, it would delete an instance that holds v3 once the
    concurrent upsert committed.
    """
    writer.apply([InstanceUpsert(U, v(1), {"name": "a"}), InstanceMove(U, v(1), "h1", "n1")])
    _race(writer, "MATCH (i:Instance {uuid: $uuid}) SET i.version = $version, i.name = 'b'",
          {"uuid": U, "version": v(3)}, [InstanceDelete(U, v(2), final=False)])
    instances = export.export(writer)["instances"]
    assert [(i["uuid"], i["name"]) for i in instances] == [(U, "b")]


def test_node_seen_racing_a_newer_sighting_keeps_the_newer_version(writer):
    """node_seen locks before it compares seen_version.

    seen_version only grows: a service.delete between the two sightings
    must spare the node. If node_seen read seen_version before the lock,
    the older sighting (v2) would overwrite the newer one (v4) committed
    meanwhile, and the service.delete (v3) would delete a node seen after it.
    """
    writer.apply([InstanceMove(U, v(1), "h1", "n1")])
    _race(writer, "MATCH (c:ComputeNode {hypervisor_hostname: 'n1'}) SET c.seen_version = $version",
          {"version": v(4)}, [InstanceMove(U, v(2), "h1", "n1")])
    writer.apply([ServiceDelete("h1", v(3))])
    nodes = export.export(writer)["compute_nodes"]
    assert [n["hypervisor_hostname"] for n in nodes] == ["n1"]


def test_fold_racing_a_newer_sighting_keeps_the_newer_version(writer):
    """fold_placeholders does not carry an older seen_version over a newer one.

    It needs no lock idiom: it reads seen_version inside the SET that writes
    it, and Neo4j takes the node's write lock before evaluating such a SET
    (the lost update happens when the value is read in an earlier clause, as
    instance_delete and node_seen did). This holds the fold to that shape.

    The host-only placeholder of h1 was seen at v2 and hosts nothing any
    more (moving an instance onto the real node would lock it anyway); the
    real node n1 is seen at v4 by a concurrent transaction. Folding must not
    carry v2 over v4: a service.delete at v3 must then spare n1.
    """
    writer.apply([InstanceMove(U, v(2), "h1", None)])  # host-only placeholder "h1"
    writer.apply([InstanceMove(U, v(5), "h2", "n2")])  # ... which U leaves
    with writer.driver.session(database="neo4j") as session:
        session.run("CREATE (:ComputeNode {hostname: 'h1', hypervisor_hostname: 'n1'})").consume()
    _race(writer, "MATCH (c:ComputeNode {hypervisor_hostname: 'n1'}) SET c.seen_version = $version",
          {"version": v(4)}, None, write=writer.fold_placeholders)
    writer.apply([ServiceDelete("h1", v(3))])
    nodes = export.export(writer)["compute_nodes"]
    assert [n["hypervisor_hostname"] for n in nodes] == ["n1", "n2"]
