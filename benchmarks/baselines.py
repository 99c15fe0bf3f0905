"""The two baselines every graphcdm figure is compared with.

- **Neo4j's raw ceiling** on this machine: the same notifications' rows
  written by a bare ``UNWIND ... MERGE`` through the driver, one transaction
  per batch, no graphcdm code (no envelope, no parse, no version guard, no
  tombstones, no placeholder folding). Rows are extracted from the message
  dicts here, untimed. What graphcdm adds on top of it is the price of being
  right under reordering and duplication.
- **Watcher 17's in-memory handler**: python-watcher 17.0.0's
  ``watcher.decision_engine.model.notification.nova.VersionedNotification``
  endpoint driven in-process (as its own unit tests drive it) on the same
  stream into a ``ModelRoot`` that already holds every compute node (as
  after Watcher's own sync), so that no nova API call is made. Its INFO log
  line per event is silenced: we time the handler, not logging.

Both are what graphcdm replaces or sits on; neither is right on a reordered
stream, which is why they are ceilings, not competitors.
"""

from __future__ import annotations

import json
import time
from typing import Any

import neo4j

# -- the raw Neo4j ceiling ----------------------------------------------

# Inline on purpose: this is the "no graphcdm code" baseline, so it does not
# use graphcdm's cypher/ statements.
CEIL_INSTANCES = """
UNWIND $rows AS row
MERGE (i:Instance {uuid: row.uuid})
SET i += row.props
WITH i, row WHERE row.node IS NOT NULL
MERGE (c:ComputeNode {hypervisor_hostname: row.node})
  ON CREATE SET c.hostname = row.host
MERGE (i)-[:HOSTED_ON]->(c)
WITH i, c
OPTIONAL MATCH (i)-[old:HOSTED_ON]->(o) WHERE o <> c
DELETE old
"""
CEIL_DELETES = """
UNWIND $rows AS row
MATCH (i:Instance {uuid: row.uuid})
DETACH DELETE i
"""
CEIL_SERVICES = """
UNWIND $rows AS row
MERGE (c:ComputeNode {hypervisor_hostname: row.host})
  ON CREATE SET c.hostname = row.host
SET c.status = row.status, c.state = row.state, c.disabled_reason = row.reason
"""

#: events whose payload host is stale or absent: no placement row
_NO_PLACEMENT = ("live_migration_post.end", "live_migration._post.end", "instance.evacuate",
                 "shelve_offload.end")


