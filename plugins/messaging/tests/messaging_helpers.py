"""Fixtures: the real RabbitMQ (each test on its own topics and queues), consumer processes
run with ``fedora-messaging consume``, and gatekeeper configured for them.

Every test gets a unique topic prefix (``gk<hex>``), so the messages it publishes and the
queues it binds never meet another test's, even when several test runs share the broker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest

from gatekeeper.config import load_settings
from gatekeeper.service import Gatekeeper
from gatekeeper.testing import stop_processes, unavailable

AMQP_URL = os.environ.get("GATEKEEPER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
EXCHANGE = "amq.topic"
BIN = Path(sys.executable).parent
_problem: list[str] = []

POLICY = """\
team: t_functional
owns: ["t_functional.*"]
reporters: {users: [t-functional-bot]}
applies_to: {products: ["CentOS-Stream-*"]}
gates:
  - testcase: t_functional.tier0.functional
    arches: [x86_64, aarch64]
"""
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters: {users: [resultsdb]}
applies_to: {products: ["CentOS-Stream-*"]}
gates: []
"""


def require_rabbitmq() -> None:
    """Skip (fail under CI=true) when RabbitMQ cannot be reached; checked once per run."""
    if not _problem:
        try:
            pika.BlockingConnection(_params()).close()
            _problem.append("")
        except Exception as exc:  # any failure to connect is the same answer
            _problem.append(f"{type(exc).__name__}: {exc}")
    if _problem[0]:
        unavailable(f"RabbitMQ at {AMQP_URL}", _problem[0])


def _params() -> pika.URLParameters:
    params = pika.URLParameters(AMQP_URL)
    params.socket_timeout = 5
    params.blocked_connection_timeout = 10
    return params


class Bus:
    """One test's corner of the broker: its prefix, its queues, publishing and listening."""

    def __init__(self) -> None:
        self.prefix = f"gk{uuid.uuid4().hex[:10]}"
        self.connection = pika.BlockingConnection(_params())
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.queues: list[str] = []

    def topic(self, suffix: str) -> str:
        return f"{self.prefix}.{suffix}"

    def queue(self, name: str) -> str:
        full = f"{self.prefix}.{name}"
        self.queues.append(full)
        return full

    def publish(
        self,
        suffix: str,
        body: Any,
        *,
        message_id: str | None = None,
        raw: bytes | None = None,
        encoding: str = "utf-8",
        headers: dict[str, Any] | None = None,
        omit_id: bool = False,
    ) -> str:
        """Publish as a fedora-messaging publisher does (persistent, with its headers);
        ``headers`` replace some of them, ``raw`` the JSON of ``body``; ``omit_id``: with no
        message id (the id returned is the one it would have had)."""
        message_id = message_id or str(uuid.uuid4())
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding=encoding,
            delivery_mode=2,
            message_id=None if omit_id else message_id,
            headers={
                "fedora_messaging_schema": "base.message",
                "fedora_messaging_severity": 20,
                "sent-at": "2026-11-24T06:00:00+00:00",
                **(headers or {}),
            },
        )
        data = raw if raw is not None else json.dumps(body).encode()
        self.channel.basic_publish(EXCHANGE, self.topic(suffix), data, properties)
        return message_id

    def listen(self, suffix: str) -> Listener:
        name = self.queue(f"listen.{len(self.queues)}")
        self.channel.queue_declare(name, durable=False, auto_delete=False)
        self.channel.queue_bind(name, EXCHANGE, routing_key=self.topic(suffix))
        return Listener(self, name)

    def depth(self, queue: str) -> int:
        return int(self.channel.queue_declare(queue, passive=True).method.message_count)

    def close(self) -> None:
        try:
            for name in self.queues:
                self.channel.queue_delete(name)
            self.connection.close()
        except Exception:  # the broker went away (a restart test): the queues go with it
            pass


