"""All of graphcdm's oslo.config options, in one place.

Each group lives in a module of its own (``neo4j``, ``notifications``,
``nova``, ``sync``, ``graph``, ``metrics``); :func:`list_opts` is the
``oslo.config.opts`` entry point used by ``oslo-config-generator`` and
:func:`load` is what every command calls to read files and environment.
"""

from __future__ import annotations

import os

from oslo_config import cfg
from oslo_log import log

from graphcdm.conf import graph, metrics, neo4j, notifications, nova, sync

#: graphcdm's own ConfigOpts, not the process-global cfg.CONF: python-watcher (whose
#: collector plugin lives in graphcdm.read.watcher_collector) registers a [nova] group
#: of its own on cfg.CONF, and both in one process would clash.
CONF = cfg.ConfigOpts()

_MODULES = (neo4j, notifications, nova, sync, graph, metrics)

for _module in _MODULES:
    CONF.register_opts(_module.OPTS, group=_module.GROUP)

#: oslo.log's options (log_file, log_dir, use_journal, use_json, debug,
#: log_config_append, default_log_levels, ...), as every OpenStack service has them.
#: oslo.messaging's are registered by graphcdm.notifications.bus.register_opts, only
#: in the commands that use the bus (importing it costs most of a second).
log.register_options(CONF)
log.set_defaults(default_log_levels=[
    *log.get_default_log_levels(), "neo4j=WARN", "openstack=WARN", "kombu=WARN",
    "stevedore=WARN", "oslo_service=WARN",
])


def _set_defaults(conf: cfg.ConfigOpts) -> None:
    """graphcdm's own defaults of library options (``reset()`` clears them, so
    :func:`load` sets them again).

    Logs go to stderr unless a log file or the journal is configured: stdout is
    the output of export, query, sync --json and status, which scripts read.
    """
    conf.set_default("use_stderr", True)


_set_defaults(CONF)

#: environment variable -> (group, option). The environment wins over files
#: because containers and test harnesses configure through it.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "GRAPHCDM_NEO4J_URI": ("neo4j", "uri"),
    "GRAPHCDM_NEO4J_USER": ("neo4j", "user"),
    "GRAPHCDM_NEO4J_PASSWORD": ("neo4j", "password"),
    "GRAPHCDM_NEO4J_DATABASE": ("neo4j", "database"),
    "GRAPHCDM_TRANSPORT_URL": ("notifications", "transport_url"),
    "GRAPHCDM_METRICS_HOST": ("metrics", "host"),
}


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Return the options per group, for oslo-config-generator."""
    return [(m.GROUP, list(m.OPTS)) for m in _MODULES]


def load(config_files: list[str] | None = None, conf: cfg.ConfigOpts = CONF) -> cfg.ConfigOpts:
    """Read config files (or the default locations) and apply env overrides.

    Safe to call more than once (tests do): the second call re-reads.
    """
    conf.reset()
    _set_defaults(conf)
    args: list[str] = []
    for path in config_files or []:
        args += ["--config-file", path]
    conf(args=args, project="graphcdm", default_config_files=None if not config_files else [],
         validate_default_values=True)
    apply_env(conf)
    validate(conf)
    return conf


def validate(conf: cfg.ConfigOpts) -> None:
    """Read every registered option once, so that a bad value fails at start.

    oslo.config converts a value only when it is first read; without this a
    typo in a rarely read option would surface as a traceback mid-run.
    Raises :class:`oslo_config.cfg.Error` (e.g. ``ConfigFileValueError``).
    """
    for key in list(conf):
        value = conf[key]
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            for name in list(value):
                value[name]


def apply_env(conf: cfg.ConfigOpts = CONF, environ: dict[str, str] | None = None) -> None:
    """Apply the GRAPHCDM_* environment overrides (see :data:`ENV_OVERRIDES`)."""
    environ = os.environ if environ is None else environ
    for var, (group, name) in ENV_OVERRIDES.items():
        value = environ.get(var)
        if value is not None and value != "":
            conf.set_override(name, value, group=group)
