"""The gate part of the MR description: what is missing and why, what is waived and by what
(a waiver or a known issue, with its bug and expiry), so the testcase's team reads it there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.compose.gate import GATE_MARK, gate_section, gate_table, waived_table
from gatekeeper.model import Answer, Decision, Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing.composes import synthetic_builds, write_compose

AT = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
BUG = "https://bugs.example.org/show_bug.cgi?id=42"


def decision(*answers: Answer, verdict: str = "failed") -> dict[str, Any]:
    return Decision("CentOS-Stream-9-20261124.0", verdict, "a summary", ("tf",), answers,
                    AT).to_json()  # fmt: skip


def answer(kind: str, satisfied: bool, arch: str | None = None, **detail: Any) -> Answer:
    return Answer(kind, "tf", "tf.smoke", True, satisfied, arch=arch, **detail)


def test_an_unsatisfied_answer_shows_its_reason() -> None:
    section = gate_section(decision(
        answer("test-result-pending", False, "x86_64", reason="rerun requested", rerun_id="4"),
        answer("test-result-pending", False, "aarch64", reason="errored (retry 1 of 2)",
               retry=1, retries=2),
        answer("test-result-missing", False, "s390x"),
    ), 3, promoted=False)  # fmt: skip
    assert "| answer | team | testcase | scenario | arch | why |" in section
    assert "| test-result-pending | tf | tf.smoke | - | x86_64 | rerun requested |" in section
    assert "| aarch64 | errored (retry 1 of 2) |" in section
    assert "| test-result-missing | tf | tf.smoke | - | s390x | - |" in section
    assert "Waived:" not in section


def test_an_expired_waiver_is_named_on_the_failed_answer() -> None:
    why = "waiver 3 expired at 2026-11-27T06:00:00Z"
    [_, _, row, _] = gate_table(decision(answer("test-result-failed", False, reason=why)))
    assert row.endswith(f"| {why} |")


def test_a_known_issue_waiver_shows_its_id_bug_and_expiry() -> None:
    section = gate_section(decision(
        answer("test-result-failed-waived", True, "x86_64", bug=BUG, known_issue="7",
               expires="2026-12-08T06:00:00Z"),
        answer("test-result-errored-waived", True, "aarch64", waiver_id="12", bug=BUG,
               reason="waiver 3 expired at 2026-11-25T06:00:00Z"),
        answer("test-result-passed", True, "s390x"),
        verdict="passed",
    ), 2, promoted=True)  # fmt: skip
    assert "## Gate: passed (promoted)" in section
    lines = section.splitlines()
    title = lines.index("Waived:")
    assert lines[title + 2] == (
        "| answer | team | testcase | scenario | arch | waived by | bug | expires |"
    )
    assert lines[title + 4] == (
        f"| test-result-failed-waived | tf | tf.smoke | - | x86_64 | known issue 7 | {BUG} "
        "| 2026-12-08T06:00:00Z |"
    )
    assert lines[title + 5] == (
        "| test-result-errored-waived | tf | tf.smoke | - | aarch64 | waiver 12; waiver 3 "
        f"expired at 2026-11-25T06:00:00Z | {BUG} | - |"
    )
    assert "s390x" not in section and section.endswith("evaluated 2026-11-24T06:00:00Z.\n")


def test_cells_cannot_break_the_table() -> None:
    [_, _, row, _] = waived_table(decision(
        answer("test-result-failed-waived", True, waiver_id="1", bug="https://x/a|b\nc"),
    ))[2:]  # fmt: skip
    assert "| https://x/a\\|b c |" in row and row.count(" | ") == 7


def test_rows_past_the_limit_are_counted() -> None:
    answers = [answer("test-result-failed-waived", True, f"a{n}", waiver_id=str(n))
               for n in range(5)]  # fmt: skip
    lines = waived_table(decision(*answers, verdict="passed"), max_rows=2)
    assert lines[-2] == "| ... 3 more | | | | | | | |" and len(lines) == 2 + 2 + 2 + 2


def test_a_decision_with_nothing_missing_or_waived_has_no_tables() -> None:
    section = gate_section(decision(answer("test-result-passed", True), verdict="passed"), 1,
                           promoted=False)  # fmt: skip
    assert "|" not in section and section.startswith(GATE_MARK)


# -- on the local forge's MR, as the service writes it --------------------------------------
POLICY = """team: tf
owns: ['tf.*']
reporters: {users: [tf-bot]}
applies_to: {products: ['CentOS-Stream-*']}
gates:
  - testcase: tf.smoke
"""
BOT = Actor(name="tf-bot")
RELENG = Actor(name="releng", can_waive=True)


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(tf=POLICY)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper) -> Gatekeeper:
    return gk_app


def description(app: Gatekeeper, compose_id: str) -> str:
    with app.store.transaction() as tx:
        mr = tx.merge_request_for(compose_id)
    assert mr is not None
    return str(mr["description"])


def test_the_mr_description_tells_of_a_rerun_and_of_a_known_issue(
    app: Gatekeeper, tmp_path: Path
) -> None:
    top = tmp_path / "compose"
    cid = write_compose(top, date="20261124", builds=synthetic_builds(3, seed=1))
    app.import_compose(str(top))
    app.ingest([Result(cid, "tf.smoke", Outcome.FAILED, app.clock(), id="r1")], BOT)
    app.triage.rerun(cid, "tf.smoke", actor=BOT)
    pending = "| test-result-pending | tf | tf.smoke | - | - | rerun requested |"
    assert pending in description(app, cid)
    app.clock.now += timedelta(minutes=5)  # type: ignore[attr-defined]
    app.ingest([Result(cid, "tf.smoke", Outcome.FAILED, app.clock(), id="r2")], BOT)
    issue = app.triage.add_known_issue(RELENG, product="CentOS-Stream-*", testcase="tf.smoke",
                                       bug=BUG, comment="flaky", expires="14d")  # fmt: skip
    text = description(app, cid)
    assert "## Gate: passed" in text and "rerun requested" not in text
    assert f"| known issue {issue.id} | {BUG} | 2026-12-08T06:05:00Z |" in text
