"""The notification bus as graphcdm's own configuration describes it.

oslo.messaging reads ``[oslo_messaging_rabbit]`` (``amqp_durable_queues``,
``rabbit_quorum_queue``, ``ssl``, ``ssl_ca_file``, ...) and
``[oslo_messaging_notifications]`` from the ConfigOpts it is handed, as in
Watcher's ``watcher/common/rpc.py`` and nova's ``nova/rpc.py``: here that is
graphcdm's own :data:`graphcdm.conf.CONF`, so everything an operator writes
in graphcdm.conf reaches the driver.

Being in :mod:`graphcdm.notifications`, whose ``__init__`` runs first, this
module (and every other one of the package) imports oslo.messaging only
after oslo.service's threading backend is selected and eventlet's banner
silenced: no warning text on a normal start of any command.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import oslo_messaging
from oslo_config import cfg

from graphcdm import redact

#: The URL used when no section names one (a local broker, as before).
DEFAULT_URL = "rabbit://guest:guest@127.0.0.1:5672/"


#: oslo.messaging's groups graphcdm uses (Kafka's stay unregistered: not a nova bus,
#: and its ssl_client_key_password is not marked secret).
_GROUPS = (None, "oslo_messaging_notifications", "oslo_messaging_rabbit")


class BusError(Exception):
    """The bus cannot work as configured; the message says what to change (no secret)."""


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every oslo.messaging option on ``conf`` (idempotent).

    oslo.messaging registers the driver's options only when a transport is
    built; registering them up front lets ``log_opt_values``, validation and
    ``graphcdm status`` see ``[oslo_messaging_rabbit]`` before that.
    """
    from oslo_messaging import opts

    # The library's own Opt objects (list_opts() hands out deep copies): a copy
    # registered here would clash with the original oslo.messaging registers later
    # once anything (nova-side test transports, the demo) changed its defaults with
    # set_transport_defaults.
    for group, options in getattr(opts, "_opts", None) or opts.list_opts():
        if group in _GROUPS:
            conf.register_opts(options, group=group)


def transport_url(conf: cfg.ConfigOpts) -> str:
    """The notification transport URL, first found of the places operators write it.

    ``[notifications] transport_url`` (or GRAPHCDM_TRANSPORT_URL), then
    ``[oslo_messaging_notifications] transport_url`` (nova's and Watcher's
    place for it), then ``[DEFAULT] transport_url``, then :data:`DEFAULT_URL`
    (oslo.messaging's own default ``rabbit://`` means the same broker, but
    names no host that a check could connect to).
    """
    register_opts(conf)
    default = conf.transport_url if conf.transport_url not in (None, "", "rabbit://") else None
    return (conf.notifications.transport_url
            or conf.oslo_messaging_notifications.transport_url
            or default
            or DEFAULT_URL)



def check_tls_files(conf: cfg.ConfigOpts) -> None:
    """With ``ssl = true`` every named certificate file must be readable.

    oslo.messaging would hand a missing file to the ssl module only at the
    first connection, deep inside its reconnect loop.
    """
    rabbit = conf.oslo_messaging_rabbit
    if not rabbit.ssl:
        return
    for name in ("ssl_ca_file", "ssl_cert_file", "ssl_key_file"):
        path = getattr(rabbit, name)
        if path and not os.access(path, os.R_OK):
            raise BusError(f"[oslo_messaging_rabbit] {name} = {path} cannot be read")


def notification_transport(conf: cfg.ConfigOpts) -> Any:
    """oslo.messaging's notification transport, built from ``conf`` as nova builds its own."""
    register_opts(conf)
    check_tls_files(conf)
    # No set_transport_defaults(control_exchange=...): graphcdm's targets name
    # [notifications] exchange, and changing the library's defaults after
    # register_opts would make its own registration clash with ours.
    try:
        return oslo_messaging.get_notification_transport(conf, url=transport_url(conf))
    except oslo_messaging.InvalidTransportURL as exc:
        raise BusError(f"invalid transport URL {redact.url(transport_url(conf))}: "
                       f"{type(exc).__name__}") from None


