"""The supported route (graphcdm.read.watcher_route) through Watcher 17's own machinery.

Each test goes through the code Watcher runs in production: its
``ClusterDataModelCollectorLoader`` (stevedore), its ``CollectorManager``
(collectors, notification endpoints, the decision engine's periodic sync
jobs), a stock strategy's ``compute_model`` and watcher-api's audit-template
scope schema; the graph is a real Neo4j. The route is reversible: after
``uninstall()`` the same calls give Watcher's nova collector again.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from oslo_config import cfg
from oslo_service import service
from watcher.common import exception as wexc
from watcher.decision_engine.loading import default
from watcher.decision_engine.model.collector import manager
from watcher.decision_engine.model.collector import nova as nova_collector
from watcher.decision_engine.model.model_root import ModelRoot

from graphcdm.read import watcher_route
from graphcdm.read.query import GraphQuery
from graphcdm.read.watcher_collector import CONFIG_GROUP, GraphComputeModelCollector
from tests.functional.fixtures import load_known_graph

KNOWN_NODES = {"u-n1", "u-n2", "u-n3", "u-n5"}  # the known graph's real (uuid'd) nodes


def _forget_singletons() -> None:
    """Watcher's collectors are process singletons: each test starts from none."""
    for cls in (GraphComputeModelCollector, nova_collector.NovaClusterDataModelCollector):
        service.Singleton._instances.pop(cls, None)


def _configure(uri: str | None) -> None:
    cfg.CONF(args=[], project="watcher", default_config_files=[])  # as watcher services do
    cfg.CONF.register_opts(GraphComputeModelCollector.get_config_opts(), group=CONFIG_GROUP)
    if uri is None:
        cfg.CONF.clear_override("uri", group=CONFIG_GROUP)
    else:
        cfg.CONF.set_override("uri", uri, group=CONFIG_GROUP)
    cfg.CONF.set_override("password", "", group=CONFIG_GROUP)


def _close(collector: object) -> None:
    driver = getattr(collector, "_driver", None)
    if driver is not None:
        driver.close()


@pytest.fixture
def route(neo4j_uri: str) -> Iterator[str]:
    """The route installed, graphcdm's collector configured for the test Neo4j."""
    _forget_singletons()
    _configure(neo4j_uri)
    watcher_route.install()
    yield neo4j_uri
    watcher_route.uninstall()
    for cls in (GraphComputeModelCollector,):
        instance = service.Singleton._instances.get(cls)
        if instance is not None:
            _close(instance)
    _forget_singletons()
    cfg.CONF.clear_override("uri", group=CONFIG_GROUP)
    cfg.CONF.clear_override("password", group=CONFIG_GROUP)
    cfg.CONF.clear_override("collector_plugins", group="collector")


@pytest.fixture
def known(writer, neo4j_driver: neo4j.Driver) -> GraphQuery:
    load_known_graph(neo4j_driver)
    return GraphQuery(neo4j_driver)


def test_route_checks_pass_on_the_tested_watcher() -> None:
    assert watcher_route.watcher_version().startswith(watcher_route.TESTED_WATCHER)
    assert watcher_route.check() == []


def test_loader_serves_compute_from_the_graph(route: str, known: GraphQuery) -> None:
    collector = default.ClusterDataModelCollectorLoader().load("compute")
    assert isinstance(collector, GraphComputeModelCollector)
    # options from the collector's own group, not [...compute] with a silent default
    assert collector.config.uri == route and collector.config.period == 3600
    assert set(collector.get_latest_cluster_data_model().get_all_compute_nodes()) == KNOWN_NODES
    # every other collector name is still Watcher's
    assert default.ClusterDataModelCollectorLoader().load("graphcdm_compute") is collector


def test_collector_manager_and_periodic_sync(route: str, known: GraphQuery) -> None:
    """The decision engine's own wiring: collectors, endpoints, sync jobs."""
    from watcher.decision_engine import scheduling

    # Watcher's default is [compute, storage]; storage needs keystone to say cinder exists
    cfg.CONF.set_override("collector_plugins", ["compute"], group="collector")
    mgr = manager.CollectorManager()
    collectors = mgr.get_collectors()
    assert isinstance(collectors["compute"], GraphComputeModelCollector)
    assert mgr.get_notification_endpoints() == []   # graphcdm's listener applies them
    scheduler = scheduling.DecisionEngineSchedulingService()
    scheduler.add_sync_jobs()
    [job] = scheduler.get_jobs()
    assert job.trigger.interval.total_seconds() == 3600
    collector = collectors["compute"]
    collector.cluster_data_model = collector.STALE_MODEL
    job.func()   # what the scheduler runs every period
    assert not collector.cluster_data_model.stale
    assert set(collector.cluster_data_model.get_all_compute_nodes()) == KNOWN_NODES


def _strategy(name: str, scope: list) -> object:
    from watcher.decision_engine.loading import default as loading

    strategy = loading.DefaultStrategyLoader().load(name)
    strategy.audit_scope = scope
    return strategy


@pytest.mark.parametrize(("scope", "nodes"), [
    ([], KNOWN_NODES),
    ([{"compute": [{"host_aggregates": [{"name": "fast"}]}]}], {"u-n1"}),
    ([{"compute": [{"availability_zones": [{"name": "az2"}]}]}], {"u-n2", "u-n5"}),
])
def test_stock_strategy_compute_model_reads_the_graph(route: str, known: GraphQuery,
                                                      scope: list, nodes: set[str]) -> None:
    strategy = _strategy("basic", scope)
    model = strategy.compute_model
    assert set(model.get_all_compute_nodes()) == nodes
    assert {i["uuid"] for i in known.instances()} >= set(model.get_all_instances())


