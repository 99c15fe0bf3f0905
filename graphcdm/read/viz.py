"""Pictures of the graph: an interactive HTML page rendered with neo4j-viz.

Why neo4j-viz: it is Neo4j's own, maintained Python wrapper of NVL (the
renderer the Neo4j Browser and Bloom use), and its page is self-contained
(JavaScript inlined, data escaped into an inert JSON block), so a page
opens offline and a hostile instance name cannot inject script.

Compute nodes are coloured by service state (up and enabled, disabled,
down, placeholder) and sized by vCPU capacity; instances by their vm state
and sized by vCPUs. The rows come from ``cypher/queries/viz_*.cypher``.
"""

from __future__ import annotations

import math
from typing import Any

from graphcdm.read.query import GraphQuery

#: Colours by state, as in docs/browser/graphcdm.grass.
NODE_COLOURS = {
    "up": "#2e7d32",           # enabled and up
    "disabled": "#f9a825",     # service disabled (up or down)
    "down": "#c62828",         # service down
    "placeholder": "#9e9e9e",  # known only from notifications, awaiting resync
}
INSTANCE_COLOURS = {
    "active": "#42a5f5",
    "stopped": "#7e57c2",
    "error": "#ef6c00",
    "other": "#b0bec5",
}


def node_colour_key(node: dict[str, Any]) -> str:
    """Which of NODE_COLOURS a compute node gets (down wins over disabled)."""
    if node.get("placeholder"):
        return "placeholder"
    if node.get("state") == "down":
        return "down"
    if node.get("status") == "disabled":
        return "disabled"
    return "up"


def instance_colour_key(instance: dict[str, Any]) -> str:
    state = instance.get("state")
    return state if state in INSTANCE_COLOURS else "other"


def node_size(vcpus: Any) -> float:
    """Radius for a compute node: grows with the square root of its vCPUs."""
    return 14.0 + 3.0 * math.sqrt(vcpus) if isinstance(vcpus, int | float) and vcpus > 0 else 14.0


def instance_size(vcpus: Any) -> float:
    return 4.0 + 2.0 * math.sqrt(vcpus) if isinstance(vcpus, int | float) and vcpus > 0 else 4.0


def fetch(query: GraphQuery, host: str | None = None, limit: int = 5000
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(compute nodes, instances) of the whole graph or of one host's neighbourhood.

    ``host`` matches a service host name or a hypervisor hostname; the
    neighbourhood is that host's nodes and their instances.
    """
    if host is None:
        nodes = query.read("queries/viz_nodes", limit=limit)
        instances = query.read("queries/viz_instances", limit=limit)
    else:
        nodes = query.read("queries/viz_host_nodes", host=host)
        instances = query.read("queries/viz_host_instances", host=host, limit=limit)
    return nodes, instances


def build(nodes: list[dict[str, Any]], instances: list[dict[str, Any]]) -> Any:
    """A neo4j_viz VisualizationGraph of the rows (pure)."""
    from neo4j_viz import Node, Relationship, VisualizationGraph

    vnodes, rels = [], []
    known = set()
    for n in nodes:
        key = node_colour_key(n)
        vnodes.append(Node(
            id=f"cn:{n['hypervisor_hostname']}", caption=n["hypervisor_hostname"],
            size=node_size(n.get("vcpus")), color=NODE_COLOURS[key],
            properties={"label": "ComputeNode", "colour": key,
                        **{k: v for k, v in n.items() if v is not None}}))
        known.add(n["hypervisor_hostname"])
    for i in instances:
        key = instance_colour_key(i)
        vnodes.append(Node(
            id=f"i:{i['uuid']}", caption=i.get("name") or i["uuid"][:8],
            size=instance_size(i.get("vcpus")), color=INSTANCE_COLOURS[key],
            properties={"label": "Instance", "colour": key,
                        **{k: v for k, v in i.items() if v is not None}}))
        if i.get("hosted_on") in known:
            rels.append(Relationship(source=f"i:{i['uuid']}", target=f"cn:{i['hosted_on']}",
                                     caption="HOSTED_ON"))
    graph = VisualizationGraph(nodes=vnodes, relationships=rels)
    legend = {f"compute node: {k}": v for k, v in NODE_COLOURS.items()}
    legend.update({f"instance: {k}": v for k, v in INSTANCE_COLOURS.items()})
    graph.set_legend(nodes=legend)
    return graph


def render_html(graph: Any, title: str, height: str = "850px") -> str:
    """The self-contained HTML page of a VisualizationGraph."""
    html = graph.render(height=height, theme="light", max_allowed_nodes=20000).data
    return html.replace("<head>", f"<head><title>{_escape(title)}</title>", 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
