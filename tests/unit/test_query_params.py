"""Parameters of the named queries: declared defaults, typed --param values (pure)."""

from __future__ import annotations

import pytest

from graphcdm.graph import cypher
from graphcdm.read.query import Param, bind_params, query_names, query_params


def test_every_query_has_a_description() -> None:
    for name in query_names():
        assert cypher.describe(f"queries/{name}"), name


def test_declared_parameters_and_defaults() -> None:
    assert query_params("hosts_by_free_capacity") == {
        "by": Param("by", "memory", "sort key: vcpu, memory or disk"),
        "limit": Param("limit", 50, "at most this many rows")}
    assert query_params("empty_hosts") == {}


def test_every_parameter_a_query_uses_is_declared() -> None:
    import re
    for name in query_names():
        used = set(re.findall(r"\$(\w+)", "\n".join(
            line for line in cypher.load(f"queries/{name}").splitlines()
            if not line.lstrip().startswith("//"))))
        assert used <= set(query_params(name)), (name, used)


def test_values_take_the_default_type() -> None:
    assert bind_params("hosts_by_free_capacity", ["limit=3"]) == {"by": "memory", "limit": 3}
    assert bind_params("project_spread", ["project_id=1234"]) == {"project_id": "1234"}
    assert bind_params("overcommitted_hosts", ["threshold=2"]) == {"threshold": 2.0}
    assert bind_params("scope_aggregate_hosts", ["ids=[1, 2]", "names=a,b", "all=yes"]) == {
        "ids": [1, 2], "names": ["a", "b"], "all": True}


@pytest.mark.parametrize("given", [["limit"], ["nope=1"], ["limit=x"], ["all=maybe"]])
def test_bad_values_are_value_errors(given: list[str]) -> None:
    name = "scope_aggregate_hosts" if given == ["all=maybe"] else "hosts_by_free_capacity"
    with pytest.raises(ValueError):
        bind_params(name, given)


def test_required_parameters() -> None:
    with pytest.raises(ValueError, match="project_id"):
        bind_params("project_spread", [])
