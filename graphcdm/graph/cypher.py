"""Load Cypher statements by name from the ``cypher/`` folder.

Why files: the Cypher is reviewed, linted and pasted into the Neo4j Browser
as it is, and no statement is ever built from payload strings; every value
travels as a parameter. The folder stays at the top of the repository and is
installed as the data package ``graphcdm.cypher_statements`` (setup.cfg's
package_dir mapping), so a wheel, an sdist build and an editable install all
carry every statement, and this module reads them with importlib.resources
rather than from a path guessed beside the package.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: The data package the ``cypher/`` folder is installed as.
PACKAGE = "graphcdm.cypher_statements"


@functools.cache
def root() -> Traversable:
    """The folder the statements live in (installed or in the checkout)."""
    try:
        return resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise FileNotFoundError(
            f"{PACKAGE} is not installed: this install of graphcdm predates it or is "
            "incomplete; reinstall it (in a checkout: pip install -e .)") from None


def _entry(name: str) -> Traversable:
    """``name`` ("queries/instances") as a path under root(); no escaping it."""
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise KeyError(f"no Cypher statement named {name!r}")
    entry = root()
    for part in parts:
        entry = entry / part
    return entry


@functools.cache
def load(name: str) -> str:
    """The statement ``cypher/<name>.cypher`` (name may hold a sub-folder)."""
    path = _entry(f"{name}.cypher")
    if not path.is_file():
        raise KeyError(f"no Cypher statement named {name!r} in {PACKAGE}")
    return path.read_text(encoding="utf-8")


def names(folder: str = "") -> list[str]:
    """Statement names in a sub-folder, sorted (schema files run in this order)."""
    base = _entry(folder) if folder else root()
    if not base.is_dir():
        return []
    prefix = f"{folder}/" if folder else ""
    return sorted(prefix + p.name[: -len(".cypher")] for p in base.iterdir()
                  if p.is_file() and p.name.endswith(".cypher"))


def describe(name: str) -> str:
    """First comment line of a statement: its one-line description."""
    for line in load(name).splitlines():
        line = line.strip()
        if line.startswith("//"):
            return line.lstrip("/ ").strip()
    return ""