class Listener:
    def __init__(self, bus: Bus, queue: str) -> None:
        self.bus, self.queue = bus, queue

    def take(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait for ``count`` messages; returns them as ``{"topic", "id", "body"}``."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            method, properties, body = self.bus.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.bus.connection.sleep(0.05)
                continue
            got.append(
                {
                    "topic": method.routing_key,
                    "id": properties.message_id,
                    "schema": (properties.headers or {}).get("fedora_messaging_schema"),
                    "body": json.loads(body),
                }
            )
        return got


@pytest.fixture
def bus() -> Iterator[Bus]:
    require_rabbitmq()
    found = Bus()
    yield found
    found.close()


def consumer_conf(
    tmp_path: Path,
    bus: Bus,
    queue: str,
    *,
    identities: dict[str, str] | None = None,
    prefixes: bool = True,
) -> Path:
    """A fedora-messaging configuration for one test's consumer: its queue, bound to the
    test's topics, and ``[consumer_config]`` reading the test's prefix (``prefixes=False``:
    no ``topic_prefixes``, the consumer derives them from the bindings)."""
    identities = identities or {
        "*.pungi.compose.status.change": "pungi",
        "*.compose.published": "releng",
        "*.ci.productmd-compose.test.*": "t-functional-bot",
        "*.resultsdb.result.new": "resultsdb",
    }
    p = bus.prefix
    keys = ", ".join(
        f'"{p}.{k}"'
        for k in (
            "pungi.compose.status.change",
            "ci.productmd-compose.test.*",
            "resultsdb.result.new",
            "compose.published",
            "other.#",
        )
    )
    ids = "\n".join(
        f'"{glob.replace("*.", p + ".", 1)}" = "{name}"' for glob, name in identities.items()
    )
    text = f"""\
amqp_url = "{AMQP_URL}"
publish_exchange = "{EXCHANGE}"
topic_prefix = ""
[client_properties]
app = "gatekeeper-test"
[queues."{queue}"]
durable = true
auto_delete = false
exclusive = false
arguments = {{}}
[[bindings]]
queue = "{queue}"
exchange = "{EXCHANGE}"
routing_keys = [{keys}]
[consumer_config]
{f'topic_prefixes = ["{p}"]' if prefixes else ""}
published_topic = "compose.published"
retry_delay = 0.2
dispatch_interval = 0.5
[consumer_config.identities]
{ids}
[qos]
prefetch_size = 0
prefetch_count = 25
[log_config]
version = 1
disable_existing_loggers = false
[log_config.formatters.simple]
format = "%(asctime)s %(levelname)s %(name)s %(message)s"
[log_config.handlers.console]
class = "logging.StreamHandler"
formatter = "simple"
stream = "ext://sys.stderr"
[log_config.root]
level = "INFO"
handlers = ["console"]
"""
    path = tmp_path / f"fedora-messaging-{queue}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def gatekeeper_toml(tmp_path: Path, database_url: str, bus: Bus) -> Path:
    """gatekeeper.toml for the test and its consumers: store, policies, [messaging]."""
    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "t_functional.yaml").write_text(POLICY, encoding="utf-8")
    (policies / "rdo.yaml").write_text(RDO, encoding="utf-8")
    path = tmp_path / "gatekeeper.toml"
    path.write_text(
        f'database_url = "{database_url}"\nvar_dir = "{tmp_path / "var"}"\n'
        f'policies_dir = "{policies}"\n\n[messaging]\nenabled = true\n'
        f'topic_prefix = "{bus.prefix}"\npublish_timeout = 10\n',
        encoding="utf-8",
    )
    return path


class Consumers:
    """``fedora-messaging consume`` processes, their logs, and stopping them."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, conf: Path, gk_config: Path, *, wait: bool = True) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"consumer-{len(self.procs)}.log"
        env = {**os.environ, "GATEKEEPER_CONFIG": str(gk_config)}
        env.pop("GATEKEEPER_DATABASE_URL", None)
        env.pop("FEDORA_MESSAGING_CONF", None)
        proc = subprocess.Popen(
            [
                str(BIN / "fedora-messaging"),
                "--conf",
                str(conf),
                "consume",
                "--callback",
                "gatekeeper_messaging.consumer:Consumer",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            cwd=self.tmp_path,
            env=env,
        )
        self.procs.append((proc, log))
        if wait:
            self.wait_log(proc, "Successfully registered AMQP consumer")
        return proc

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        path = next(log for p, log in self.procs if p is proc)
        return path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, proc: subprocess.Popen[bytes], text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.log_of(proc)
            if text in found:
                return found
            if proc.poll() is not None:
                pytest.fail(f"the consumer exited ({proc.returncode}):\n{found[-3000:]}")
            time.sleep(0.1)
        pytest.fail(
            f"no {text!r} in the consumer's log after {timeout}s:\n{self.log_of(proc)[-3000:]}"
        )

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        stop_processes(proc for proc, _ in self.procs)


@pytest.fixture
def consumers(tmp_path: Path) -> Iterator[Consumers]:
    """Consumer processes, stopped after the test. A test on PostgreSQL asks for its
    database (``gk_database_url``, ``gk_postgres_url``) *before* this fixture: fixtures end
    in reverse order, and the test's schema dropped under a running consumer can wait for
    ever (on a transaction of the consumer that waits on another of its connections, which
    waits on the drop)."""
    found = Consumers(tmp_path)
    yield found
    found.stop_all()


@pytest.fixture
def gk_config_for(tmp_path: Path, bus: Bus) -> Callable[[str], tuple[Path, Gatekeeper]]:
    """``gk_config_for(database_url)``: gatekeeper.toml for consumers, and the test's own
    started app on the same store (migrated before any consumer starts)."""
    apps: list[Gatekeeper] = []

    def make(database_url: str) -> tuple[Path, Gatekeeper]:
        path = gatekeeper_toml(tmp_path, database_url, bus)
        app = Gatekeeper(load_settings(path))
        app.start()
        apps.append(app)
        return path, app

    yield make  # type: ignore[misc]
    for app in apps:
        app.store.dispose()
