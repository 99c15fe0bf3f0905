"""Canonical JSON export of the graph: what tests and operators compare.

Deleted instances and tombstones never appear; lists are sorted by key and
objects by field name, so two exports of the same model are byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

from graphcdm.graph.writer import GraphWriter


def export(writer: GraphWriter) -> dict[str, list[dict[str, Any]]]:
    """The graph as ``{"compute_nodes": [...], "instances": [...]}``."""
    return {
        "compute_nodes": writer.read("queries/export_compute_nodes"),
        "instances": writer.read("queries/export_instances"),
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
