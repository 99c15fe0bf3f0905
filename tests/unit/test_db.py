"""The Neo4j driver's configuration: URIs with credentials, TLS options, error text."""

from __future__ import annotations

import pytest
from oslo_config import cfg

from graphcdm import conf as conf_mod
from graphcdm.graph import db


def _conf(**neo4j: object) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    for group, opts in conf_mod.list_opts():
        conf.register_opts(opts, group=group)
    conf([], project="graphcdm-test", default_config_files=[])
    for name, value in neo4j.items():
        conf.set_override(name, value, group="neo4j")
    return conf


def test_credentials_in_the_uri_go_to_the_driver_auth_not_the_uri():
    conf = _conf(uri="bolt://watcher:p%40ss@db.example:7687")
    driver = db.connect(conf)
    try:
        assert driver.encrypted is False
    finally:
        driver.close()
    assert db._split_uri(conf.neo4j.uri) == ("bolt://db.example:7687", "watcher", "p@ss")


def test_errors_never_echo_the_password():
    conf = _conf(uri="bolt://neo4j:pw-in-uri@127.0.0.1:1", connection_timeout=1.0)
    driver = db.connect(conf, timeout=1.0)
    try:
        with pytest.raises(db.Unavailable) as info:
            db.check(driver, conf)
    finally:
        driver.close()
    text = str(info.value)
    assert "unavailable" in text and "pw-in-uri" not in text and "\n" not in text
    assert db.describe(ValueError("bad bolt://neo4j:pw-in-uri@x"), conf).count("pw-in-uri") == 0


def test_ca_file_makes_a_bolt_s_uri_trust_that_ca(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    driver = db.connect(_conf(uri="bolt+s://db.example:7687", ca_file=str(ca)))
    try:
        assert driver.encrypted is True
    finally:
        driver.close()
    with pytest.raises(db.Unavailable, match="ca_file needs a bolt\\+s:// or neo4j\\+s:// uri"):
        db.connect(_conf(uri="bolt://db.example:7687", ca_file=str(ca)))
