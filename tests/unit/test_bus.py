"""The bus's configuration: oslo.messaging reads graphcdm's own ConfigOpts."""

from __future__ import annotations

import logging

import pytest
from oslo_config import cfg

from graphcdm import conf as conf_mod
from graphcdm.notifications import bus


def _fresh(**sections: dict[str, object]) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    for group, opts in conf_mod.list_opts():
        conf.register_opts(opts, group=group)
    conf([], project="graphcdm-test", default_config_files=[])
    bus.register_opts(conf)
    for group, values in sections.items():
        for name, value in values.items():
            conf.set_override(name, value, group=None if group == "DEFAULT" else group)
    return conf


def test_transport_url_is_read_where_operators_write_it():
    """[notifications] first, then nova's and Watcher's [oslo_messaging_notifications]
    (watcher/common/rpc.py: get_notification_transport(CONF)), then [DEFAULT]."""
    assert bus.transport_url(_fresh()) == bus.DEFAULT_URL
    assert bus.transport_url(_fresh(DEFAULT={"transport_url": "rabbit://d/"})) == "rabbit://d/"
    both = _fresh(DEFAULT={"transport_url": "rabbit://d/"},
                  oslo_messaging_notifications={"transport_url": "rabbit://n/"})
    assert bus.transport_url(both) == "rabbit://n/"
    both.set_override("transport_url", "rabbit://g/", group="notifications")
    assert bus.transport_url(both) == "rabbit://g/"


def test_the_driver_sees_the_broker_options_of_graphcdm_conf(tmp_path):
    path = tmp_path / "graphcdm.conf"
    path.write_text("[oslo_messaging_rabbit]\namqp_durable_queues = true\n"
                    "rabbit_quorum_queue = true\nheartbeat_timeout_threshold = 30\n")
    conf = cfg.ConfigOpts()
    for group, opts in conf_mod.list_opts():
        conf.register_opts(opts, group=group)
    conf(["--config-file", str(path)], project="graphcdm-test", default_config_files=[])
    conf.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:1/", "notifications")
    transport = bus.notification_transport(conf)
    try:
        driver_conf = transport._driver.conf.oslo_messaging_rabbit
        assert driver_conf.amqp_durable_queues and driver_conf.rabbit_quorum_queue
        assert driver_conf.heartbeat_timeout_threshold == 30
        assert bus.expected_durable(conf)
    finally:
        transport.cleanup()


def test_ssl_with_an_unreadable_ca_file_is_refused_before_connecting(tmp_path):
    conf = _fresh(oslo_messaging_rabbit={"ssl": True,
                                         "ssl_ca_file": str(tmp_path / "missing.pem")})
    with pytest.raises(bus.BusError, match="ssl_ca_file = .*missing.pem cannot be read"):
        bus.notification_transport(conf)


def test_no_broker_is_one_line_without_the_passwords():
    url = "rabbit://u1:pw-one@127.0.0.1:1,u2:pw-two@127.0.0.1:2/vh"
    conf = _fresh(notifications={"transport_url": url})
    with pytest.raises(bus.BusError) as info:
        bus.probe(conf, timeout=2)
    text = str(info.value)
    assert "no broker reachable" in text and "127.0.0.1:1" in text and "127.0.0.1:2" in text
    assert "pw-one" not in text and "pw-two" not in text and "\n" not in text


def test_logged_options_mask_every_transport_url(caplog):
    url = "rabbit://u1:pw-one@mq1:5672,u2:pw-two@mq2:5672/"
    conf = _fresh(notifications={"transport_url": url}, DEFAULT={"transport_url": url},
                  oslo_messaging_notifications={"transport_url": url})
    conf.set_override("uri", "bolt://neo4j:pw-neo@db:7687", group="neo4j")
    with caplog.at_level(logging.DEBUG):
        conf.log_opt_values(logging.getLogger("t"), logging.DEBUG)
    assert "oslo_messaging_rabbit.amqp_durable_queues" in caplog.text
    for secret in ("pw-one", "pw-two", "pw-neo"):
        assert secret not in caplog.text
