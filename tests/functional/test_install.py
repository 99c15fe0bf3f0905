"""graphcdm as a user installs it: the wheel and the sdist, each in a fresh
virtualenv outside the checkout, then run from there against the test Neo4j
and Watcher's Nova/Placement emulators.

Why: the tests below run from the checkout, where ``cypher/`` sits beside
the package; an install that shipped only part of the statements (once: no
``schema/``, no ``sync/``) passed them all while ``ensure_schema`` created
nothing and ``graphcdm sync`` failed. Here nothing of the checkout is on the
path: the commands run in a temporary directory with the venv's own
``graphcdm`` script, and the schema is dropped first, so the constraints
found afterwards were created by the installed package.

``python -m build`` makes the sdist and then the wheel *from that sdist* (so
the sdist is proven buildable too). The venvs install the dependencies from
PyPI through pip's cache; the first run on a machine downloads them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from tests.functional.emulators import Cloud, ComputeTopology

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "nova-notification-samples" / "instance-create-end.json"
SAMPLE_UUID = "178b0921-8f85-4257-88b6-2e743b5a975c"  # nova's doc sample instance

#: What a packager needs in the sdist (paths under its top folder).
SDIST_MUST_HAVE = ["LICENSE", "README.md", "setup.cfg", "setup.py", "pyproject.toml",
                   "tox.ini", "etc/oslo-config-generator/graphcdm.conf",
                   "etc/graphcdm/graphcdm.conf.sample", "docs/ARCHITECTURE.md",
                   "tests/unit/test_packaging.py", "tests/functional/conftest.py",
                   "tests/data/nova-notification-samples/README.txt",
                   "cypher/schema/01_instance_uuid.cypher", "cypher/sync/compute_nodes.cypher",
                   "Dockerfile", "docker-compose.yml"]


def _statements() -> set[str]:
    """Every statement file of the checkout, relative to cypher/."""
    return {p.relative_to(REPO / "cypher").as_posix() for p in (REPO / "cypher").rglob("*.cypher")}


def _schema_names(kind: str) -> set[str]:
    """Names the schema statements create: kind CONSTRAINT or INDEX."""
    names = set()
    for path in (REPO / "cypher" / "schema").glob("*.cypher"):
        m = re.search(rf"CREATE {kind} (\w+)", path.read_text("utf-8"))
        if m:
            names.add(m.group(1))
    return names


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, of the checkout as it is."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=REPO)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def _version(dist: Path) -> str:
    return dist.name.split("-")[1].removesuffix(".tar.gz")


def test_the_wheel_holds_graphcdm_every_statement_and_nothing_else(dists):
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    version = _version(dists["wheel"])
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"graphcdm", f"graphcdm-{version}.dist-info", f"graphcdm-{version}.data"}
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert "benchmarks" not in packages and not any(p.startswith("tests") for p in packages)
    shipped = {n.removeprefix("graphcdm/cypher_statements/") for n in names
               if n.startswith("graphcdm/cypher_statements/") and n.endswith(".cypher")}
    assert shipped == _statements()
    assert f"graphcdm-{version}.dist-info/licenses/LICENSE" in names
    assert f"graphcdm-{version}.data/data/etc/graphcdm/graphcdm.conf.sample" in names


def test_the_sdist_holds_what_a_packager_needs(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = [p for p in SDIST_MUST_HAVE if p not in names]
    assert missing == []
    assert {f"cypher/{s}" for s in _statements()} <= names
    assert "PKG-INFO" in names  # carries the version for a build without git


#: The wheel venv's dependency set (pip freeze), reused by the sdist venv.
_RESOLVED: list[Path] = []


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def installed(request, dists, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(kind, bin folder) of a fresh venv outside the checkout with that dist installed.

    The wheel is installed as a user does (pip resolves its dependencies).
    The sdist venv then installs that same resolved set without resolving
    again (its metadata is the wheel's: the wheel was built from it) and
    builds and installs the sdist itself: half the time, the same check.
    """
    kind = request.param
    venv = tmp_path_factory.mktemp(f"venv-{kind}")
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv)
    if kind == "sdist" and _RESOLVED:
        _run([*pip, "--no-deps", "-r", str(_RESOLVED[0])], cwd=venv)
        _run([*pip, "--no-deps", str(dists[kind])], cwd=venv)
    else:
        _run([*pip, str(dists[kind])], cwd=venv)
        frozen = _run([str(venv / "bin" / "pip"), "freeze", "--exclude", "graphcdm"], cwd=venv)
        _RESOLVED.append(venv / "resolved.txt")
        _RESOLVED[0].write_text(frozen.stdout)
    yield kind, venv / "bin"


