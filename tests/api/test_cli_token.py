"""``gatekeeper token create | list | revoke``: the API's bearer tokens from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gatekeeper.cli import build_cli
from gatekeeper.store import Store


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in ("GATEKEEPER_CONFIG", "GATEKEEPER_POLICIES_DIR", "GATEKEEPER_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    database = f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"
    monkeypatch.setenv("GATEKEEPER_DATABASE_URL", database)
    return database


def run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), ["token", *args])


def test_create_makes_a_bot_in_the_teams_groups_and_prints_the_token_once(url: str) -> None:
    made = run("create", "--team", "rdo", "--name", "rdo-ci")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("gk_")
    store = Store(url)
    with store.transaction() as tx:
        identity = tx.identity_for_token(token)
    store.dispose()
    assert identity is not None
    assert (identity["name"], identity["kind"], identity["groups"]) == (
        "rdo-ci",
        "bot",
        ["CentOS/rdo"],
    )
    assert (identity["is_admin"], identity["can_waive"]) == (False, False)


def test_an_existing_identity_gets_another_token_and_list_never_shows_them(url: str) -> None:
    first = run("create", "--team", "rdo", "--name", "rdo-ci").stdout.splitlines()[-1]
    second = run("create", "--team", "rdo", "--name", "rdo-ci", "--description", "ci 2")
    assert second.exit_code == 0 and "another token" in second.stderr
    listed = run("list")
    assert listed.exit_code == 0, listed.output
    assert "rdo-ci" in listed.stdout and "ci 2" in listed.stdout
    assert first not in listed.stdout and second.stdout.splitlines()[-1] not in listed.stdout
    as_json = run("list", "--json").stdout
    assert '"identity": "rdo-ci"' in as_json and "token_hash" not in as_json


def test_revoke_by_id(url: str) -> None:
    token = run("create", "--name", "releng", "--admin", "--can-waive").stdout.splitlines()[-1]
    assert run("revoke", "1").stdout.strip() == "token 1: revoked"
    assert run("revoke", "1").stdout.strip() == "token 1: already revoked"
    store = Store(url)
    with store.transaction() as tx:
        assert tx.identity_for_token(token) is None
        (row,) = tx.list_tokens()
    store.dispose()
    assert row["revoked_at"] is not None
    missing = run("revoke", "99")
    assert missing.exit_code == 2
    assert "error: token 99 is not known" in missing.stderr


def test_an_unknown_team_is_a_located_error(url: str) -> None:
    refused = run("create", "--team", "nope", "--name", "x")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "error: --team: unknown team 'nope'; teams: idm, rdo"


def test_a_team_without_groups_says_to_name_the_bot_in_reporters_users(url: str) -> None:
    refused = run("create", "--team", "idm", "--name", "idm-ci")
    assert refused.exit_code == 2
    assert "add idm-ci to reporters.users" in refused.stderr
    assert run("create", "--team", "idm", "--name", "idm-bot").exit_code == 0


def test_serve_runs_the_api_and_the_watcher_in_the_foreground(url: str, tmp_path: Path) -> None:
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from gatekeeper.testing.composes import synthetic_builds, write_compose

    compose_id = "CentOS-Stream-9-20261124.n.0"
    write_compose(tmp_path / "incoming" / compose_id, builds=synthetic_builds(3, seed=5))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
    process = subprocess.Popen(
        [
            script,
            "serve",
            "--port",
            str(port),
            "--watch",
            str(tmp_path / "incoming"),
            "--watch-interval",
            "0.2",
        ],
        env=os.environ.copy(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, shown = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            try:
                shown = httpx.get(f"http://127.0.0.1:{port}/api/v1/composes/{compose_id}")
                if shown.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert shown is not None and shown.status_code == 200, errors
    assert shown.json()["state"] == "proposed"
    assert f"watch: imported: {compose_id}" in errors
    assert f"path=/api/v1/composes/{compose_id} route=" in errors
