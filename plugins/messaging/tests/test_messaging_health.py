"""/healthz checks the bus when messaging is enabled: up with the real RabbitMQ, 503 naming
the bus when the configured broker does not answer."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gatekeeper_messaging.plugin import HEALTH_TIMEOUT
from messaging_helpers import AMQP_URL, POLICY, require_rabbitmq

from gatekeeper.api import create_app
from gatekeeper.service import Gatekeeper

pytestmark = pytest.mark.rabbitmq  # the one broker (a test restarts it)


@pytest.fixture
def gk_database_url(tmp_path: Path) -> str:
    """The bus check does not depend on the store: SQLite only."""
    return f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"


@pytest.fixture
def policies(gk_policies: Any) -> Path:
    return Path(gk_policies(t_functional=POLICY))


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    return gk_app


def with_broker(app: Gatekeeper, tmp_path: Path, amqp_url: str) -> Gatekeeper:
    """Enable messaging, publishing through a fedora-messaging file naming ``amqp_url``."""
    conf = tmp_path / "fedora-messaging.toml"
    conf.write_text(f'amqp_url = "{amqp_url}"\npublish_exchange = "amq.topic"\n', "utf-8")
    messaging = {"enabled": True, "fedora_messaging_config": str(conf)}
    app.settings = replace(app.settings, sections={"messaging": messaging})
    return app


def healthz(app: Gatekeeper) -> tuple[int, dict[str, Any], float]:
    with TestClient(create_app(app)) as client:
        started = time.monotonic()
        response = client.get("/healthz")
        return response.status_code, response.json(), time.monotonic() - started


def test_messaging_healthz_has_no_bus_check_when_messaging_is_off(app: Gatekeeper) -> None:
    assert healthz(app)[:2] == (200, {"status": "ok", "checks": {"store": "ok"}})


def test_messaging_healthz_says_the_bus_is_up(app: Gatekeeper, tmp_path: Path) -> None:
    require_rabbitmq()
    status, body, _ = healthz(with_broker(app, tmp_path, AMQP_URL))
    assert (status, body) == (200, {"status": "ok", "checks": {"store": "ok", "bus": "ok"}})
    create_app(app)  # a second web application on the app does not add a second check
    assert [check.__name__ for check in app.health_checks] == ["bus"]


def test_messaging_healthz_is_503_naming_the_bus_when_the_broker_is_down(
    app: Gatekeeper, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, body, took = healthz(with_broker(app, tmp_path, f"amqp://u:p@127.0.0.1:{port}/%2F"))
    assert status == 503
    assert body["status"] == "failing" and body["checks"]["store"] == "ok"
    assert body["checks"]["bus"].startswith(
        f"ConnectionError: broker 127.0.0.1:{port} unreachable: "
    ), body
    assert "Connection refused" in body["checks"]["bus"], body
    assert "u:p" not in body["checks"]["bus"]  # never the credentials
    assert took < HEALTH_TIMEOUT + 2
