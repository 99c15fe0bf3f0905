"""The Neo4j driver, built from configuration.

Credentials come from oslo.config or the GRAPHCDM_NEO4J_* environment and
are handed to the driver only; nothing here logs them, and every error
message built here has the password taken out (the driver echoes a URI
holding ``user:password@`` verbatim).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import neo4j
import neo4j.exceptions
from oslo_config import cfg

from graphcdm import redact

#: bolt+s / neo4j+s with [neo4j] ca_file: the driver takes custom trust only with
#: the plain schemes, so graphcdm connects with those and ``encrypted=True``.
_TLS_SCHEMES = {"bolt+s": "bolt", "neo4j+s": "neo4j"}


class Unavailable(Exception):
    """Neo4j cannot be reached or refuses us; one line, no password."""


def _split_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``scheme://user:pw@host`` -> (``scheme://host``, user, password)."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri, None, None
    where, slash, tail = rest.partition("/")
    cred, at, host = where.rpartition("@")
    if not at:
        return uri, None, None
    user, colon, password = cred.partition(":")
    return f"{scheme}://{host}{slash}{tail}", unquote(user), unquote(password) if colon else None


def _password(conf: cfg.ConfigOpts) -> str:
    return conf.neo4j.password or (_split_uri(conf.neo4j.uri)[2] or "")


def connect(conf: cfg.ConfigOpts, *, timeout: float | None = None,
            **driver_options: Any) -> neo4j.Driver:
    """A driver for ``[neo4j]``; no authentication when no password is configured.

    ``timeout`` caps the connection and acquisition timeouts (one-shot
    commands use ``[neo4j] check_timeout`` so that a dead server fails them
    in seconds). A ``user:password@`` in the URI is accepted and moved to the
    driver's auth, which does not take userinfo in a URI. ``driver_options``
    are extra neo4j driver settings of one caller (the Watcher collector
    bounds ``connection_acquisition_timeout``).
    """
    c = conf.neo4j
    uri, uri_user, uri_password = _split_uri(c.uri)
    password = c.password or uri_password or ""
    user = uri_user if (uri_user and not c.password) else c.user
    auth = (user, password) if password else None
    options: dict = {}
    scheme = uri.partition("://")[0]
    ca_file = getattr(c, "ca_file", "")  # Watcher's collector group may not have it
    if ca_file:
        if scheme not in _TLS_SCHEMES:
            raise Unavailable(f"[neo4j] ca_file needs a bolt+s:// or neo4j+s:// uri, not {scheme}://")
        uri = _TLS_SCHEMES[scheme] + uri[len(scheme):]
        options.update(encrypted=True, trusted_certificates=neo4j.TrustCustomCAs(ca_file))
    connection_timeout = c.connection_timeout
    if timeout is not None:
        connection_timeout = min(connection_timeout, timeout)
        options["connection_acquisition_timeout"] = timeout
        options["max_transaction_retry_time"] = 0.0
    settings = {"max_connection_pool_size": c.max_connection_pool_size,
                "connection_timeout": connection_timeout,
                "max_transaction_retry_time": c.max_transaction_retry_time,
                "user_agent": "graphcdm", "notifications_min_severity": "OFF"}
    settings.update(options)
    settings.update(driver_options)
    try:
        return neo4j.GraphDatabase.driver(uri, auth=auth, **settings)
    except (neo4j.exceptions.ConfigurationError, ValueError, OSError) as exc:
        raise Unavailable(describe(exc, conf)) from None


def check(driver: neo4j.Driver, conf: cfg.ConfigOpts) -> None:
    """One round trip to the server, or :class:`Unavailable` with one line.

    Fails on a closed port, a TLS mismatch (bolt+s:// against a plain server
    or the reverse), an unknown CA and refused credentials alike: none of them
    heals by retrying for minutes.
    """
    try:
        driver.verify_connectivity()
        with driver.session(database=conf.neo4j.database) as session:
            session.run("RETURN 1").consume()
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        raise Unavailable(f"Neo4j {redact.url(conf.neo4j.uri)} unavailable: "
                          f"{describe(exc, conf)}") from None


def describe(exc: BaseException, conf: cfg.ConfigOpts) -> str:
    """``Type: first line of the message``, the configured password removed."""
    first = " ".join(str(exc).split())[:300]
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    password = _password(conf)
    if password:
        text = text.replace(password, "***")
    uri_with_secret = conf.neo4j.uri
    return text.replace(uri_with_secret, redact.url(uri_with_secret))