def raw_rows(msg: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(kind, row) of one message-form notification, or None when it changes nothing.

    A plain reading of the payload, as a hand-written loader would do it; the
    instance properties are the ones graphcdm stores, so both write as much.
    """
    event = msg["event_type"]
    if event.endswith(".start") or "live_migration_pre" in event:
        return None
    payload = msg["payload"]
    if event.startswith("service."):
        d = payload["nova_object.data"]
        if d["binary"] != "nova-compute":
            return None
        return "service", {"host": d["host"],
                           "status": "disabled" if d["disabled"] else "enabled",
                           "state": "down" if d["forced_down"] else "up",
                           "reason": d["disabled_reason"]}
    if "nova_object.data" in payload:
        d = payload["nova_object.data"]
        f = d["flavor"]["nova_object.data"]
        uuid = d["uuid"]
        props = {"name": d["display_name"], "state": d["state"], "task_state": d["task_state"],
                 "power_state": d["power_state"], "vcpus": f["vcpus"],
                 "memory_mb": f["memory_mb"], "root_gb": f["root_gb"],
                 "ephemeral_gb": f["ephemeral_gb"], "swap_mb": f["swap"],
                 "disk_gb": f["root_gb"] + f["ephemeral_gb"], "flavor": f["name"],
                 "flavor_id": f["flavorid"], "project_id": d["tenant_id"],
                 "user_id": d["user_id"], "locked": d["locked"],
                 "locked_reason": d["locked_reason"],
                 "availability_zone": d["availability_zone"], "created_at": d["created_at"],
                 "metadata": json.dumps(d["metadata"], sort_keys=True)}
    else:
        d = payload
        uuid = d["instance_id"]
        props = {"name": d["display_name"], "state": d["state"],
                 "task_state": d["state_description"] or None, "power_state": None,
                 "vcpus": d["vcpus"], "memory_mb": d["memory_mb"], "root_gb": d["root_gb"],
                 "ephemeral_gb": d["ephemeral_gb"], "swap_mb": None, "disk_gb": d["disk_gb"],
                 "flavor": d["instance_type"], "flavor_id": d["instance_flavor_id"],
                 "project_id": d["tenant_id"], "user_id": d["user_id"], "locked": None,
                 "locked_reason": None, "availability_zone": d["availability_zone"],
                 "created_at": d["created_at"], "metadata": json.dumps(d["metadata"])}
    if event.endswith(("delete.end", "soft_delete.end")):
        return "delete", {"uuid": uuid}
    host, node = d.get("host"), d.get("node")
    if event.endswith(_NO_PLACEMENT) or not host:
        host = node = None
    return "instance", {"uuid": uuid, "props": props, "host": host, "node": node}


def prepare(messages: list[dict[str, Any]], batch_size: int,
            ) -> list[dict[str, list[dict[str, Any]]]]:
    """The ceiling's batches: rows per kind for each ``batch_size`` notifications."""
    batches = []
    for start in range(0, len(messages), batch_size):
        kinds: dict[str, list[dict[str, Any]]] = {"instance": [], "delete": [], "service": []}
        for msg in messages[start:start + batch_size]:
            got = raw_rows(msg)
            if got:
                kinds[got[0]].append(got[1])
        batches.append(kinds)
    return batches


_CEIL_STATEMENTS = (("instance", CEIL_INSTANCES), ("delete", CEIL_DELETES),
                    ("service", CEIL_SERVICES))


def _ceiling_tx(tx: neo4j.ManagedTransaction, batch: dict[str, list]) -> None:
    for kind, statement in _CEIL_STATEMENTS:
        if batch[kind]:
            tx.run(statement, rows=batch[kind]).consume()


def neo4j_ceiling(driver: neo4j.Driver, batches: list[dict[str, list[dict[str, Any]]]],
                  database: str = "neo4j") -> tuple[float, int]:
    """Write the batches, one transaction each; return (seconds, rows written)."""
    tx_fn = _ceiling_tx
    rows = sum(len(v) for b in batches for v in b.values())
    with driver.session(database=database) as session:
        start = time.perf_counter()
        for batch in batches:
            session.execute_write(tx_fn, batch)
        return time.perf_counter() - start, rows


def neo4j_latencies(driver: neo4j.Driver, batches: list[dict[str, list[dict[str, Any]]]],
                    database: str = "neo4j") -> list[float]:
    """Write the batches as :func:`neo4j_ceiling` does; each transaction's seconds.

    With one notification per batch this is the floor of event-to-commit
    latency: Neo4j committing one bare transaction, nothing else.
    """
    tx_fn = _ceiling_tx
    out = []
    with driver.session(database=database) as session:
        for batch in batches:
            if not any(batch.values()):
                continue
            start = time.perf_counter()
            session.execute_write(tx_fn, batch)
            out.append(time.perf_counter() - start)
    return out


# -- Watcher 17's in-memory handler --------------------------------------


def watcher_rate(messages: list[dict[str, Any]], hosts: list[str]) -> dict[str, Any]:
    """Watcher 17's handler on the stream: notifications/s and what it made of it."""
    handler = watcher_endpoint(hosts).feed(messages)
    seconds = handler.seconds
    return {"seconds": seconds, "notifications": len(messages), "handled": handler.handled,
            "errors": len(handler.errors), "rate": len(messages) / seconds if seconds else 0.0,
            "instances": len(handler.model.get_all_instances())}


def watcher_endpoint(hosts: list[str]) -> Any:
    """Watcher 17's endpoint (tests/functional/watcher_endpoint.py), simulator-sized hosts."""
    from tests.functional.watcher_endpoint import WatcherEndpoint

    return WatcherEndpoint(hosts, vcpus=64, memory_mb=262144, disk_gb=2000, quiet=True)
