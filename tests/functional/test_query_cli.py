"""``graphcdm query`` end to end: the CLI on a real Neo4j holding the known graph."""

from __future__ import annotations

import csv
import io
import json

import neo4j
import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.graph import cypher
from graphcdm.graph.writer import GraphWriter
from graphcdm.read.query import query_names
from tests.functional.fixtures import load_known_graph


@pytest.fixture
def run(conf, writer: GraphWriter, neo4j_driver: neo4j.Driver):
    load_known_graph(neo4j_driver)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["query", *args], catch_exceptions=False)
    return invoke


def test_list_has_one_line_per_query_with_its_description(run) -> None:
    result = run("--list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(query_names())
    for name, line in zip(query_names(), lines, strict=True):
        assert line.startswith(name) and cypher.describe(f"queries/{name}") in line
    assert any("[by=\"memory\", limit=50]" in line for line in lines)


def test_table(run) -> None:
    result = run("empty_hosts")
    assert result.exit_code == 0, result.output
    assert "empty_hosts (1 rows)" in result.output and "node3" in result.output


def test_json_with_params(run) -> None:
    result = run("hosts_by_free_capacity", "--param", "by=vcpu", "-p", "limit=2",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["hypervisor_hostname"], r["free_vcpu"]) for r in rows] == [("node1", 50.0),
                                                                         ("node2", 5.0)]


def test_csv(run) -> None:
    result = run("project_spread", "-p", "project_id=pA", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["availability_zone"], r["hypervisor_hostname"], r["aggregates"]) for r in rows] == [
        ("az1", "node1", "fast"), ("az1", "", ""), ("az2", "node2", "")]


def test_usage_errors_exit_2(run) -> None:
    assert run().exit_code == 2
    assert run("no_such_query").exit_code == 2
    missing = run("project_spread")
    assert missing.exit_code == 2 and "project_id=" in missing.output
    assert run("empty_hosts", "-p", "bogus=1").exit_code == 2
    assert run("hosts_by_free_capacity", "-p", "limit=many").exit_code == 2


def test_unreachable_database_exits_3(conf, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GRAPHCDM_NEO4J_URI", "bolt://127.0.0.1:1")
    quick = tmp_path / "quick.conf"   # do not spend the driver's 30 s retrying
    quick.write_text("[neo4j]\nmax_transaction_retry_time = 0\nconnection_timeout = 1\n")
    result = CliRunner().invoke(main, ["--config-file", str(quick), "query", "empty_hosts"])
    assert result.exit_code == 3
    assert "ServiceUnavailable" in result.output
