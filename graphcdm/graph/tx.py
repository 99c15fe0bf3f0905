"""Running statements: the one set of transaction helpers.

Every statement graphcdm runs goes through these functions (Cartography's
``client/core/tx.py`` is the model): a statement is named (``cypher/<name>``),
its values travel as parameters, and the helpers only differ in what they
return. Reads go through :func:`read`, which opens a session in read mode
so that a cluster routes it to a reader and the driver retries transient
failures; writes are composed by the writer inside ``execute_write``.
"""

from __future__ import annotations

from typing import Any

import neo4j

from graphcdm.graph import cypher

Params = dict[str, Any]


def records(tx: neo4j.ManagedTransaction, name: str, params: Params | None = None
            ) -> list[dict[str, Any]]:
    """The records of statement ``name`` as dicts."""
    return [r.data() for r in tx.run(cypher.load(name), params or {})]


def value(tx: neo4j.ManagedTransaction, name: str, key: str, params: Params | None = None) -> int:
    """The integer ``key`` of the single record of statement ``name`` (0 when none)."""
    record = tx.run(cypher.load(name), params or {}).single()
    return int(record[key]) if record else 0


def counters(tx: neo4j.ManagedTransaction, name: str, params: Params | None = None
             ) -> dict[str, int]:
    """Run write statement ``name``; Neo4j's non-zero update counters."""
    summary = tx.run(cypher.load(name), params or {}).consume()
    return {key: n for key, n in vars(summary.counters).items()
            if isinstance(n, int) and not isinstance(n, bool) and n}


def add(totals: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """Sum update counters into ``totals`` (returned)."""
    for key, n in more.items():
        totals[key] = totals.get(key, 0) + n
    return totals


def read(driver: neo4j.Driver, database: str, name: str, params: Params | None = None
         ) -> list[dict[str, Any]]:
    """Statement ``name``'s records in a managed read transaction."""
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        return session.execute_read(records, name, params)
