"""Canonical JSON export of the graph: what tests and operators compare.

Deleted instances and tombstones never appear; lists are sorted by key and
objects by field name, so two exports of the same model are byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

from graphcdm.read.query import Connected, GraphQuery


def export(graph: Connected) -> dict[str, list[dict[str, Any]]]:
    """The graph as ``{"compute_nodes": [...], "instances": [...]}`` (read by GraphQuery)."""
    query = GraphQuery.of(graph)
    return {
        "compute_nodes": query.read("queries/export_compute_nodes"),
        "instances": query.read("queries/export_instances"),
    }


def dumps(data: dict[str, Any]) -> str:
    """Canonical JSON text of an export."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def placement(data: dict[str, Any]) -> dict[str, str | None]:
    """instance uuid -> hypervisor hostname it is hosted on (None if unmapped)."""
    return {
        i["uuid"]: (i["hosted_on"] or {}).get("hypervisor_hostname")
        for i in data["instances"]
    }
