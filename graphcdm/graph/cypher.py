"""Load Cypher statements by name from the ``cypher/`` folder.

Why files: the Cypher is reviewed, linted and pasted into the Neo4j Browser
as it is, and no statement is ever built from payload strings; every value
travels as a parameter. In a checkout the folder sits beside the package;
an installed package finds it under ``<prefix>/share/graphcdm/cypher``.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path


@functools.cache
def root() -> Path:
    """The folder the statements live in."""
    candidates = [
        Path(__file__).resolve().parents[2] / "cypher",
        Path(sys.prefix) / "share" / "graphcdm" / "cypher",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("cypher/ folder not found in " + ", ".join(map(str, candidates)))


@functools.cache
def load(name: str) -> str:
    """The statement ``cypher/<name>.cypher`` (name may hold a sub-folder)."""
    path = root() / f"{name}.cypher"
    if not path.is_file() or ".." in Path(name).parts:
        raise KeyError(f"no Cypher statement named {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


def names(folder: str = "") -> list[str]:
    """Statement names in a sub-folder, sorted (schema files run in this order)."""
    base = root() / folder if folder else root()
    prefix = f"{folder}/" if folder else ""
    return sorted(prefix + p.stem for p in base.glob("*.cypher"))


def describe(name: str) -> str:
    """First comment line of a statement: its one-line description."""
    for line in load(name).splitlines():
        line = line.strip()
        if line.startswith("//"):
            return line.lstrip("/ ").strip()
    return ""
