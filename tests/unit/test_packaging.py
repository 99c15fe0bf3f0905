"""Packaging facts checkable without building: the Cypher loader sees every
statement file, the schema step refuses an install without schema, and the
code is Python 3.10 code, as setup.cfg's python_requires claims.

The built wheel and sdist are checked by tests/functional/test_install.py.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from pathlib import Path

import pytest

from graphcdm.graph import cypher
from graphcdm.graph.writer import GraphWriter

REPO = Path(__file__).resolve().parents[2]

#: Standard-library names that appeared after Python 3.10 (what a 3.10
#: interpreter lacks although the syntax parses): module -> attributes, or
#: None for the whole module. A vermin-like check for what the code could use.
AFTER_310: dict[str, set[str] | None] = {
    "tomllib": None,
    "wsgiref.types": None,
    "datetime": {"UTC"},
    "typing": {"Self", "LiteralString", "Never", "assert_never", "reveal_type", "Required",
               "NotRequired", "TypeVarTuple", "Unpack", "dataclass_transform", "override",
               "get_overloads", "clear_overloads", "assert_type", "TypeAliasType"},
    "enum": {"StrEnum", "ReprEnum", "verify", "member", "nonmember", "global_enum",
             "EnumCheck", "FlagBoundary", "property"},
    "asyncio": {"TaskGroup", "timeout", "timeout_at", "Runner", "Barrier"},
    "contextlib": {"chdir"},
    "hashlib": {"file_digest"},
    "operator": {"call"},
    "itertools": {"batched"},
    "math": {"cbrt", "exp2"},
    "importlib.resources.abc": None,
}
BUILTINS_AFTER_310 = {"ExceptionGroup", "BaseExceptionGroup"}


def test_every_statement_file_loads_by_name():
    """cypher/ (top level, queries/, schema/, sync/): each file by its name, verbatim."""
    files = sorted(p for p in (REPO / "cypher").rglob("*.cypher"))
    assert len(files) > 50
    folders = {p.parent.relative_to(REPO / "cypher").as_posix() for p in files}
    listed = {n for f in folders for n in cypher.names("" if f == "." else f)}
    on_disk = {p.relative_to(REPO / "cypher").with_suffix("").as_posix() for p in files}
    assert listed == on_disk
    for name in sorted(on_disk):
        assert cypher.load(name) == (REPO / "cypher" / f"{name}.cypher").read_text("utf-8")
    assert {"schema", "sync", "queries"} <= folders


@pytest.mark.parametrize("name", ["../setup", "queries/../reset", "/etc/passwd", "", "a//b"])
def test_a_name_cannot_leave_the_statement_folder(name):
    with pytest.raises(KeyError):
        cypher.load(name)


def test_ensure_schema_refuses_an_install_without_schema(monkeypatch):
    """No schema statement found: raise before running anything (the driver is never used)."""
    monkeypatch.setattr(cypher, "names", lambda folder="": [])
    with pytest.raises(RuntimeError, match="no schema statement"):
        GraphWriter(driver=None).ensure_schema()


def test_python_requires_is_310():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    assert cfg["options"]["python_requires"].strip() == ">=3.10"


def test_the_code_parses_as_python_310():
    """ruff reports syntax a 3.10 interpreter refuses (except*, PEP 695/701 ...)."""
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run([str(ruff), "check", "--no-cache", "--isolated", "--target-version",
                           "py310", "--select", "E9", "graphcdm", "tests", "cypher"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _uses_after_310(tree: ast.AST) -> list[str]:
    found = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name] = a.name
                if a.name in AFTER_310 and AFTER_310[a.name] is None:
                    found.append(f"import {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            new = AFTER_310.get(node.module, set())
            for a in node.names:
                if new is None or a.name in new:
                    found.append(f"from {node.module} import {a.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            if module and node.attr in (AFTER_310.get(module) or set()):
                found.append(f"{module}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in BUILTINS_AFTER_310:
            found.append(node.id)
    return found


def test_runtime_code_uses_no_standard_library_name_newer_than_310():
    """What ruff cannot see: stdlib modules and names added in 3.11+ (tomllib, datetime.UTC...).

    Imports under ``if TYPE_CHECKING:`` are skipped: they never run.
    """
    problems = []
    for path in sorted((REPO / "graphcdm").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in list(ast.walk(tree)):
            if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                    and node.test.id == "TYPE_CHECKING"):
                node.body = [ast.Pass()]
        problems += [f"{path.relative_to(REPO)}: {u}" for u in _uses_after_310(tree)]
    assert problems == []


def test_the_newer_name_check_can_fail():
    assert _uses_after_310(ast.parse("import tomllib\nfrom datetime import UTC\n"
                                     "import typing as t\nx: t.Self\nExceptionGroup")) == [
        "import tomllib", "from datetime import UTC", "typing.Self", "ExceptionGroup"]


def test_the_image_installs_the_wheel_and_checks_its_health():
    """Multi-stage: the wheel built from the checkout, installed alone; HEALTHCHECK on /healthz."""
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "python -m build --wheel" in dockerfile
    assert "pip install --no-cache-dir /tmp/dist/graphcdm-*.whl" in final
    assert "COPY . ." not in final  # no source tree in the image
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert "USER graphcdm" in final


def test_compose_requires_its_passwords_and_mounts_the_config():
    import yaml

    text = (REPO / "docker-compose.yml").read_text()
    services = yaml.safe_load(text)["services"]
    listener = services["graphcdm-listener"]
    env = listener["environment"]
    for value in (services["neo4j"]["environment"]["NEO4J_AUTH"], env["GRAPHCDM_NEO4J_PASSWORD"],
                  services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"],
                  env["GRAPHCDM_TRANSPORT_URL"]):
        assert ":?" in value and ":-" not in value, value  # required, never a default
    assert "/healthz" in " ".join(listener["healthcheck"]["test"])
    assert "./etc/graphcdm:/etc/graphcdm:ro" in listener["volumes"]
    assert "./etc/openstack:/etc/openstack:ro" in listener["volumes"]
    ignored = (REPO / ".gitignore").read_text().split()
    assert {".env", "etc/graphcdm/graphcdm.conf", "etc/openstack/"} <= set(ignored)
    example = (REPO / ".env.example").read_text()
    assert "NEO4J_PASSWORD=\n" in example and "RABBITMQ_PASSWORD=\n" in example
