"""Configuration: options, environment overrides, secrets, the sample file."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner
from oslo_config import cfg

from graphcdm import cli
from graphcdm import conf as conf_mod

REPO = Path(__file__).resolve().parents[2]


def _fresh() -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    for group, opts in conf_mod.list_opts():
        conf.register_opts(opts, group=group)
    conf([], project="graphcdm-test", default_config_files=[])
    return conf


def test_environment_overrides_the_neo4j_section():
    conf = _fresh()
    conf_mod.apply_env(conf, {"GRAPHCDM_NEO4J_URI": "bolt://db.example:7687",
                              "GRAPHCDM_NEO4J_USER": "watcher",
                              "GRAPHCDM_NEO4J_PASSWORD": "s3cret-pw"})
    assert conf.neo4j.uri == "bolt://db.example:7687"
    assert conf.neo4j.user == "watcher"
    assert conf.neo4j.password == "s3cret-pw"


def test_empty_environment_value_keeps_the_file_value():
    conf = _fresh()
    conf_mod.apply_env(conf, {"GRAPHCDM_NEO4J_URI": ""})
    assert conf.neo4j.uri == "bolt://127.0.0.1:7687"


def test_secrets_are_masked_when_the_config_is_logged(caplog):
    conf = _fresh()
    conf_mod.apply_env(conf, {"GRAPHCDM_NEO4J_PASSWORD": "s3cret-pw",
                              "GRAPHCDM_TRANSPORT_URL": "rabbit://u:bus-pw@mq:5672/"})
    with caplog.at_level(logging.DEBUG):
        conf.log_opt_values(logging.getLogger("t"), logging.DEBUG)
    assert "s3cret-pw" not in caplog.text and "bus-pw" not in caplog.text
    assert "neo4j.password" in caplog.text


def test_help_never_shows_a_password(monkeypatch):
    monkeypatch.setenv("GRAPHCDM_NEO4J_PASSWORD", "s3cret-pw")
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    assert "s3cret-pw" not in result.output
    assert "GRAPHCDM_NEO4J_PASSWORD" in result.output


def test_every_group_is_listed_for_the_generator():
    groups = {group for group, _ in conf_mod.list_opts()}
    assert {"neo4j", "notifications", "nova", "sync"} <= groups


def test_the_sample_documents_oslo_messaging_and_oslo_log():
    """Operators configure the broker and logging in graphcdm.conf, as for nova."""
    sample = (REPO / "etc" / "graphcdm" / "graphcdm.conf.sample").read_text()
    for option in ("amqp_durable_queues", "rabbit_quorum_queue", "ssl_ca_file",
                   "heartbeat_timeout_threshold", "log_file", "use_journal", "use_json",
                   "log_config_append", "default_log_levels"):
        assert f"#{option} =" in sample, option
    assert "[oslo_messaging_rabbit]" in sample and "[oslo_messaging_notifications]" in sample


def test_sample_config_is_up_to_date(tmp_path):
    out = tmp_path / "graphcdm.conf.sample"
    generator = REPO / "etc" / "oslo-config-generator" / "graphcdm.conf"
    subprocess.run([sys.executable, "-m", "oslo_config.generator", "--config-file",
                    str(generator), "--output-file", str(out)], check=True, cwd=REPO)
    committed = (REPO / "etc" / "graphcdm" / "graphcdm.conf.sample").read_text()
    assert out.read_text() == committed, "run: tox -e genconfig"


def test_docker_compose_wires_the_listener_to_neo4j_and_rabbitmq():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert "healthcheck" in services["neo4j"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3-management")
    listener = services["graphcdm-listener"]
    assert listener["build"] == "."
    assert listener["environment"]["GRAPHCDM_NEO4J_URI"] == "bolt://neo4j:7687"
    assert set(listener["depends_on"]) == {"neo4j", "rabbitmq"}
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["graphcdm"]' in dockerfile


def test_every_registered_command_explains_itself():
    runner = CliRunner()
    for name in cli.COMMANDS:
        result = runner.invoke(cli.main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert len(result.output.splitlines()) > 3, name
    listing = runner.invoke(cli.main, ["--help"]).output
    assert all(name in listing for name in cli.COMMANDS)


def test_logs_go_to_stderr_after_every_load():
    """stdout is the output of export, query and sync --json: oslo.log must not write
    there. ``ConfigOpts.reset()`` (every load) clears set_default, so load sets it again."""
    conf = conf_mod.load([])
    assert conf.use_stderr is True
    conf = conf_mod.load([])
    assert conf.use_stderr is True
