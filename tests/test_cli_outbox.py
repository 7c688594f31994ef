"""``gatekeeper outbox list | retry``: what the outbox owes, its dead letters, and bringing
them back once their cause is fixed (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gatekeeper.cli import build_cli
from gatekeeper.model import Outcome
from gatekeeper.model import Result as StoredResult
from gatekeeper.service import Actor, Gatekeeper

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
gates:
  - testcase: rdo.smoke
"""
RDO_STREAM_10_ONLY = RDO + 'applies_to:\n  products: ["CentOS-Stream-10"]\n'


@pytest.fixture
def cli_env(
    tmp_path: Path, gk_database_url: str, gk_policies: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The CLI runs in ``tmp_path`` on the test's database, with its policies."""
    monkeypatch.chdir(tmp_path)
    for name in ("GATEKEEPER_CONFIG", "GATEKEEPER_POLICIES_DIR", "GATEKEEPER_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEKEEPER_DATABASE_URL", gk_database_url)
    gk_policies(rdo=RDO_STREAM_10_ONLY)  # rdo owns rdo.*, but gates no Stream 9 compose


@pytest.fixture
def app(cli_env: None, gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=1))
    return gk_app


def dead_redecide(app: Gatekeeper, n: int = 1, compose: str = CID) -> int:
    """A ``redecide`` of ``compose`` that no policy can answer: dead at its first try."""
    result = StoredResult(compose=compose, testcase="rdo.smoke", outcome=Outcome.PASSED,
                          submit_time=app.clock() + timedelta(seconds=n), id=f"r{n}")  # fmt: skip
    app.record_results([result], Actor(name="rdo-bot"))
    app.dispatcher.run_once()
    return max(row["id"] for row in app.outbox_entries(states=["dead"]).items)


def run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), ["outbox", *args])


def listed(*args: str) -> list[dict[str, Any]]:
    shown = run("list", "--json", *args)
    assert shown.exit_code == 0, shown.output
    entries: list[dict[str, Any]] = json.loads(shown.stdout)
    return entries


def test_list_shows_pending_and_dead_entries_and_delivered_ones_only_when_asked(
    app: Gatekeeper,
) -> None:
    with app.store.transaction() as tx:
        delivered = tx.enqueue("gatekeeper_forge_event", {"forge": "gitlab", "event": {}})
        tx.mark_delivered(delivered)
    dead = dead_redecide(app)
    app.accept_forge_event("gitlab", "d1", {"object_kind": "note"})  # pending until sent

    entries = listed()
    assert [(e["kind"], e["state"]) for e in entries] == [
        ("redecide", "dead"), ("gatekeeper_forge_event", "pending"),
    ]  # fmt: skip
    first = entries[0]
    assert (first["id"], first["compose"], first["attempts"]) == (dead, CID, 1)
    assert first["last_error"].startswith("NoPolicyApplies: ")
    assert first["created_at"].endswith("Z") and first["dead_at"].endswith("Z")
    assert entries[1]["last_error"] is None and entries[1]["dead_at"] is None

    assert [e["id"] for e in listed("--dead")] == [dead]
    assert [e["state"] for e in listed("--all")] == ["delivered", "dead", "pending"]

    table = run("list")
    assert table.exit_code == 0, table.output
    assert "redecide" in table.stdout and "dead" in table.stdout and CID in table.stdout
    assert "NoPolicyApplies" in table.stdout


def test_list_says_when_more_entries_are_left_out(app: Gatekeeper) -> None:
    for n in range(3):
        app.accept_forge_event("gitlab", f"d{n}", {"object_kind": "note"})
    shown = run("list", "--limit", "2")
    assert shown.exit_code == 0, shown.output
    assert "more entries: raise --limit" in shown.stderr
    assert len(listed("--limit", "2")) == 2


def test_retry_brings_a_dead_entry_back_once_its_cause_is_fixed(
    app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    dead = dead_redecide(app)
    assert app.history(CID) == []

    gk_policies(rdo=RDO)  # the cause is fixed: a policy gates Stream 9
    retried = run("retry", str(dead))
    assert retried.exit_code == 0, retried.output
    assert retried.stdout.strip() == f"outbox entry {dead} (redecide {CID}): delivered"
    assert listed("--dead") == []
    assert [v["verdict"] for v in app.history(CID)] == ["passed"]


def test_retry_all_dead_and_an_entry_still_failing_is_dead_again(
    app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    stream9 = dead_redecide(app)
    stream8 = "CentOS-Stream-8-20261124.0"
    app.announce(stream8)
    other = dead_redecide(app, 2, compose=stream8)
    gk_policies(rdo=RDO + 'applies_to:\n  products: ["CentOS-Stream-9"]\n')

    retried = run("retry", "--all-dead")
    assert retried.exit_code == 1, retried.output
    lines = retried.stdout.strip().splitlines()
    assert lines[0] == f"outbox entry {stream9} (redecide {CID}): delivered"
    assert lines[1].startswith(f"outbox entry {other} (redecide {stream8}): dead again: ")
    assert "NoPolicyApplies" in lines[1]
    [left] = listed("--dead")
    assert (left["id"], left["attempts"]) == (other, 1)

    assert run("retry", "--all-dead").exit_code == 1
    gk_policies(rdo=RDO)
    assert run("retry", "--all-dead").exit_code == 0
    assert listed() == []
    nothing = run("retry", "--all-dead")
    assert (nothing.exit_code, nothing.stdout.strip()) == (0, "no dead outbox entries")


def test_retry_refuses_unknown_and_live_entries_and_changes_nothing(app: Gatekeeper) -> None:
    dead = dead_redecide(app)
    app.accept_forge_event("gitlab", "d1", {"object_kind": "note"})
    live = max(e["id"] for e in listed())

    unknown = run("retry", str(dead), "999")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: outbox entry 999 does not exist"
    refused = run("retry", str(dead), str(live))
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"error: outbox entry {live} is pending, not dead: only dead entries are retried"
    )
    assert [e["id"] for e in listed("--dead")] == [dead]


def test_retry_takes_ids_or_all_dead(app: Gatekeeper) -> None:
    neither = run("retry")
    assert neither.exit_code == 2
    assert "give outbox entry ids, or --all-dead" in neither.stderr
    both = run("retry", "1", "--all-dead")
    assert both.exit_code == 2
    assert "give outbox entry ids, or --all-dead" in both.stderr
