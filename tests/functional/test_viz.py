"""``graphcdm viz`` on a real Neo4j: the page holds the graph, coloured by state, sized by vCPUs."""

from __future__ import annotations

import json
import re

import neo4j
import pytest
from click.testing import CliRunner

from graphcdm.cli import main
from graphcdm.graph.writer import GraphWriter
from graphcdm.read import viz
from tests.functional.fixtures import load_known_graph


def page_data(html: str) -> dict:
    """The graph neo4j-viz embeds in its inert JSON block."""
    block = re.search(r'<script type="application/json" id="neo4j-viz-data">(.*?)</script>',
                      html, re.S)
    assert block, "no neo4j-viz data block"
    return json.loads(block.group(1))


@pytest.fixture
def run(conf, writer: GraphWriter, neo4j_driver: neo4j.Driver):
    load_known_graph(neo4j_driver)
    return lambda *args: CliRunner().invoke(main, ["viz", *args], catch_exceptions=False)


def test_whole_graph_page(run, tmp_path) -> None:
    out = tmp_path / "g.html"
    result = run("--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<title>graphcdm: compute cluster</title>" in html
    data = page_data(html)
    colours = {n["id"]: n["color"].lower() for n in data["nodes"]}
    assert colours["cn:node1"] == viz.NODE_COLOURS["up"]
    assert colours["cn:node2"] == viz.NODE_COLOURS["disabled"]
    assert colours["cn:node3"] == viz.NODE_COLOURS["down"]
    assert colours["cn:host4"] == viz.NODE_COLOURS["placeholder"]
    assert colours["i:i3"] == viz.INSTANCE_COLOURS["error"]
    sizes = {n["id"]: n["size"] for n in data["nodes"]}
    assert sizes["cn:node1"] > sizes["cn:node2"] > sizes["cn:node3"]   # 16 > 8 > 4 vCPUs
    edges = {(r["from"], r["to"]) for r in data["relationships"]}
    assert ("i:i1", "cn:node1") in edges and len(edges) == 6   # i4 is unmapped
    assert len(data["nodes"]) == 5 + 7


def test_host_neighbourhood(run, tmp_path) -> None:
    out = tmp_path / "h.html"
    assert run("--out", str(out), "--host", "host1").exit_code == 0
    ids = {n["id"] for n in page_data(out.read_text())["nodes"]}
    assert ids == {"cn:node1", "i:i1", "i:i2"}
    assert run("--out", str(out), "--host", "node2").exit_code == 0   # by hypervisor hostname
    assert {n["id"] for n in page_data(out.read_text())["nodes"]} == {"cn:node2", "i:i3", "i:i6"}


def test_unknown_host_exits_4(run, tmp_path) -> None:
    result = CliRunner().invoke(main, ["viz", "--out", str(tmp_path / "x.html"), "--host", "no"])
    assert result.exit_code == 4 and not (tmp_path / "x.html").exists()


def test_names_cannot_inject_script(conf, writer: GraphWriter, neo4j_driver: neo4j.Driver,
                                    tmp_path) -> None:
    neo4j_driver.execute_query("CREATE (:Instance {uuid: 'x', name: '</script><script>alert(1)'})")
    out = tmp_path / "x.html"
    assert CliRunner().invoke(main, ["viz", "--out", str(out)]).exit_code == 0
    html = out.read_text()
    assert "</script><script>alert(1)" not in html
    assert page_data(html)["nodes"][0]["caption"] == "</script><script>alert(1)"
