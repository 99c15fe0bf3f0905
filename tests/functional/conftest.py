"""Real services for functional tests: a local Neo4j and a local RabbitMQ.

Both are started (or reused when already answering) once per session and
*fail* the tests that need them when they cannot start: a functional test
that silently skipped would count as passing in CI.

Knobs (all optional):
- ``GRAPHCDM_NEO4J_URI``: use this Neo4j instead of starting one;
- ``GRAPHCDM_TEST_BOLT_PORT`` / ``GRAPHCDM_TEST_HTTP_PORT``: ports of the
  test server we start (so several checkouts can test side by side). The
  defaults are not Neo4j's 7687/7474, where ``./run demo`` leaves its server
  for the Browser: ``./run demo`` then ``./run test`` works, and the tests
  never empty the demo's graph;
- ``GRAPHCDM_TRANSPORT_URL``: use this RabbitMQ instead of
  ``tools/rabbitmq-local``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from graphcdm import conf as conf_mod
from graphcdm import neo4jlocal
from graphcdm.graph.writer import GraphWriter
from tests.functional.rabbitnode import rabbit_node  # noqa: F401 - a broker node of the tests' own

REPO = Path(__file__).resolve().parents[2]

#: Ports of the Neo4j the tests start or reuse (never the defaults, see above).
TEST_BOLT_PORT = int(os.environ.get("GRAPHCDM_TEST_BOLT_PORT", "17687"))
TEST_HTTP_PORT = int(os.environ.get("GRAPHCDM_TEST_HTTP_PORT", str(TEST_BOLT_PORT - 213)))


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    """Bolt URI of a real Neo4j 5.26 for this session."""
    given = os.environ.get("GRAPHCDM_NEO4J_URI")
    if given:
        if not neo4jlocal.bolt_answers(given, timeout=10):
            pytest.fail(f"GRAPHCDM_NEO4J_URI={given} does not answer")
        yield given
        return
    settings = neo4jlocal.Settings(
        home=REPO / ".state" / f"neo4j-test-{TEST_BOLT_PORT}",
        bolt_port=TEST_BOLT_PORT,
        http_port=TEST_HTTP_PORT,
        heap=os.environ.get("GRAPHCDM_TEST_NEO4J_HEAP", "1g"),
    )
    if neo4jlocal.bolt_answers(settings.bolt_uri):
        yield settings.bolt_uri  # reuse a running server; leave it running
        return
    try:
        uri = neo4jlocal.start(settings, log=lambda m: print(m, flush=True))
    except neo4jlocal.Neo4jLocalError as exc:
        pytest.fail(f"could not start a local Neo4j: {exc}")
    yield uri
    neo4jlocal.stop(settings, log=lambda m: None)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str) -> Iterator[neo4j.Driver]:
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=None,
                                        notifications_min_severity="OFF")
    driver.verify_connectivity()
    yield driver
    driver.close()


@pytest.fixture
def conf(neo4j_uri: str, rabbit_url_if_any: str | None):
    """graphcdm's configuration pointing at the test services (env as users would)."""
    os.environ["GRAPHCDM_NEO4J_URI"] = neo4j_uri
    os.environ["GRAPHCDM_NEO4J_PASSWORD"] = ""
    if rabbit_url_if_any:
        os.environ["GRAPHCDM_TRANSPORT_URL"] = rabbit_url_if_any
    conf = conf_mod.load([])
    # no /metrics server on the default 9717 (a running listener may hold it):
    # a test that reads /metrics sets a free port itself
    conf.set_override("port", 0, group="metrics")
    return conf


@pytest.fixture
def rabbit_url_if_any(request) -> str | None:
    """The RabbitMQ URL when the test also asked for ``rabbit_url``."""
    if "rabbit_url" in request.fixturenames:
        return request.getfixturevalue("rabbit_url")
    return None


@pytest.fixture
def writer(neo4j_driver: neo4j.Driver) -> GraphWriter:
    """A GraphWriter on an empty graph with the schema in place."""
    w = GraphWriter(neo4j_driver, "neo4j", retries=2, max_backoff=1.0)
    w.reset()
    w.ensure_schema()
    return w


@pytest.fixture(scope="session")
def rabbit_url() -> str:
    """AMQP URL of a real RabbitMQ (tools/rabbitmq-local installs and starts it)."""
    given = os.environ.get("GRAPHCDM_TRANSPORT_URL")
    if given:
        return given
    done = subprocess.run([str(REPO / "tools" / "rabbitmq-local"), "start"],
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        pytest.fail(f"could not start RabbitMQ:\n{done.stdout}\n{done.stderr}")
    return "rabbit://guest:guest@127.0.0.1:5672/"