def expected_durable(conf: cfg.ConfigOpts) -> bool:
    """Whether oslo.messaging declares the exchange and queues durable (its own rule:
    ``amqp_durable_queues or rabbit_quorum_queue``, impl_rabbit.Connection.durable)."""
    rabbit = conf.oslo_messaging_rabbit
    return bool(rabbit.amqp_durable_queues or rabbit.rabbit_quorum_queue)


def _ssl_params(conf: cfg.ConfigOpts, hostname: str) -> Any:
    """kombu's ``ssl`` argument, as oslo.messaging's ``_fetch_ssl_params`` builds it."""
    rabbit = conf.oslo_messaging_rabbit
    if not rabbit.ssl:
        return False
    params: dict[str, Any] = {}
    if rabbit.ssl_key_file:
        params["keyfile"] = rabbit.ssl_key_file
    if rabbit.ssl_cert_file:
        params["certfile"] = rabbit.ssl_cert_file
    if rabbit.ssl_ca_file:
        params["ca_certs"] = rabbit.ssl_ca_file
        params["cert_reqs"] = ssl.CERT_REQUIRED
        params["server_hostname"] = hostname
    return params or True


def probe(conf: cfg.ConfigOpts, timeout: float = 5.0) -> str:
    """Connect to the first reachable broker and check the exchange; return a verdict.

    Raises :class:`BusError` with one line (never a password) when no broker
    answers, TLS fails, or nova's exchange exists with a durability other than
    the one oslo.messaging would declare (RabbitMQ's ``406 PRECONDITION_FAILED
    - inequivalent arg 'durable'``, which oslo.messaging retries forever).
    A missing exchange is fine: the listener declares it.
    """
    import amqp.exceptions
    import kombu

    register_opts(conf)
    check_tls_files(conf)
    url = transport_url(conf)
    parsed = oslo_messaging.TransportURL.parse(conf, url)
    if parsed.transport not in ("rabbit", "amqp", "kombu"):
        return f"{parsed.transport}:// is not checked"
    errors = []
    for host in parsed.hosts:
        conn = kombu.Connection(hostname=host.hostname, port=host.port or 5672,
                                userid=host.username or "guest",
                                password=host.password or "guest",
                                virtual_host=parsed.virtual_host or "/",
                                ssl=_ssl_params(conf, host.hostname),
                                connect_timeout=timeout)
        try:
            conn.connect()
        except Exception as exc:  # noqa: BLE001 - any failure means "this host is down"
            errors.append(f"{host.hostname}:{host.port or 5672}: {_reason(exc, host.password)}")
            conn.release()
            continue
        try:
            return _check_exchange(conf, conn, amqp.exceptions)
        finally:
            conn.release()
    raise BusError("no broker reachable: " + ("; ".join(errors) or "no host in the URL"))


def _check_exchange(conf: cfg.ConfigOpts, conn: Any, errors: Any) -> str:
    name = conf.notifications.exchange
    durable = expected_durable(conf)
    kind = "durable" if durable else "non-durable"
    channel = conn.channel()
    try:
        channel.exchange_declare(name, "topic", passive=True)
    except errors.NotFound:
        return f"connected; exchange {name} not declared yet (the listener declares it {kind})"
    channel = conn.channel()  # a failed passive declare closed the first one
    try:
        channel.exchange_declare(name, "topic", durable=durable,
                                 auto_delete=conf.oslo_messaging_rabbit.amqp_auto_delete)
    except errors.PreconditionFailed:
        other = "non-durable" if durable else "durable"
        option = ("amqp_durable_queues = false (and rabbit_quorum_queue = false)" if durable
                  else "amqp_durable_queues = true (or rabbit_quorum_queue = true)")
        raise BusError(f"exchange {name} exists {other} but graphcdm would declare it {kind}: "
                       f"set [oslo_messaging_rabbit] {option} as nova has it") from None
    return f"connected; exchange {name} is {kind} as configured"


def _reason(exc: BaseException, password: str | None) -> str:
    """One line about a failure, with the password removed should a library echo it."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0][:200] if str(exc) else type(exc).__name__
    if password:
        text = text.replace(password, "***")
    return text