def test_watcher_api_accepts_compute_scopes() -> None:
    """watcher-api's AuditTemplatePostType schema: built from every collector's SCHEMA."""
    from watcher import objects

    objects.register_all()
    from watcher.api.controllers.v1 import audit_template
    from watcher.common import utils

    schema = audit_template.AuditTemplatePostType._build_schema()
    assert schema["items"]["properties"]["graphcdm_compute"] is nova_collector.\
        NovaClusterDataModelCollector.SCHEMA
    validator = utils.Draft4Validator(schema)
    validator.validate([{"compute": [{"host_aggregates": [{"id": 1}, {"name": "fast"}]},
                                     {"availability_zones": [{"name": "az1"}]},
                                     {"exclude": [{"compute_nodes": [{"name": "host3"}]}]}]}])
    with pytest.raises(Exception, match="unexpected"):
        validator.validate([{"compute": [{"racks": [{"name": "r1"}]}]}])


def test_route_is_reversible(route: str, known: GraphQuery) -> None:
    assert isinstance(manager.CollectorManager().get_cluster_model_collector("compute"),
                      GraphComputeModelCollector)
    watcher_route.uninstall()
    assert not watcher_route.installed()
    stock = manager.CollectorManager().get_cluster_model_collector("compute")
    assert type(stock) is nova_collector.NovaClusterDataModelCollector
    assert len(stock.notification_endpoints) == 1   # Watcher's own, back in place


def test_route_refuses_an_untested_or_changed_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher_route, "watcher_version", lambda: "18.0.0")
    [problem] = watcher_route.check()
    assert "18.0.0 is not a tested release" in problem
    with pytest.raises(watcher_route.RouteError):
        watcher_route.install()
    assert not watcher_route.installed()
    assert watcher_route.check(allow_untested=True) == []
    from watcher.decision_engine.strategy.strategies import base

    monkeypatch.setattr(base.BaseStrategy, "compute_model", property(lambda self: None))
    assert any("ask for the collector named 'compute'" in p
               for p in watcher_route.check(allow_untested=True))


def test_collector_without_uri_refuses_to_load(neo4j_uri: str) -> None:
    _forget_singletons()
    _configure(None)
    try:
        with pytest.raises(wexc.LoadingError):
            default.ClusterDataModelCollectorLoader().load("graphcdm_compute")
    finally:
        _forget_singletons()


# -- store down -----------------------------------------------------------------------

@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung or firewalled server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    stop = threading.Event()
    yield sock.getsockname()[1]
    stop.set()
    sock.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_store_down_fails_fast_with_watchers_exception(neo4j_uri: str, silent_port: int,
                                                       kind: str) -> None:
    """Neo4j down: the audit's model and scope raise ClusterDataModelCollectionError.

    Bound, not benchmark: the collector's own connection_timeout (3 s) and
    max_transaction_retry_time (2 s) defaults; before them an audit blocked
    ~31 s. 15 s leaves room for a loaded CI machine and still fails the old
    behaviour.
    """
    port = _closed_port() if kind == "refused" else silent_port
    _forget_singletons()
    _configure(f"bolt://127.0.0.1:{port}")
    watcher_route.install()
    try:
        strategy = _strategy("basic", [])
        started = time.monotonic()
        with pytest.raises(wexc.ClusterDataModelCollectionError):
            strategy.compute_model  # noqa: B018 - the property builds the model
        assert time.monotonic() - started < 15
        collector = manager.CollectorManager().get_cluster_model_collector("compute")
        handler = collector.get_audit_scope_handler(
            [{"compute": [{"availability_zones": [{"name": "az1"}]}]}])
        started = time.monotonic()
        with pytest.raises(wexc.ClusterDataModelCollectionError):
            handler.get_scoped_model(ModelRoot())
        assert time.monotonic() - started < 15
        collector.synchronize()   # the periodic job: Watcher marks its copy stale
        assert collector.cluster_data_model.stale
        _close(collector)
    finally:
        watcher_route.uninstall()
        _forget_singletons()
        cfg.CONF.clear_override("uri", group=CONFIG_GROUP)


# -- the command an operator runs ---------------------------------------------------------

def _run_check(conf_file: Path) -> subprocess.CompletedProcess:
    code = ("import sys; from graphcdm.read.watcher_route import decision_engine_main as m; "
            "sys.argv[0] = 'graphcdm-watcher-decision-engine'; sys.exit(m())")
    return subprocess.run([sys.executable, "-c", code, "--config-file", str(conf_file),
                           watcher_route.CHECK_FLAG],
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_command_reports_the_route(tmp_path: Path, neo4j_uri: str,
                                         known: GraphQuery) -> None:
    """``graphcdm-watcher-decision-engine --graphcdm-check`` with an operator's watcher.conf."""
    conf_file = tmp_path / "watcher.conf"
    conf_file.write_text(f"[{CONFIG_GROUP}]\nuri = {neo4j_uri}\npassword =\n")
    done = _run_check(conf_file)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'compute' collector: graphcdm.read.watcher_collector.GraphComputeModelCollector" \
        in done.stdout
    assert f"graph model: {len(KNOWN_NODES)} compute nodes" in done.stdout
    # the options put in Watcher's own group for the name 'compute' are not read
    conf_file.write_text(f"[watcher_cluster_data_model_collectors.compute]\nuri = {neo4j_uri}\n")
    done = _run_check(conf_file)
    assert done.returncode == 1
    assert "route broken" in done.stderr
