"""The node and instance projections are said once (graphcdm.read.query) and
every statement that answers "a compute node" or "an instance" returns
exactly them, computed the same way. Pure: reads the statements' text.
"""

from __future__ import annotations

import re

import pytest

from graphcdm.graph import cypher
from graphcdm.read import query


def _top_level(text: str) -> list[int]:
    """Nesting depth (brackets) before each character of ``text``."""
    depths, depth = [], 0
    for ch in text:
        depth -= ch in ")}]"
        depths.append(depth)
        depth += ch in "({["
    return depths


def returned(name: str) -> dict[str, str]:
    """alias -> expression of the top-level RETURN of ``cypher/queries/<name>``."""
    text = " ".join(line.split("//", 1)[0] for line in cypher.load(f"queries/{name}").splitlines())
    depths = _top_level(text)
    start = [m.end() for m in re.finditer(r"\bRETURN\b", text) if depths[m.start()] == 0][-1]
    ends = [m.start() for m in re.finditer(r"\b(?:ORDER BY|LIMIT)\b", text)
            if m.start() > start and depths[m.start()] == 0]
    body = text[start:ends[0] if ends else len(text)]
    items, current = [], ""
    for ch, depth in zip(body, depths[start:], strict=False):
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    out = {}
    for item in items:
        expr, _, alias = " ".join(item.split()).rpartition(" AS ")
        out[alias] = expr
    return out


def test_returned_reads_aliases_and_expressions():
    assert returned("compute_nodes")["vcpu_ratio"] == "toFloat(coalesce(c.vcpu_ratio, 1.0))"


@pytest.mark.parametrize("name", query.NODE_STATEMENTS)
def test_node_statements_return_the_node_projection(name):
    assert returned(name) == query.NODE_PROJECTION


@pytest.mark.parametrize("name", query.INSTANCE_STATEMENTS)
def test_instance_statements_return_the_instance_projection(name):
    assert returned(name) == query.INSTANCE_PROJECTION


@pytest.mark.parametrize("name,capacity", sorted(query.RESOURCE_STATEMENTS.items()))
def test_resource_statements_compute_used_and_capacity_one_way(name, capacity):
    """Watcher's used/free resources (get_node_used_resources) have one definition."""
    text = " ".join(" ".join(line.split("//", 1)[0] for line in
                             cypher.load(f"queries/{name}").splitlines()).split())
    assert query.USED_HOSTED in text
    for expr in query.USED_SUMS:
        assert expr in text, expr
    assert text.count("sum(") == 3  # nothing else summed another way
    for expr in query.CAPACITY if capacity else ():
        assert expr in text, expr


def test_every_statement_summing_hosted_instances_is_listed():
    summing = {n for n in query.query_names()
               if "sum(coalesce(i." in " ".join(cypher.load(f"queries/{n}").split())}
    assert summing == set(query.RESOURCE_STATEMENTS)
