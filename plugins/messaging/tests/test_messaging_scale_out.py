"""Scale-out, as docs/deploy.md runs it: two ``gatekeeper serve`` processes and two
``fedora-messaging consume`` processes on one PostgreSQL and one RabbitMQ queue, fed by HTTP
writers and CI messages at once, agree on the decision and promote once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from messaging_helpers import BIN, Bus, Consumers, consumer_conf
from messaging_samples import ci_body
from test_messaging_bus import wait_for

from gatekeeper.config import load_settings
from gatekeeper.service import Gatekeeper
from gatekeeper.testing import issue_token, stop_processes

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]  # one broker
COMPOSE = "CentOS-Stream-9-20261124.0"
STAGE = "ci.productmd-compose.test"
DEPLOY_DOC = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"
BUS_ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
HTTP_GATES = [(t, a) for t in ("idm.ipa.install", "idm.ipa.replica") for a in ("x86_64", "aarch64")]
ROUNDS = 10  # pending results per requirement before its final PASSED
POLICIES = {
    "t_functional": """\
team: t_functional
reporters: {users: [t-functional-bot]}
applies_to: {products: ["CentOS-Stream-*"]}
gates:
  - testcase: t_functional.tier0.functional
    arches: [x86_64, aarch64, ppc64le, s390x]
""",
    "idm": """\
team: idm
reporters: {users: [idm-ci]}
applies_to: {products: ["CentOS-Stream-*"]}
gates:
  - {testcase: idm.ipa.install, arches: [x86_64, aarch64]}
  - {testcase: idm.ipa.replica, arches: [x86_64, aarch64]}