def _drop_schema(driver: neo4j.Driver) -> None:
    with driver.session() as session:
        for record in session.run("SHOW CONSTRAINTS YIELD name").data():
            session.run(f"DROP CONSTRAINT {record['name']}").consume()  # names from the server
        for record in session.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'").data():
            session.run(f"DROP INDEX {record['name']}").consume()


def _schema(driver: neo4j.Driver) -> tuple[set[str], set[str]]:
    with driver.session() as session:
        constraints = {r["name"] for r in session.run("SHOW CONSTRAINTS YIELD name").data()}
        indexes = {r["name"] for r in session.run("SHOW INDEXES YIELD name").data()}
    return constraints, indexes


def test_installed_package_works_from_outside_the_checkout(installed, dists, writer,
                                                           neo4j_driver, neo4j_uri, tmp_path):
    """--version, status, replay, export, query --list and sync, with the schema made by the
    install."""
    kind, bin_dir = installed
    graphcdm = str(bin_dir / "graphcdm")
    cloud = Cloud(ComputeTopology().add_computes(count=2)
                  .add_instances(computes=["compute-1"], count=2, vcpus=1, memory=512, disk=1))
    try:
        conf_file = tmp_path / "graphcdm.conf"
        conf_file.write_text(f"[neo4j]\nuri = {neo4j_uri}\npassword =\n\n"
                             f"[metrics]\nport = 0\n\n"
                             f"[nova]\nauth_type = none\n"
                             f"compute_endpoint_override = {cloud.compute_url}\n"
                             f"placement_endpoint_override = {cloud.placement_url}\n")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("GRAPHCDM_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        cwd = tmp_path  # not the checkout: nothing of it is importable from here

        def cli(*args: str) -> subprocess.CompletedProcess:
            return _run([graphcdm, "--config-file", str(conf_file), *args], cwd=cwd, env=env)

        where = _run([str(bin_dir / "python"), "-c",
                      "import graphcdm, graphcdm.graph.cypher as c; "
                      "print(graphcdm.__file__); print(c.root())"], cwd=cwd, env=env)
        assert str(REPO) not in where.stdout and str(bin_dir.parent) in where.stdout

        assert cli("--version").stdout.strip().endswith(_version(dists[kind]))

        _drop_schema(neo4j_driver)
        assert _schema(neo4j_driver)[0] == set()

        def status() -> tuple[int, dict[str, str]]:
            done = subprocess.run([graphcdm, "--config-file", str(conf_file), "status"],
                                  cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            verdicts = {parts[1]: parts[0] for parts in
                        (line.split() for line in done.stdout.splitlines()) if len(parts) > 1}
            return done.returncode, verdicts

        rc, verdicts = status()  # the installed statements load; the schema is missing
        assert rc == 2 and verdicts.get("schema") == "failure", verdicts
        assert verdicts.get("neo4j") == "ok" and verdicts.get("cypher") == "ok", verdicts

        cli("replay", "--no-progress", "--resolve-refs", str(SAMPLE))
        constraints, indexes = _schema(neo4j_driver)
        assert _schema_names("CONSTRAINT") <= constraints
        assert _schema_names("INDEX") <= indexes
        rc, verdicts = status()  # no broker or listener here: only their checks may fail
        assert {k: v for k, v in verdicts.items() if k in ("neo4j", "schema", "cypher")} == \
            {"neo4j": "ok", "schema": "ok", "cypher": "ok"}, verdicts

        exported = json.loads(cli("export").stdout)
        assert [i["uuid"] for i in exported["instances"]] == [SAMPLE_UUID]

        listed = cli("query", "--list").stdout
        queries = sorted(s.removeprefix("queries/").removesuffix(".cypher")
                         for s in _statements() if s.startswith("queries/"))
        assert [line.split()[0] for line in listed.splitlines() if line.strip()] == queries

        cli("sync")  # the sync/ statements, against the emulated nova and placement
        synced = json.loads(cli("export").stdout)
        assert {"compute-1", "compute-2"} <= {n.get("hypervisor_hostname")
                                              for n in synced["compute_nodes"]}
        placed = {i["name"]: i["hosted_on"]["hypervisor_hostname"]
                  for i in synced["instances"] if i["name"].startswith("vm-")}
        assert placed == {"vm-1": "compute-1", "vm-2": "compute-1"}
    finally:
        cloud.stop()
