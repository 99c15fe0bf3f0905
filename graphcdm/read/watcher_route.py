"""The supported route by which Watcher 17's stock strategies read the graph.

Every Watcher strategy asks its loader for the collector named ``compute``
(``BaseStrategy.compute_model``: ``get_cluster_model_collector('compute')``),
and Watcher offers no option to name another one. The ways that do not work:

- a second ``compute`` entry point: stevedore raises ``MultipleMatches`` and
  the decision engine cannot load any compute model;
- ``[collector] collector_plugins = graphcdm_compute``: strategies still load
  Watcher's nova collector, which then has no periodic sync and no
  notification endpoints, so its model freezes;
- editing python-watcher's ``entry_points.txt``: lost (or half-lost) on every
  python-watcher upgrade, invisible to the package manager.

The route kept here changes no file of Watcher's: the decision engine is
started as ``graphcdm-watcher-decision-engine`` (same arguments as
``watcher-decision-engine``), which installs :class:`GraphcdmCollectorLoader`
in place of Watcher's ``ClusterDataModelCollectorLoader`` and then runs
Watcher's own ``main``. That loader answers ``load('compute')`` with
graphcdm's collector, loaded by Watcher's stevedore code under its own entry
point ``graphcdm_compute`` and configured from
``[watcher_cluster_data_model_collectors.graphcdm_compute]``; every other
name is Watcher's. Reverting is starting ``watcher-decision-engine`` again.

Upgrades are detected, not assumed: :func:`check` verifies the installed
python-watcher is a tested release and still has the exact call sites the
substitution relies on (the loader looked up by module attribute at call
time, strategies asking for ``'compute'``); the wrapper refuses to start,
naming what changed, when one is missing. The upstream change that would make
all of this unnecessary (a ``[collector] compute_collector`` option) is
``contrib/watcher-compute-collector-option.patch``.

watcher-api needs no change: it validates audit scopes against the
``SCHEMA`` of every collector entry point, and graphcdm's collector carries
Watcher's compute ``SCHEMA`` itself.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import sys
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

#: The entry point (setup.cfg) and configuration group of graphcdm's collector.
COLLECTOR_NAME = "graphcdm_compute"
CONFIG_GROUP = "watcher_cluster_data_model_collectors." + COLLECTOR_NAME  # = the collector's
#: The collector name Watcher's strategies ask for.
STRATEGY_COLLECTOR = "compute"
#: python-watcher releases the route is tested with (major.minor prefixes).
TESTED_WATCHER = ("17.0.",)

CHECK_FLAG = "--graphcdm-check"
ALLOW_FLAG = "--graphcdm-allow-untested-watcher"

_original_loader: Any = None


class RouteError(RuntimeError):
    """The route cannot be installed on this python-watcher (the message says why)."""


def watcher_version() -> str:
    return importlib.metadata.version("python-watcher")


def check(allow_untested: bool = False) -> list[str]:
    """What stops the route on the installed python-watcher; empty when nothing does.

    Why read Watcher's source: the substitution works only while Watcher
    looks its loader up at call time and its strategies ask for
    ``'compute'``; a release that changes either must stop the wrapper,
    not leave strategies silently on the nova collector.
    """
    problems = []
    version = watcher_version()
    if not version.startswith(TESTED_WATCHER) and not allow_untested:
        problems.append(f"python-watcher {version} is not a tested release "
                        f"({', '.join(p + '*' for p in TESTED_WATCHER)}); re-run the route "
                        f"tests on it, then start with {ALLOW_FLAG}")
    from watcher.decision_engine.loading import default
    from watcher.decision_engine.model.collector import manager
    from watcher.decision_engine.strategy.strategies import base

    call_sites = [
        (manager.CollectorManager.__init__, "default.ClusterDataModelCollectorLoader()",
         "CollectorManager builds its loader from the module attribute"),
        (base.BaseStrategy.compute_model.fget, f"'{STRATEGY_COLLECTOR}'",
         "strategies ask for the collector named 'compute'"),
    ]
    for func, needle, what in call_sites:
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            source = ""
        if needle not in source:
            problems.append(f"python-watcher {version} changed: no longer true that {what} "
                            f"({func.__module__}.{func.__qualname__})")
    # watcher-api's module is read, not imported: importing the API inside the
    # decision engine registers objects out of Watcher's order.
    import watcher

    api_file = Path(watcher.__file__).parent / "api" / "controllers" / "v1" / "audit_template.py"
    api_source = api_file.read_text() if api_file.is_file() else ""
    if "c.SCHEMA for k, c in collectors.items()" not in api_source:
        problems.append(f"python-watcher {version} changed: watcher-api no longer takes audit "
                        "scope schemas from the collectors' SCHEMA")
    if not hasattr(default.ClusterDataModelCollectorLoader, "_load_plugin_config"):
        problems.append("Watcher's DefaultLoader has no _load_plugin_config any more")
    available = default.ClusterDataModelCollectorLoader().list_available()
    if COLLECTOR_NAME not in available:
        problems.append(f"no '{COLLECTOR_NAME}' entry point in "
                        "watcher_cluster_data_model_collectors: install graphcdm[watcher] "
                        "in the decision engine's environment")
    return problems


def _loader_class() -> type:
    from watcher.common import exception
    from watcher.decision_engine.loading import default

    class GraphcdmCollectorLoader(default.ClusterDataModelCollectorLoader):
        """Watcher's collector loader, with ``compute`` served by graphcdm's collector."""

        def load(self, name: str, **kwargs: Any) -> Any:
            if name != STRATEGY_COLLECTOR:
                return super().load(name, **kwargs)
            collector = super().load(COLLECTOR_NAME, **kwargs)
            from graphcdm.read.watcher_collector import GraphComputeModelCollector

            if not isinstance(collector, GraphComputeModelCollector):
                raise exception.LoadingError(name=name)
            return collector

    return GraphcdmCollectorLoader


def install(allow_untested: bool = False) -> None:
    """Serve Watcher's ``compute`` collector from the graph in this process.

    Raises :class:`RouteError` with every problem :func:`check` finds.
    """
    global _original_loader
    problems = check(allow_untested)
    if problems:
        raise RouteError("; ".join(problems))
    from watcher.decision_engine.loading import default

    if _original_loader is None:
        _original_loader = default.ClusterDataModelCollectorLoader
        default.ClusterDataModelCollectorLoader = _loader_class()
    LOG.info("Watcher's 'compute' collector is graphcdm's (options in [%s])", CONFIG_GROUP)


def uninstall() -> None:
    """Give Watcher back its own loader (what restarting the stock command does)."""
    global _original_loader
    if _original_loader is not None:
        from watcher.decision_engine.loading import default

        default.ClusterDataModelCollectorLoader = _original_loader
        _original_loader = None


def installed() -> bool:
    return _original_loader is not None


def report() -> list[str]:
    """The route's state for an operator, after Watcher parsed its configuration.

    Loads ``compute`` the way a strategy does and builds one model, so a
    wrong group, URI or password shows here and not in the first audit.
    """
    from watcher.decision_engine.model.collector import manager

    collector = manager.CollectorManager().get_cluster_model_collector(STRATEGY_COLLECTOR)
    cls = type(collector)
    lines = [f"python-watcher {watcher_version()}",
             f"strategies' '{STRATEGY_COLLECTOR}' collector: {cls.__module__}.{cls.__qualname__}",
             f"options: [{CONFIG_GROUP}] uri={collector.redacted_uri} period="
             f"{collector.config.period}"]
    model = collector.execute()
    lines.append(f"graph model: {len(model.get_all_compute_nodes())} compute nodes, "
                 f"{len(model.get_all_instances())} instances")
    return lines


def decision_engine_main(argv: list[str] | None = None) -> int:
    """``graphcdm-watcher-decision-engine``: Watcher's decision engine reading the graph.

    Takes ``watcher-decision-engine``'s arguments, plus ``--graphcdm-check``
    (verify the route and the graph against the configuration, print, exit)
    and ``--graphcdm-allow-untested-watcher``.
    """
    argv = list(sys.argv if argv is None else argv)
    check_only = CHECK_FLAG in argv
    allow = ALLOW_FLAG in argv
    argv = [a for a in argv if a not in (CHECK_FLAG, ALLOW_FLAG)]
    # Watcher's own script: eventlet is patched on this import, before anything else.
    from watcher.cmd.eventlet import decisionengine

    try:
        install(allow)
    except RouteError as exc:
        print(f"graphcdm-watcher-decision-engine: {exc}", file=sys.stderr)
        return 2
    sys.argv = argv
    if check_only:
        from watcher.common import service as watcher_service

        watcher_service.prepare_service(argv, decisionengine.CONF)
        try:
            lines = report()
        except Exception as exc:  # noqa: BLE001 - the operator reads it, we exit non-zero
            print(f"graphcdm-watcher-decision-engine: route broken: {exc}", file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0
    decisionengine.main()
    return 0
