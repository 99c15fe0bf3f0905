"""Credentials out of what is shown: the one URL redaction of graphcdm.

Every URL that reaches a log line, an error message, /healthz or the
demo's screen goes through :func:`url`, so a password never does. A
transport URL may name several hosts, each with its own credentials
(``rabbit://u:p@h1,u:p@h2/vhost``): each host's password is replaced.
"""

from __future__ import annotations


def url(text: str) -> str:
    """``text`` with the password of every ``user:password@host`` replaced by ``***``."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    hosts, slash, tail = rest.partition("/")
    clean = []
    for host in hosts.split(","):
        cred, at, where = host.rpartition("@")
        user = cred.partition(":")[0]
        clean.append(f"{user}:***@{where}" if at else where)
    return f"{scheme}://{','.join(clean)}{slash}{tail}"
