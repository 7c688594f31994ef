"""SQLite serves one long-running process: a second ``serve`` (or dispatcher loop) on the
same file is refused at start, naming the first; one-shot commands still run beside it;
and ``/healthz`` answers at once while another process holds a long write. PostgreSQL
serves several processes."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError
from gatekeeper.service import Gatekeeper
from gatekeeper.store import Store
from gatekeeper.testing import issue_token, serving, stop_processes

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
gates:
  - testcase: rdo.smoke
"""
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
ONE_PROCESS = "SQLite serves one process"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory with policies; the store is its default ``var/gatekeeper.db``."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text(RDO, encoding="utf-8")
    return tmp_path


def sqlite_settings(workdir: Path) -> Settings:
    var = workdir / "var"
    return Settings(var_dir=var, database_url=f"sqlite:///{var / 'gatekeeper.db'}",
                    policies_dir=workdir / "policies")  # fmt: skip


def environment() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200"}
    for name in ("GATEKEEPER_CONFIG", "GATEKEEPER_DATABASE_URL", "GATEKEEPER_VAR_DIR",
                 "GATEKEEPER_POLICIES_DIR"):  # fmt: skip
        env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def serve(workdir: Path) -> Iterator[Callable[[], tuple[subprocess.Popen[str], str]]]:
    """``serve()`` starts ``gatekeeper serve`` in ``workdir``: the process and its URL."""
    procs: list[subprocess.Popen[str]] = []

    def start() -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        proc = subprocess.Popen(
            [SCRIPT, "serve", "--port", str(port)], cwd=workdir, env=environment(),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        procs.append(proc)
        return proc, f"http://127.0.0.1:{port}"

    yield start
    stop_processes(procs)
    for proc in procs:
        if proc.stderr is not None:
            proc.stderr.close()


def wait_healthy(proc: subprocess.Popen[str], url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited: {proc.communicate()[1]}"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"serve at {url} did not answer in {timeout}s")


def gk(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], cwd=workdir, env=environment(), capture_output=True,
                          text=True, timeout=120)  # fmt: skip


# -- one long-running process per SQLite file -----------------------------------------------


def test_a_second_serve_on_one_sqlite_file_exits_at_start_naming_the_first(
    serve: Callable[[], tuple[subprocess.Popen[str], str]],
) -> None:
    first, url = serve()
    wait_healthy(first, url)

    second, _ = serve()
    try:
        _, errors = second.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("a second serve on the same SQLite file kept running")
    assert second.returncode == 2, errors
    [line] = [line for line in errors.splitlines() if line.startswith("error:")]
    assert f"gatekeeper process {first.pid}" in line
    assert ONE_PROCESS in line and "PostgreSQL" in line
    assert "gatekeeper.db" in line
    assert first.poll() is None, "the first one keeps serving"
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


def test_one_shot_commands_run_while_serve_runs(
    workdir: Path, serve: Callable[[], tuple[subprocess.Popen[str], str]]
) -> None:
    first, url = serve()
    wait_healthy(first, url)

    announced = gk(workdir, "compose", "announce", CID)
    assert announced.returncode == 0, announced.stderr
    added = gk(workdir, "result", "add", CID, "rdo.smoke", "PASSED")
    assert added.returncode == 0, added.stderr
    listed = gk(workdir, "outbox", "list")
    assert listed.returncode == 0, listed.stderr
    shown = httpx.get(f"{url}/api/v1/composes/{CID}", timeout=5)
    assert shown.status_code == 200 and shown.json()["verdict"] == "passed"


def _claim_and_report(url: str, answers: Any) -> None:
    store = Store(url)
    try:
        store.claim_single_writer()
        answers.put("claimed")
    except ConfigError as exc:
        answers.put(str(exc))
    finally:
        store.dispose()


def claim_in_another_process(url: str) -> str:
    ctx = multiprocessing.get_context("spawn")
    answers = ctx.Queue()
    proc = ctx.Process(target=_claim_and_report, args=(url, answers))
    proc.start()
    answer: str = answers.get(timeout=60)
    proc.join(timeout=60)
    return answer


def test_the_writer_lock_is_refused_to_another_process_and_freed_when_released(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"
    store = Store(url)
    store.claim_single_writer()
    store.claim_single_writer()  # this process holds it already
    refused = claim_in_another_process(url)
    assert f"gatekeeper process {os.getpid()}" in refused and ONE_PROCESS in refused
    assert (tmp_path / "var" / "gatekeeper.db.lock").exists()

    store.dispose()
    assert claim_in_another_process(url) == "claimed"
    assert claim_in_another_process(url) == "claimed", "a process's end frees it"


def test_the_dispatcher_loop_of_a_second_process_is_refused(workdir: Path) -> None:
    """The bus consumer runs the dispatcher loop: a second one on the file is refused too."""
    settings = sqlite_settings(workdir)
    app = Gatekeeper(settings)
    app.start()
    app.dispatcher.start(interval=30)
    try:
        refused = claim_in_another_process(settings.database_url)
    finally:
        app.dispatcher.stop()
        app.store.dispose()
    assert f"gatekeeper process {os.getpid()}" in refused


@pytest.mark.postgres
def test_postgresql_serves_several_processes(gk_postgres_url: str) -> None:
    store = Store(gk_postgres_url)
    try:
        store.claim_single_writer()
        assert claim_in_another_process(gk_postgres_url) == "claimed"
    finally:
        store.dispose()


# -- /healthz while another process writes --------------------------------------------------


def _hold_a_write(url: str, holding: Any, release: Any) -> None:
    store = Store(url)
    with store.transaction() as tx:
        tx.enqueue("gatekeeper_test_hold", {})
        holding.set()
        release.wait(30)
    store.dispose()


def test_the_sqlite_store_reads_beside_a_writer(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'gatekeeper.db'}")
    try:
        with store.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert (mode, busy) == ("wal", 30_000)
    finally:
        store.dispose()


@pytest.mark.quiet  # a bound on /healthz's answer: not measured beside the parallel tests
def test_healthz_answers_at_once_while_another_process_holds_a_long_write(
    workdir: Path,
) -> None:
    app = Gatekeeper(sqlite_settings(workdir))
    app.start()
    app.announce(CID)
    token = issue_token(app, "rdo-bot")
    ctx = multiprocessing.get_context("spawn")
    holding, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_a_write, args=(app.settings.database_url, holding, release))
    try:
        with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
            holder.start()
            assert holding.wait(30)
            writers = ThreadPoolExecutor(max_workers=60)
            started = threading.Barrier(61)

            def post(n: int) -> int:
                started.wait()
                body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "id": f"r{n}"}]
                headers = {"Authorization": f"Bearer {token}"}
                return client.post(f"/api/v1/composes/{CID}/results", json=body,
                                   headers=headers).status_code  # fmt: skip

            posted = [writers.submit(post, n) for n in range(60)]
            started.wait()
            time.sleep(1.0)  # every writer is waiting for the other process's write lock
            asked = time.monotonic()
            try:
                health = client.get("/healthz", timeout=10)
            except httpx.TimeoutException:
                pytest.fail("/healthz gave no answer in 10 s while another process wrote")
            answered = time.monotonic() - asked
            release.set()
            statuses = [future.result(timeout=60) for future in posted]
            writers.shutdown()
    finally:
        release.set()
        holder.join(30)
        app.store.dispose()
    assert health.status_code == 200 and health.json()["checks"] == {"store": "ok"}
    assert answered < 1.0, f"/healthz took {answered:.1f}s behind the writers"
    assert set(statuses) <= {200, 201} and len(statuses) == 60
