"""Serve Watcher 17's Nova and Placement API emulators on loopback.

The emulators (``watcher/tests/local_fixtures/*_api_emulator.py``, shipped
in the ``python-watcher`` wheel) are pecan apps holding their state in plain
dicts. Served in-process by werkzeug on a thread, a test can load a
topology, change it between two syncs (the dicts are read per request), and
stop the server in the middle of a poll.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from oslo_service.backend.exceptions import BackendAlreadySelected
from werkzeug import serving


def _import_watcher_functional() -> None:
    """Import ``watcher.tests.functional`` whatever oslo.service backend is selected.

    Its ``__init__`` selects oslo.service's threading backend, which raises
    when an earlier import (any oslo.service user in the same pytest run)
    already selected one. The emulators need no backend at all, so the
    selection is made harmless for the time of the import.
    """
    if "watcher.tests.functional" in sys.modules:
        return
    from watcher.common import oslo_service_helper

    original = oslo_service_helper.init_oslo_service_backend

    def tolerant() -> None:
        try:
            original()
        except BackendAlreadySelected:
            pass

    oslo_service_helper.init_oslo_service_backend = tolerant
    try:
        importlib.import_module("watcher.tests.functional")
    finally:
        oslo_service_helper.init_oslo_service_backend = original


_import_watcher_functional()

# Watcher's topology dataclasses, re-exported for the tests and the benchmark.
from watcher.tests.functional.topology import (  # noqa: E402
    Aggregate,
    ComputeNode,
    ComputeTopology,
    Instance,
)
from watcher.tests.local_fixtures.nova_api_emulator import NovaAPIEmulator  # noqa: E402
from watcher.tests.local_fixtures.placement_api_emulator import (  # noqa: E402
    PlacementAPIEmulator,
)

__all__ = ["Aggregate", "Cloud", "ComputeNode", "ComputeTopology", "Instance", "Served"]


class _QuietHandler(serving.WSGIRequestHandler):
    """No access log line per request (thousands in a benchmark)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class Served:
    """One emulator app served on 127.0.0.1:<ephemeral port>.

    ``before(environ)`` runs before each request; when it returns an HTTP
    status (int), that status is answered with a JSON error body instead of
    calling the emulator: how a test fails the API halfway through a poll.
    """

    def __init__(self, app: Any, *, before: Callable[[dict], int | None] | None = None) -> None:
        self.before = before
        self.requests: list[str] = []

        def wsgi(environ: dict, start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            query = environ.get("QUERY_STRING", "")
            self.requests.append(path + ("?" + query if query else ""))
            if self.before is not None:
                status = self.before(environ)
                if status is not None:
                    body = json.dumps({"error": {"code": status,
                                                 "message": "injected failure"}}).encode()
                    start_response(f"{status} {HTTPStatus(status).phrase}",
                                   [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(body)))])
                    return [body]
            return app(environ, start_response)

        self.server = serving.make_server("127.0.0.1", 0, wsgi, threaded=True,
                                          request_handler=_QuietHandler)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Cloud:
    """A Nova emulator and a Placement emulator fed the same topology."""

    def __init__(self, topology: dict[str, list[dict]] | None = None, *,
                 placement: bool = True) -> None:
        self.nova = NovaAPIEmulator()
        self.placement = PlacementAPIEmulator() if placement else None
        self.nova_http = Served(self.nova.app)
        self.placement_http = Served(self.placement.app) if self.placement else None
        if topology is not None:
            self.load(topology)

    def load(self, topology: Any) -> None:
        """Replace the whole topology.

        ``topology`` is a Watcher ``ComputeTopology`` or a dict
        ``{compute_nodes, instances, aggregates}`` of dicts or Watcher's
        dataclasses (``normalize`` turns both into the dicts the emulators
        read). Dicts are copied so that later edits by the test do not leak.
        """
        from watcher.tests.functional.topology import normalize

        if isinstance(topology, ComputeTopology):
            topology = {"compute_nodes": topology.compute_nodes,
                        "instances": topology.instances,
                        "aggregates": topology.aggregates}
        topo = ComputeTopology(
            compute_nodes=[dict(n) for n in normalize(topology.get("compute_nodes", [])) or []],
            instances=[dict(i) for i in normalize(topology.get("instances", [])) or []],
            aggregates=[dict(a) for a in normalize(topology.get("aggregates", [])) or []])
        self.nova.load_topology(topo)
        if self.placement is not None:
            self.placement.load_topology(topo)

    @property
    def compute_url(self) -> str:
        return self.nova_http.url + "/v2.1"

    @property
    def placement_url(self) -> str | None:
        return self.placement_http.url if self.placement_http else None

    def conf_overrides(self) -> dict[str, Any]:
        """[nova] options pointing openstacksdk at this cloud (auth_type none)."""
        return {"compute_endpoint_override": self.compute_url,
                "placement_endpoint_override": self.placement_url or "",
                "use_placement": self.placement is not None,
                "auth_type": "none"}

    def stop(self) -> None:
        self.nova_http.stop()
        if self.placement_http:
            self.placement_http.stop()
