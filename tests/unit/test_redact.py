"""The one URL redaction (graphcdm.redact): no password is ever shown."""

from __future__ import annotations

import pytest

from graphcdm import redact


def test_every_host_of_a_multi_host_transport_url_loses_its_password():
    url = "rabbit://nova:s3cret@rabbit1:5672,nova:0ther@rabbit2:5672/vhost?ssl=1"
    out = redact.url(url)
    assert "s3cret" not in out and "0ther" not in out
    assert out == "rabbit://nova:***@rabbit1:5672,nova:***@rabbit2:5672/vhost?ssl=1"


@pytest.mark.parametrize("url,shown", [
    ("fake://", "fake://"),
    ("rabbit://h:5672/", "rabbit://h:5672/"),
    ("bolt://127.0.0.1:7687", "bolt://127.0.0.1:7687"),
    ("neo4j://neo4j:pw@db.example:7687", "neo4j://neo4j:***@db.example:7687"),
    ("rabbit://guest:p@ss@h1/", "rabbit://guest:***@h1/"),  # '@' inside the password
    ("not a url", "not a url"),
])
def test_urls(url, shown):
    assert redact.url(url) == shown
