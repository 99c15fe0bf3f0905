"""A real Neo4j 5.26 Community server on this machine, without Docker.

Why: tests, the demo and operators trying graphcdm need a real Neo4j, and
neither Docker nor Neo4j's tarball can be had everywhere, but Maven Central
can. ``org.neo4j:neo4j`` (Community) brings the whole server (Bolt, HTTP,
admin CLI) and ``org.neo4j.client:neo4j-browser`` the Browser; Maven
resolves them once into a cache, and the server runs as one JVM
(``org.neo4j.server.CommunityEntryPoint --console-mode``) whose pid we
record, so ``stop`` stops only what ``start`` started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

#: The Neo4j release and Browser we run (5.26 is the last line on Java 17).
NEO4J_VERSION = "5.26.30"
BROWSER_VERSION = "5.24.0"

_JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+AlwaysPreTouch",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]

_MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"


class Neo4jLocalError(RuntimeError):
    """Something the operator must fix; the message says what."""


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "graphcdm" / "neo4j"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "graphcdm"


@dataclass
class Settings:
    """Where the server lives and how it listens."""

    home: Path = field(default_factory=_default_home)
    cache: Path = field(default_factory=_default_cache)
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"
    version: str = NEO4J_VERSION
    #: authentication on (user neo4j, initial password neo4j, to be changed
    #: at first login): fault tests rotate credentials; off by default
    auth: bool = False

    @property
    def lib(self) -> Path:
        return self.cache / f"neo4j-{self.version}" / "lib"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "graphcdm-neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


def require_tools(*tools: str) -> dict[str, str]:
    """Paths of the tools, or a clear error naming the Debian package."""
    packages = {"java": "openjdk-17-jre-headless", "mvn": "maven"}
    found = {}
    for tool in tools:
        path = shutil.which(tool)
        if not path:
            raise Neo4jLocalError(
                f"{tool} not found on PATH; install it with: apt-get install {packages[tool]}")
        found[tool] = path
    return found


def resolve(settings: Settings, log=print) -> Path:
    """Resolve the server's jars into the cache once (Maven); reuse after.

    The marker file is written last, so an interrupted resolution is redone.
    """
    marker = settings.lib / ".complete"
    if marker.is_file():
        return settings.lib
    mvn = require_tools("mvn")["mvn"]
    settings.lib.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lib.", dir=settings.lib.parent))
    log(f"Resolving Neo4j {settings.version} Community from Maven Central "
        f"into {settings.lib} (first time only) ...")
    started = time.monotonic()
    with resources.as_file(resources.files("graphcdm") / "data" / "neo4j-server.pom.xml") as pom:
        cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
               "-DincludeScope=runtime", "-DexcludeTypes=pom",
               f"-Dneo4j.version={settings.version}",
               f"-Dneo4j.browser.version={BROWSER_VERSION}",
               f"-DoutputDirectory={staging}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise Neo4jLocalError("Maven could not resolve Neo4j:\n" + "\n".join(tail))
    if settings.lib.exists():
        shutil.rmtree(settings.lib)
    staging.rename(settings.lib)
    size = sum(p.stat().st_size for p in settings.lib.iterdir()) / 2**20
    marker.write_text(f"{settings.version}\n")
    log(f"Resolved {len(list(settings.lib.glob('*.jar')))} jars ({size:.0f} MiB) "
        f"in {time.monotonic() - started:.1f}s")
    return settings.lib


def neo4j_conf(settings: Settings) -> str:
    """The server's neo4j.conf: loopback only, no auth (unless asked), no routing,
    no telemetry.

    Only keys Neo4j 5.26 knows: strict validation aborts start-up otherwise.
    """
    home = settings.home
    lines = {
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{settings.bolt_port}",
        "server.bolt.advertised_address": f"127.0.0.1:{settings.bolt_port}",
        "server.http.listen_address": f"127.0.0.1:{settings.http_port}",
        "server.http.advertised_address": f"127.0.0.1:{settings.http_port}",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true" if settings.auth else "false",
        "dbms.routing.enabled": "false",
        "dbms.usage_report.enabled": "false",
        "server.memory.heap.initial_size": settings.heap,
        "server.memory.heap.max_size": settings.heap,
        "server.memory.pagecache.size": settings.pagecache,
        "server.directories.data": str(home / "data"),
        "server.directories.logs": str(home / "logs"),
        "server.directories.run": str(home / "run"),
        "server.directories.plugins": str(home / "plugins"),
        "server.directories.import": str(home / "import"),
        "db.tx_log.rotation.retention_policy": "1 files",
        "server.jvm.additional": "\nserver.jvm.additional=".join(_JVM_FLAGS),
    }
    return "# Written by `graphcdm neo4j start`; rewritten at every start.\n" + "".join(
        f"{key}={value}\n" for key, value in lines.items())


def running_pid(settings: Settings) -> int | None:
    """The pid of the server we started, when that process still runs."""
    try:
        pid = int(settings.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if _MAIN_CLASS.encode() in cmdline else None


def bolt_answers(uri: str, timeout: float = 3.0) -> bool:
    """True when a Bolt server answers at ``uri`` (no auth needed: a server
    asking for credentials answers too)."""
    import neo4j

    try:
        with neo4j.GraphDatabase.driver(uri, auth=None, connection_timeout=timeout) as driver:
            driver.verify_connectivity()
        return True
    except neo4j.exceptions.AuthError:
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def start(settings: Settings, log=print, timeout: float = 120.0) -> str:
    """Start the server unless ours already runs; wait for Bolt; return its URI."""
    pid = running_pid(settings)
    if pid and bolt_answers(settings.bolt_uri):
        log(f"Neo4j already running (pid {pid}) at {settings.bolt_uri}")
        return settings.bolt_uri
    if pid is not None:
        # Ours, from this home, but not answering on these ports: another
        # start would fail on the store lock and must not take the pid file
        # (stop and status would lose track of the running server).
        raise Neo4jLocalError(f"a Neo4j started from {settings.home} (pid {pid}) is running "
                              f"but does not answer at {settings.bolt_uri}: it uses other "
                              "ports or is still starting; stop it first, or use another "
                              "--home")
    if _port_open(settings.bolt_port):
        raise Neo4jLocalError(f"port {settings.bolt_port} is taken by another process; "
                              "choose --bolt-port or stop it")
    java = require_tools("java")["java"]
    lib = resolve(settings, log)
    home = settings.home
    for sub in ("conf", "data", "logs", "run", "plugins", "import"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(neo4j_conf(settings))
    cmd = [java, f"-Xms{settings.heap}", f"-Xmx{settings.heap}", *_JVM_FLAGS,
           "-cp", f"{home / 'plugins'}/*:{home / 'conf'}/*:{lib}/*", _MAIN_CLASS,
           f"--home-dir={home}", f"--config-dir={home / 'conf'}", "--console-mode"]
    started = time.monotonic()
    with open(settings.console_log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=home, start_new_session=True)
    settings.pid_file.write_text(f"{proc.pid}\n")
    while not bolt_answers(settings.bolt_uri, timeout=2.0):
        if proc.poll() is not None:
            settings.pid_file.unlink(missing_ok=True)  # it named only this dead process
            raise Neo4jLocalError(f"Neo4j exited with status {proc.returncode}; "
                                  f"see {settings.console_log}:\n" + _tail(settings.console_log))
        if time.monotonic() - started > timeout:
            raise Neo4jLocalError(f"Bolt did not answer within {timeout:.0f}s; "
                                  f"see {settings.console_log}")
        time.sleep(0.25)
    log(f"Neo4j {settings.version} started (pid {proc.pid}) in "
        f"{time.monotonic() - started:.1f}s: {settings.bolt_uri}, Browser {settings.browser_url}")
    return settings.bolt_uri


def stop(settings: Settings, log=print, timeout: float = 60.0) -> bool:
    """Stop the server we started (SIGTERM, then SIGKILL); False if none ran."""
    pid = running_pid(settings)
    if pid is None:
        log("Neo4j is not running (no server started by graphcdm here)")
        settings.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running_pid(settings) == pid and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_pid(settings) == pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    settings.pid_file.unlink(missing_ok=True)
    log(f"Neo4j stopped (pid {pid})")
    return True


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