""",
}


def deploy_toml(tmp_path: Path, database_url: str, bus: Bus, fm_conf: Path) -> Path:
    """gatekeeper.toml of every process: the keys docs/deploy.md shows."""
    policies = tmp_path / "policies"
    policies.mkdir()
    for team, text in POLICIES.items():
        (policies / f"{team}.yaml").write_text(text, encoding="utf-8")
    path = tmp_path / "gatekeeper.toml"
    path.write_text(
        f'database_url = "{database_url}"\npolicies_dir = "{policies}"\n'
        f'var_dir = "{tmp_path / "var"}"\nforge = "local"\n\n'
        f'[messaging]\nenabled = true\ntopic_prefix = "{bus.prefix}"\n'
        f'fedora_messaging_config = "{fm_conf}"\npublish_timeout = 10\n\n'
        "[api]\nmax_body_bytes = 1048576\n",
        encoding="utf-8",
    )
    return path


class Servers:
    """``gatekeeper serve`` processes on free loopback ports; all killed at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.urls: list[str] = []

    def start(self, gk_config: Path) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = self.tmp_path / f"serve-{len(self.procs)}.log"
        env = {**os.environ, "GATEKEEPER_CONFIG": str(gk_config)}
        for name in ("GATEKEEPER_DATABASE_URL", "FEDORA_MESSAGING_CONF"):
            env.pop(name, None)
        proc = subprocess.Popen(
            [str(BIN / "gatekeeper"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            cwd=self.tmp_path,
            env=env,
        )
        self.procs.append((proc, log))
        self.urls.append(f"http://127.0.0.1:{port}")
        return self.urls[-1]

    def wait_healthy(self, timeout: float = 30) -> None:
        """Every server answers /healthz 200 (store and bus)."""
        for (proc, log), url in zip(self.procs, self.urls, strict=True):
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"serve at {url} exited ({proc.returncode}):\n{log.read_text()}")
                try:
                    health = httpx.get(f"{url}/healthz", timeout=5)
                    if health.status_code == 200:
                        assert health.json()["checks"] == {"store": "ok", "bus": "ok"}
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve at {url} not healthy after {timeout}s:\n{log.read_text()}")
                time.sleep(0.1)

    def stop_all(self) -> None:
        stop_processes((proc for proc, _ in self.procs), timeout=10)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    found = Servers(tmp_path)
    yield found
    found.stop_all()


def result(rid: str, testcase: str, arch: str, outcome: str, at: str) -> dict[str, str]:
    return {"id": rid, "testcase": testcase, "arch": arch, "outcome": outcome, "submit_time": at}


def http_writer(urls: list[str], token: str, n: int, errors: list[str]) -> None:
    """One team's CI for one requirement: pending runs and ungated results alternately to
    both servers, the final PASSED last (latest submit time), then a re-sent first report."""
    testcase, arch = HTTP_GATES[n]
    reports = [
        [
            result(f"h{n}-{i}", testcase, arch, "RUNNING", f"2026-11-24T07:{i:02d}:00Z"),
            result(f"h{n}-{i}-x", f"idm.extra.c{n}", arch, "PASSED", f"2026-11-24T07:{i:02d}:00Z"),
        ]
        for i in range(ROUNDS)
    ]
    reports.append([result(f"h{n}-final", testcase, arch, "PASSED", "2026-11-24T09:00:00Z")])
    reports.append(reports[0])  # a retry after a lost answer: stored once
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        for i, body in enumerate(reports):
            url = f"{urls[(n + i) % len(urls)]}/api/v1/composes/{COMPOSE}/results"
            response = client.post(url, json=body)
            if response.status_code != 200:
                errors.append(f"{url}: {response.status_code} {response.text}")


def bus_stream() -> list[tuple[str, dict[str, Any]]]:
    """CI messages for the bus-reported requirement on four arches, the same shape: pending
    runs and ungated results, then each arch's final PASSED (latest generated_at)."""
    out = []
    for i in range(ROUNDS):
        at = f"2026-11-24T07:{i:02d}:00Z"
        for arch in BUS_ARCHES:
            running = ci_body(COMPOSE, arch=arch, result=None, generated_at=at, run=f"{arch}{i}")
            extra = ci_body(COMPOSE, arch=arch, category=f"x{i}", generated_at=at, run=f"x{i}")
            out += [(f"{STAGE}.running", running), (f"{STAGE}.complete", extra)]
    final = "2026-11-24T09:00:00Z"
    for arch in BUS_ARCHES:
        body = ci_body(COMPOSE, arch=arch, run=f"final-{arch}", generated_at=final)
        out.append((f"{STAGE}.complete", body))
    return out


def outbox_pending(app: Gatekeeper) -> list[dict[str, Any]]:
    with app.store.engine.connect() as conn:
        query = "SELECT kind, attempts, last_error FROM outbox WHERE delivered_at IS NULL"
        rows = conn.execute(sa.text(query))
        return [dict(row._mapping) for row in rows]


def all_results(client: httpx.Client, base: str) -> list[dict[str, Any]]:
    url: str | None = f"{base}/api/v1/composes/{COMPOSE}/results?limit=50"
    items: list[dict[str, Any]] = []
    while url:
        page = client.get(url).raise_for_status().json()
        items += page["items"]
        url = page["next"] and (page["next"] if "://" in page["next"] else base + page["next"])
    return items


def without_time(decision: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in decision.items() if k != "evaluated_at"}


def test_messaging_two_servers_and_two_consumers_agree_and_promote_once(
    tmp_path: Path, bus: Bus, gk_postgres_url: str, consumers: Consumers, servers: Servers
) -> None:
    started = time.monotonic()
    queue = bus.queue("gatekeeper")  # one durable queue shared by both consumers
    fm_conf = consumer_conf(tmp_path, bus, queue)
    gk_config = deploy_toml(tmp_path, gk_postgres_url, bus, fm_conf)
    app = Gatekeeper(load_settings(gk_config))
    app.start()  # `gatekeeper db upgrade`, once, before any worker starts
    try:
        app.announce(COMPOSE)
        token = issue_token(app, "idm-ci")
        promotable = bus.listen("gatekeeper.compose.promotable.v1")
        revoked = bus.listen("gatekeeper.compose.promotion_revoked.v1")
        urls = [servers.start(gk_config) for _ in range(2)]
        procs = [consumers.start(fm_conf, gk_config, wait=False) for _ in range(2)]
        for proc in procs:
            consumers.wait_log(proc, "Successfully registered AMQP consumer")
        servers.wait_healthy()

        # writers at once: four HTTP threads (both servers each) and the bus
        errors: list[str] = []
        threads = [
            threading.Thread(target=http_writer, args=(urls, token, n, errors))
            for n in range(len(HTTP_GATES))
        ]
        for thread in threads:
            thread.start()
        stream = bus_stream()
        ids = [bus.publish(suffix, body) for suffix, body in stream]
        for (suffix, body), mid in list(zip(stream, ids, strict=True))[:5]:
            bus.publish(suffix, body, message_id=mid)  # redelivered by the broker: stored once
        for thread in threads:
            thread.join(60)
        assert errors == []
        expected = len(stream) + len(HTTP_GATES) * (2 * ROUNDS + 1)

        def settled() -> bool:
            return len(app.results(COMPOSE)) >= expected and not outbox_pending(app)

        wait_for(settled, timeout=45, what=f"{expected} results and an empty outbox")
        [promotion] = promotable.take(1, timeout=10)
        time.sleep(1.5)  # a second promotion (another worker, a retry) would come now

        # every result stored exactly once, and both servers list the same ones
        stored = app.results(COMPOSE)
        assert len(stored) == expected, outbox_pending(app)
        with httpx.Client(timeout=30) as client:
            listed = [sorted(r["id"] for r in all_results(client, url)) for url in urls]
            assert listed[0] == listed[1] == sorted(str(r.id) for r in stored)
            assert len(set(listed[0])) == expected
            decisions = [
                client.get(f"{u}/api/v1/composes/{COMPOSE}/decision").raise_for_status().json()
                for u in urls
            ]
            histories = [
                client.get(f"{u}/api/v1/composes/{COMPOSE}/decisions").raise_for_status().json()
                for u in urls
            ]
        assert promotable.take(1, timeout=1) == [] and revoked.take(1, timeout=1) == []
        assert promotion["body"]["compose"]["id"] == COMPOSE
        assert promotion["body"]["decision"]["verdict"] == "passed"

        # one decision, told the same by both servers; versions 1..n, no gaps
        assert without_time(decisions[0]) == without_time(decisions[1])
        assert decisions[0]["verdict"] == "passed"
        assert decisions[0]["summary"] == "All required tests (8 total) have passed or been waived"
        assert histories[0] == histories[1]
        versions = [entry["version"] for entry in histories[0]]
        assert versions == list(range(1, len(versions) + 1))
        assert histories[0][-1]["decision"]["verdict"] == "passed"
        assert [e["decision"]["verdict"] for e in histories[0]].count("passed") == 1

        # the work was shared: both consumers stored CI results
        handled = [consumers.log_of(p).count("action=result-ci outcome=stored") for p in procs]
        assert sum(handled) == len(stream) and all(handled), handled
        assert time.monotonic() - started < 60
    finally:
        app.store.dispose()


def key_paths(node: object, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every key of a TOML document, as paths (a list of tables: ``[]``)."""
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            found |= {(*path, key)} | key_paths(value, (*path, key))
        return found
    if isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
        return set().union(*(key_paths(item, (*path, "[]")) for item in node))
    return set()


def doc_toml(first_line: str) -> dict[str, Any]:
    """The ```toml block of docs/deploy.md that starts with ``first_line``."""
    blocks = re.findall(r"```toml\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.S)
    [block] = [b for b in blocks if b.startswith(first_line + "\n")]
    return tomllib.loads(block)


def test_messaging_deploy_doc_shows_the_scale_out_configuration(tmp_path: Path) -> None:
    """docs/deploy.md shows the files the scale-out test runs with: the same keys."""
    bus = cast(Bus, SimpleNamespace(prefix="org.centos.prod"))  # only its prefix is read
    fm_conf = consumer_conf(tmp_path, bus, "gatekeeper")
    gk_config = deploy_toml(tmp_path, "postgresql+psycopg://gatekeeper@db/gatekeeper", bus, fm_conf)
    for path, first_line in (
        (fm_conf, "# /etc/fedora-messaging/gatekeeper.toml"),
        (gk_config, "# /etc/gatekeeper/gatekeeper.toml"),
    ):
        used = tomllib.loads(path.read_text(encoding="utf-8"))
        assert key_paths(doc_toml(first_line)) == key_paths(used), first_line
