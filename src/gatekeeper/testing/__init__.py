"""pytest fixtures for gatekeeper and its plugin authors (a pytest plugin, ``-p gatekeeper``).

Installed with gatekeeper through the ``pytest11`` entry point, so every test suite
of a plugin gets the same fixtures as the core's:

- ``gk_database_url``: a SQLite file in ``tmp_path`` (parametrise with
  ``gk_postgres_url`` for PostgreSQL);
- ``gk_postgres_url``: a clean PostgreSQL database (skips when PostgreSQL is not
  reachable, but fails when ``CI=true``);
- ``gk_policies``: a writer of policy files, returning the directory;
- ``gk_app``: a started :class:`~gatekeeper.service.Gatekeeper` on the above, with a
  controllable clock (``gk_app.clock.now = ...``);
- :func:`serving`: the HTTP API of an app, served by uvicorn on a free loopback port in a
  thread (``with serving(app) as base_url: ...``);
- :func:`issue_token`: an identity and its bearer token, for API tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest

from gatekeeper.config import Settings
from gatekeeper.store import scratch

POSTGRES_URL = os.environ.get(
    "GATEKEEPER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_problems: dict[str, str] = {}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, reason: object) -> NoReturn:
    """Skip a test that needs a service, or fail it in CI, where every service is mandatory."""
    message = f"{what} is not reachable ({reason})"
    if in_ci():
        pytest.fail(f"{message}; CI=true makes it mandatory", pytrace=False)
    pytest.skip(message)


def require_postgres() -> None:
    """Skip (fail under CI=true) when PostgreSQL cannot be reached; checked once per run."""
    if "postgres" not in _problems:
        _problems["postgres"] = scratch.unreachable(POSTGRES_URL) or ""
    if _problems["postgres"]:
        unavailable(f"PostgreSQL at {scratch.safe_url(POSTGRES_URL)!r}", _problems["postgres"])


class Clock:
    """A settable clock for the service: ``clock()`` returns ``clock.now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def postgres_schema(prefix: str = "gk_test") -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema of the test database (dropped
    when the block ends). For tests and benchmarks."""
    with scratch.postgres_schema(POSTGRES_URL, prefix) as url:
        yield url


@pytest.fixture
def gk_postgres_url() -> Iterator[str]:
    """A URL whose connections live in a fresh, empty schema of the test database."""
    require_postgres()
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gk_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"
    url: str = request.getfixturevalue("gk_postgres_url")
    return url


@pytest.fixture
def gk_policies(tmp_path: Path) -> Callable[..., Path]:
    """``gk_policies(rdo="team: rdo\\n...")`` writes ``<team>.yaml`` files; returns the dir."""
    directory = tmp_path / "policies"

    def write(**files: str) -> Path:
        directory.mkdir(exist_ok=True)
        for name, text in files.items():
            (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
        return directory

    return write


@pytest.fixture
def gk_settings(tmp_path: Path, gk_database_url: str) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=gk_database_url,
        policies_dir=tmp_path / "policies",
    )


@pytest.fixture
def gk_clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))


@pytest.fixture
def gk_app(gk_settings: Settings, gk_clock: Clock) -> Iterator[object]:
    """A started application. Write policies (``gk_policies``) before asking for it."""
    from gatekeeper.plugins import make_plugin_manager
    from gatekeeper.service import Gatekeeper

    app = Gatekeeper(gk_settings, pm=make_plugin_manager(), clock=gk_clock)
    scratch.migrate(app.store)  # the real migrations once per process, then their replay
    app.start()
    yield app
    app.store.dispose()


@contextmanager
def serving(app: Any, *, timeout: float = 20.0) -> Iterator[str]:
    """Serve ``create_app(app)`` with uvicorn on 127.0.0.1 (a free port) in a thread;
    yields its base URL, and stops the server when the block ends."""
    from gatekeeper.api import create_app

    with serving_asgi(create_app(app), timeout=timeout, name="gatekeeper-test-server") as url:
        yield url


@contextmanager
def serving_asgi(asgi: Any, *, timeout: float = 20.0, name: str = "asgi-server") -> Iterator[str]:
    """Any ASGI application served with uvicorn on 127.0.0.1 (a free port) in a thread
    (what :func:`serving` does for gatekeeper's); yields its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def issue_token(
    app: Any, name: str, *, groups: Sequence[str] = (), is_admin: bool = False,
    can_waive: bool = False,
) -> str:  # fmt: skip
    """Create the identity ``name`` (if new) and return a new bearer token of it."""
    issued = app.issue_token(name, groups=groups, is_admin=is_admin,
                                      can_waive=can_waive, description="test")  # fmt: skip
    token: str = issued.token
    return token


def stop_processes(procs: Iterable[subprocess.Popen[Any]], timeout: float = 15) -> None:
    """SIGTERM every process still running, wait for each, SIGKILL those that linger."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
