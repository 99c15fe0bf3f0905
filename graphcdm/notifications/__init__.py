"""The notification path: envelope → parse → pipeline, fed by the listener or replay.

``envelope`` decodes what the bus (or a file) delivers, ``parse`` turns it
into typed changes (pure, the one event table), ``pipeline`` is the single
decode→parse→write path both the ``listener`` (the service) and ``replay``
(files) use; ``stats`` holds the listener's counters and HTTP endpoints.
"""

import warnings as _warnings

try:  # oslo.service >= 4.1 has backends (oslo.messaging brings oslo.service)
    from oslo_service import backend as _backend
except ImportError:  # older: eventlet only, nothing to choose
    _backend = None

# Before any module of this package imports oslo.messaging (see bus.py for why):
# eventlet's import-time banner, which futurist triggers merely because eventlet is
# installed (python-watcher pulls it in) although graphcdm never uses it, stays
# silent; oslo.service's threading backend serves oslo.messaging's threading
# executor (its default eventlet backend would load eventlet's loopingcall).
_warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
_warnings.filterwarnings("ignore", category=DeprecationWarning,
                         module=r"(oslo_|eventlet|futurist)")
# A default hook, not init_backend(): the backend (and eventlet, which futurist
# imports when installed) loads only when oslo.messaging first asks for it, so that
# commands that never touch the bus (export, query...) do not pay for it. A backend
# already chosen (Watcher's process) stays.
if _backend is not None and _backend.get_backend_type() is None:
    _backend.register_backend_default_hook(lambda: _backend.BackendType.THREADING)
