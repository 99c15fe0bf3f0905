"""A RabbitMQ node of the tests' own, set up as production brokers are.

The shared broker (5672) must never be stopped or reconfigured: tests that
restart a broker, or need TLS, start this throwaway node instead (Debian's
rabbitmq-server, its own RABBITMQ_NODENAME, ports, Mnesia and log
directories under a temporary folder, loopback only) and stop only it.
Ports: AMQP 5681, AMQPS 5682, distribution 25681 unless GRAPHCDM_TEST_AMQP_PORT
says otherwise. The node uses the invoking user's ~/.erlang.cookie, as
rabbitmqctl does.

The certificates (a CA, a server certificate for localhost/127.0.0.1 it
signed, and a second CA that signed nothing the node shows) are made here
with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from oslo_config import cfg

from graphcdm.notifications import bus
from graphcdm.notifications.bus import oslo_messaging

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path


def make_certs(folder: Path) -> Certs:
    """A CA, a localhost server certificate it signed, and an unrelated CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def ca(cn: str) -> tuple[object, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = ca("graphcdm test CA")
    _, other_cert = ca("graphcdm unrelated CA")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    out = Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                folder / "other-ca.pem")
    out.ca.write_bytes(ca_cert.public_bytes(pem))
    out.other_ca.write_bytes(other_cert.public_bytes(pem))
    out.cert.write_bytes(cert.public_bytes(pem))
    out.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    out.key.chmod(0o600)
    return out


@dataclass
class RabbitNode:
    """One broker node: :meth:`start`, :meth:`stop`, :meth:`ctl`."""

    base: Path
    amqp_port: int
    tls_port: int
    certs: Certs
    name: str = "bus-test@localhost"
    _proc: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, user: str = "guest", password: str = "guest", *, tls: bool = False) -> str:
        return f"rabbit://{user}:{password}@127.0.0.1:{self.tls_port if tls else self.amqp_port}/"

    def _env(self) -> dict[str, str]:
        return dict(os.environ,
                    RABBITMQ_NODENAME=self.name, RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                    RABBITMQ_NODE_PORT=str(self.amqp_port),
                    RABBITMQ_DIST_PORT=str(self.amqp_port + 20000),
                    RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
                    RABBITMQ_LOG_BASE=str(self.base / "log"),
                    RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
                    RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
                    RABBITMQ_PID_FILE=str(self.base / "pid"))

    def start(self, timeout: float = 180) -> None:
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"listeners.ssl.default = 127.0.0.1:{self.tls_port}\n"
            f"ssl_options.cacertfile = {self.certs.ca}\n"
            f"ssl_options.certfile = {self.certs.cert}\n"
            f"ssl_options.keyfile = {self.certs.key}\n"
            "ssl_options.verify = verify_none\n"
            "ssl_options.fail_if_no_peer_cert = false\n"
            "loopback_users = none\n")
        (self.base / "enabled_plugins").write_text("[].\n")
        log = (self.base / "server.log").open("ab")
        self._proc = subprocess.Popen([SERVER], env=self._env(), stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            done = self.ctl("await_startup", "--timeout", "10", check=False)
            if done.returncode == 0:
                return
            if self._proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"RabbitMQ node {self.name} did not start: "
                            f"{(self.base / 'server.log').read_text()[-2000:]}")
            time.sleep(1)

    def stop(self) -> None:
        if self._proc is None:
            return
        self.ctl("stop", check=False)
        try:
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._proc.kill()  # our own node only (its own process group)
            self._proc.wait(timeout=30)
        self._proc = None

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([CTL, "-q", "-n", self.name, *args], env=self._env(),
                              capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            pytest.fail(f"rabbitmqctl {' '.join(args)}: {done.stdout} {done.stderr}")
        return done


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="session")
def rabbit_node(tmp_path_factory: pytest.TempPathFactory):
    """A started node of the tests' own (plain and TLS listeners), stopped at the end."""
    if not (shutil.which(SERVER) or os.path.exists(SERVER)):
        pytest.fail(f"{SERVER} not found: install Debian's rabbitmq-server")
    port = int(os.environ.get("GRAPHCDM_TEST_AMQP_PORT", "5681"))
    if not (_free(port) and _free(port + 1)):
        pytest.fail(f"ports {port}/{port + 1} are taken: set GRAPHCDM_TEST_AMQP_PORT")
    base = tmp_path_factory.mktemp("rabbit-node")
    node = RabbitNode(base, port, port + 1, make_certs(base),
                      name=f"bus-test-{port}@localhost")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def nova_transport(url: str, exchange: str, **rabbit: Any) -> Any:
    """A notification transport configured as nova.conf's [oslo_messaging_rabbit] says,
    publishing on ``exchange`` (nova's control exchange)."""
    conf = cfg.ConfigOpts()
    conf([], project="nova-test", default_config_files=[])
    bus.register_opts(conf)  # oslo.messaging's own options, to set them before use
    conf.set_override("control_exchange", exchange)
    for name, value in rabbit.items():
        conf.set_override(name, value, group="oslo_messaging_rabbit")
    return oslo_messaging.get_notification_transport(conf, url=url)


def configure(conf: cfg.ConfigOpts, names: dict[str, str], url: str, **rabbit: Any) -> None:
    """graphcdm's options, as an operator writes them in graphcdm.conf."""
    bus.register_opts(conf)
    conf.set_override("transport_url", url, group="notifications")
    conf.set_override("exchange", names["exchange"], group="notifications")
    conf.set_override("topics", [names["versioned"], names["legacy"]], group="notifications")
    conf.set_override("pool", names["pool"], group="notifications")
    conf.set_override("batch_timeout", 0.1, group="notifications")
    conf.set_override("requeue_backoff", 0.5, group="notifications")
    for name, value in rabbit.items():
        conf.set_override(name, value, group="oslo_messaging_rabbit")
