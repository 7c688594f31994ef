"""The dashboard's read models over the real store (SQLite and PostgreSQL): the compose
list's rows and filters, the compose page (matrix, suspects, history, diff, lockfiles),
the team page, the local merge request, the live poll's version; and that none of them
writes anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.compose.diff import diff_builds
from gatekeeper.errors import InputError, NotFound
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.service.history_views import CHANGES_KEPT, answer_changes
from gatekeeper.service.mr_diff import mr_link
from gatekeeper.service.views import Cell, ComposeView, Transition
from gatekeeper.testing import Clock
from gatekeeper.testing.composes import next_nightly, synthetic_builds, write_compose

TF = """\
team: tf
owns: ['tf.*']
applies_to: {products: ['CentOS-Stream-*']}
gates:
  - testcase: tf.smoke
    arches: [x86_64, aarch64]
  - testcase: tf.install
    deadline: 2h
    on_missing: ignore
  - testcase: tf.docs
    required: false
"""
QA = """\
team: qa
owns: ['qa.*']
applies_to: {products: ['CentOS-Stream-*']}
gates:
  - testcase: qa.boot
    deadline: 12h
  - testcase: qa.fips
    scenario: fips
    arches: [x86_64]
    deadline: 4h
"""
CID = "CentOS-Stream-9-20261124.n.0"
OPERATOR = Actor(name="releng", is_admin=True, can_waive=True)
BASE = synthetic_builds(30, seed=1)
NEXT = next_nightly(BASE, changed=4, added=2, removed=1, seed=2)
LATER = next_nightly(NEXT, changed=3, added=1, removed=1, seed=3)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(tf=TF, qa=QA)


@pytest.fixture
def clock(gk_app: Gatekeeper) -> Clock:
    found = gk_app.clock
    assert isinstance(found, Clock)
    return found


@pytest.fixture
def app(gk_app: Gatekeeper, clock: Clock) -> Gatekeeper:
    """One announced compose, an hour old (deadlines: tf.install +2h, qa.fips +4h,
    qa.boot +12h from the announcement)."""
    gk_app.announce(CID, at=clock.now - timedelta(hours=1))
    return gk_app


def report(app: Gatekeeper, compose_id: str, *items: tuple[Any, ...], **common: Any) -> None:
    """Ingest results given as (testcase, outcome, arch[, scenario]) at the app's clock."""
    now = app.clock()
    results = [
        Result(
            compose_id,
            item[0],
            Outcome(item[1]),
            now,
            arch=item[2],
            scenario=item[3] if len(item) > 3 else None,
            **common,
        )
        for item in items
    ]
    app.ingest(results, OPERATOR)


def pass_all(app: Gatekeeper, compose_id: str) -> None:
    report(
        app,
        compose_id,
        ("tf.smoke", "PASSED", "x86_64"),
        ("tf.smoke", "PASSED", "aarch64"),
        ("tf.install", "PASSED", None),
        ("qa.boot", "PASSED", None),
        ("qa.fips", "PASSED", "x86_64", "fips"),
    )


def cell(view: ComposeView, testcase: str, column: str | None = None) -> Cell:
    found = [c for c in view.matrix.cells if c.testcase == testcase and c.column == column]
    assert len(found) == 1, found
    return found[0]


def snapshot(app: Gatekeeper) -> dict[str, Any]:
    """Everything a read could have written: decisions, versions, the outbox."""
    with app.store.transaction(readonly=True) as tx:
        composes = tx.list_composes(limit=100)
        return {
            "versions": {row["id"]: row["decision_version"] for row in composes},
            "decisions": {row["id"]: tx.decision_history(row["id"]) for row in composes},
            "outbox": tx.outbox_depth(),
            "states": {row["id"]: (row["state"], row["updated_at"]) for row in composes},
        }


# -- the list's rows ----------------------------------------------------------------------------
def test_a_row_counts_required_answers_and_names_the_teams_waited_for(app: Gatekeeper) -> None:
    report(
        app,
        CID,
        ("tf.smoke", "PASSED", "x86_64"),
        ("tf.smoke", "RUNNING", "aarch64"),
        ("tf.docs", "FAILED", None),
    )
    (row,) = app.dashboard.composes().items
    assert (row.id, row.product, row.state, row.verdict) == (
        CID,
        "CentOS-Stream-9",
        "announced",
        "pending",
    )
    assert (row.satisfied, row.required) == (1, 5)  # tf.docs is informational
    assert row.waiting_for == ("qa", "tf")
    assert row.summary == "Of 5 required tests, 3 results missing, 1 test pending"
    assert row.age == timedelta(hours=1) and row.undecided is None
    report(app, CID, ("tf.smoke", "PASSED", "aarch64"), ("tf.install", "PASSED", None))
    (row,) = app.dashboard.composes().items
    assert (row.satisfied, row.waiting_for) == (3, ("qa",))


def test_the_next_deadline_is_the_earliest_ahead_among_unsatisfied_required_gates(
    app: Gatekeeper, clock: Clock
) -> None:
    announced = app.compose(CID).announced_at
    report(app, CID, ("qa.boot", "FAILED", None))
    assert app.dashboard.composes().items[0].next_deadline == announced + timedelta(hours=2)
    clock.now = announced + timedelta(hours=3)  # tf.install is ignored now: satisfied
    assert app.dashboard.composes().items[0].next_deadline == announced + timedelta(hours=4)
    clock.now = announced + timedelta(hours=5)  # qa.fips overdue; qa.boot failed, due at +12h
    assert app.dashboard.composes().items[0].next_deadline == announced + timedelta(hours=12)
    pass_all(app, CID)
    assert app.dashboard.composes().items[0].next_deadline is None


def test_a_compose_no_policy_gates_has_no_verdict_and_says_why(gk_app: Gatekeeper) -> None:
    gk_app.announce("Fedora-ELN-20261124.n.0")
    (row,) = gk_app.dashboard.composes().items
    assert row.verdict is None
    assert row.undecided == "no policy applies to Fedora-ELN nightly composes"
    view = gk_app.dashboard.compose_view("Fedora-ELN-20261124.n.0")
    assert view.decision is None and view.matrix.rows == ()


# -- the decision shown ---------------------------------------------------------------------
def test_the_decision_shown_is_the_apis_answer_for_answer_after_time_moved_it(
    app: Gatekeeper, clock: Clock
) -> None:
    report(app, CID, ("tf.smoke", "PASSED", "x86_64"))
    stored = app.dashboard.compose_view(CID)
    assert stored.stored and stored.version == app.dashboard.decision_version(CID)
    clock.now += timedelta(hours=4)  # past tf.install's and qa.fips's deadlines
    moved = app.dashboard.compose_view(CID)
    assert not moved.stored and moved.version == stored.version
    assert moved.decision is not None and moved.row.verdict == "failed"
    api = app.decide(CID)  # what GET /api/v1/composes/{id}/decision answers (a what-if)
    assert moved.decision.answers == api.answers
    assert (moved.decision.verdict, moved.decision.summary) == (api.verdict, api.summary)
    assert app.dashboard.decision_version(CID) == stored.version  # neither read recorded it
    assert not app.dashboard.compose_view(CID).stored
    assert app.act_on_deadlines() == [CID]  # time's change is recorded by the deadline timer
    again = app.dashboard.compose_view(CID)
    assert (
        again.stored and again.version == app.dashboard.decision_version(CID) == stored.version + 1
    )
    assert again.decision is not None and again.decision.to_json() == api.to_json()


def test_a_policy_changed_since_the_decision_shows_at_once(
    app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    report(app, CID, ("qa.boot", "PASSED", None))
    assert app.dashboard.compose_view(CID).stored  # and kept decoded for the next page
    gk_policies(qa=QA + "  - testcase: qa.new\n")
    app.reload_policies()
    view = app.dashboard.compose_view(CID)
    assert not view.stored and cell(view, "qa.new").state == "missing"
    assert view.decision is not None and view.decision.answers == app.decide(CID).answers


def test_a_deadline_given_since_the_decision_shows_at_once(
    app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    report(app, CID, ("qa.boot", "PASSED", None))
    assert cell(app.dashboard.compose_view(CID), "tf.docs").state == "missing"
    gk_policies(tf=TF + "    deadline: 30m\n")  # tf.docs, announced an hour ago
    app.reload_policies()
    view = app.dashboard.compose_view(CID)
    assert not view.stored and cell(view, "tf.docs").state == "overdue"
    assert view.decision is not None and view.decision.answers == app.decide(CID).answers


def test_every_cell_is_the_decisions_answer_with_its_state_word(app: Gatekeeper) -> None:
    report(app, CID, ("tf.smoke", "ERROR", "aarch64"), ("qa.fips", "QUEUED", "x86_64", "fips"))
    view = app.dashboard.compose_view(CID)
    assert view.decision is not None
    assert sorted(
        (c.team, c.testcase, c.scenario, c.arch, c.answer_type) for c in view.matrix.cells
    ) == sorted((a.team, a.testcase, a.scenario, a.arch, a.type) for a in view.decision.answers)
    assert view.matrix.arches == ("aarch64", "x86_64", None)
    states = {(c.testcase, c.column): c.state for c in view.matrix.cells}
    assert states == {
        ("tf.smoke", "aarch64"): "errored",
        ("tf.smoke", "x86_64"): "missing",
        ("tf.install", None): "missing",
        ("tf.docs", None): "missing",
        ("qa.boot", None): "missing",
        ("qa.fips", "x86_64"): "pending",
    }
    rows = [(r.team, r.testcase, r.scenario) for r in view.matrix.rows]
    assert rows == [
        ("qa", "qa.boot", None),
        ("qa", "qa.fips", "fips"),
        ("tf", "tf.docs", None),
        ("tf", "tf.install", None),
        ("tf", "tf.smoke", None),
    ]
    assert view.matrix.rows[0].cells[:2] == (None, None)  # no requirement on those arches
    assert not next(r for r in view.matrix.rows if r.testcase == "tf.docs").required


def test_a_cell_carries_its_result_and_its_waiver(app: Gatekeeper) -> None:
    report(
        app,
        CID,
        ("qa.boot", "FAILED", None),
        ref_url="https://ci.example.org/1",
        note="kernel panic",
    )
    app.waive(CID, "qa.boot", actor=OPERATOR, comment="known kernel bug, RHEL-1")
    boot = cell(app.dashboard.compose_view(CID), "qa.boot")
    assert (boot.state, boot.answer_type, boot.satisfied) == (
        "waived",
        "test-result-failed-waived",
        True,
    )
    assert boot.result is not None and boot.waiver is not None
    assert (boot.result.outcome, boot.result.reporter, boot.result.ref_url, boot.result.note) == (
        "FAILED",
        "releng",
        "https://ci.example.org/1",
        "kernel panic",
    )
    assert boot.result.submit_time == app.clock()
    assert (boot.waiver.comment, boot.waiver.username) == ("known kernel bug, RHEL-1", "releng")
    assert cell(app.dashboard.compose_view(CID), "tf.install").result is None


def test_a_newer_result_that_keeps_the_answer_shows_in_its_cell(
    app: Gatekeeper, clock: Clock
) -> None:
    """A rerun that passes again makes no decision version (the answer's type is the same),
    yet its cell names the newer result, as the API's decision does."""
    report(app, CID, ("qa.boot", "PASSED", None), ref_url="https://ci.example.org/1")
    first = app.dashboard.compose_view(CID)
    clock.now += timedelta(minutes=5)
    report(app, CID, ("qa.boot", "PASSED", None), ref_url="https://ci.example.org/2")
    again = app.dashboard.compose_view(CID)
    assert again.version == first.version  # no new version: only the result changed
    boot = cell(again, "qa.boot")
    api = next(a for a in app.decide(CID).answers if a.testcase == "qa.boot")
    assert boot.result is not None and boot.result.ref_url == "https://ci.example.org/2"
    assert (boot.result.id, boot.result.submit_time) == (api.result_id, clock.now)
    assert again.revision != first.revision  # what the open page polls moved


def test_an_overdue_gate_that_ignores_missing_results_is_an_ignored_cell(
    app: Gatekeeper, clock: Clock
) -> None:
    clock.now += timedelta(hours=2)
    install = cell(app.dashboard.compose_view(CID), "tf.install")
    assert (install.state, install.answer_type) == ("ignored", "test-result-overdue-ignored")
    assert install.satisfied and install.deadline == app.compose(CID).announced_at + timedelta(
        hours=2
    )
    assert cell(app.dashboard.compose_view(CID), "qa.fips", "x86_64").state == "missing"
    clock.now += timedelta(hours=2)
    assert cell(app.dashboard.compose_view(CID), "qa.fips", "x86_64").state == "overdue"


# -- imported composes: suspects, build diff, team strips, the merge request ---------------------
@pytest.fixture
def imported(gk_app: Gatekeeper, clock: Clock, tmp_path: Path) -> list[str]:
    """Three nightlies of CentOS-Stream-9, imported a minute apart (oldest first)."""
    ids = []
    for date, builds in (("20261122", BASE), ("20261123", NEXT), ("20261124", LATER)):
        top = tmp_path / "composes" / date
        write_compose(top, date=date, builds=builds)
        ids.append(gk_app.import_compose(str(top)).compose.id)
        clock.now += timedelta(minutes=1)
    return ids


def names(view_diff: Any) -> set[str]:
    return {
        c.name for part in (view_diff.added, view_diff.removed, view_diff.updated) for c in part
    }


def test_suspects_are_the_builds_changed_since_the_gate_last_passed(
    gk_app: Gatekeeper, imported: list[str]
) -> None:
    first, second, third = imported
    report(gk_app, first, ("tf.smoke", "PASSED", "x86_64"), ("qa.boot", "FAILED", None))
    report(gk_app, second, ("tf.smoke", "FAILED", "x86_64"), ("qa.boot", "ERROR", None))
    report(gk_app, third, ("tf.smoke", "ERROR", "x86_64"))
    builds = {cid: gk_app.compose_builds(cid) for cid in imported}
    smoke = cell(gk_app.dashboard.compose_view(second), "tf.smoke", "x86_64").suspects
    assert smoke is not None and smoke.passed_in == first and smoke.reason is None
    assert smoke.changes == diff_builds(builds[first], builds[second])
    assert smoke.changes.counts == {"added": 2, "removed": 1, "updated": 4}
    # the newest earlier pass, skipping the failure in between
    later = cell(gk_app.dashboard.compose_view(third), "tf.smoke", "x86_64").suspects
    assert later is not None and later.passed_in == first
    assert later.changes == diff_builds(builds[first], builds[third])
    boot = cell(gk_app.dashboard.compose_view(second), "qa.boot").suspects
    assert boot is not None and boot.passed_in is None and not names(boot.changes)
    assert boot.reason is not None and "never passed" in boot.reason
    oldest = cell(gk_app.dashboard.compose_view(first), "qa.boot").suspects
    assert oldest is not None and oldest.reason == "no earlier compose of CentOS-Stream-9"
    assert cell(gk_app.dashboard.compose_view(second), "tf.install").suspects is None  # missing


def test_the_build_diff_is_against_main_and_lockfiles_are_linked(
    gk_app: Gatekeeper, imported: list[str]
) -> None:
    first, second, _ = imported
    view = gk_app.dashboard.compose_view(second)
    assert view.base is None and len(view.diff.added) == len(NEXT)  # nothing published yet
    gk_app.publish(first, force=True)  # no results: never promoted
    view = gk_app.dashboard.compose_view(second)
    assert view.base == first and view.diff == gk_app.compose_diff(second)[1]
    assert view.diff.counts == {"added": 2, "removed": 1, "updated": 4}
    links = {(link.format, link.arch): link.url for link in view.lockfiles}
    assert links[("rpm-lockfile", None)] == (
        f"/api/v1/composes/{second}/lockfile?format=rpm-lockfile"
    )
    assert links[("fcos", "x86_64")].endswith("?format=fcos&arch=x86_64")
    assert view.merge_request is not None and view.merge_request.url == f"/composes/{second}/mr"
    assert view.row.merge_request == view.merge_request


def test_team_strips_show_each_gate_over_the_last_composes_oldest_first(
    gk_app: Gatekeeper, imported: list[str]
) -> None:
    first, second, third = imported
    report(gk_app, first, ("tf.smoke", "PASSED", "x86_64"), ("tf.smoke", "PASSED", "aarch64"))
    report(gk_app, second, ("tf.smoke", "FAILED", "x86_64"))
    report(gk_app, third, ("tf.smoke", "PASSED", "x86_64"))
    gk_app.waive(third, "tf.docs", actor=OPERATOR, comment="docs are optional")
    view = gk_app.dashboard.team_view("tf")
    assert view.policy.team == "tf" and view.composes == (first, second, third)
    strips = {(s.testcase, s.arch): [t.state for t in s.ticks] for s in view.strips}
    assert strips == {
        ("tf.smoke", "x86_64"): ["passed", "failed", "passed"],
        ("tf.smoke", "aarch64"): ["passed", "missing", "missing"],
        ("tf.install", None): ["missing", "missing", "missing"],
        ("tf.docs", None): ["missing", "missing", "waived"],
    }
    assert [t.compose_id for t in view.strips[0].ticks] == [first, second, third]
    assert [(r.compose_id, r.testcase, r.arch, r.result.outcome) for r in view.recent] == [
        (third, "tf.smoke", "x86_64", "PASSED"),
        (second, "tf.smoke", "x86_64", "FAILED"),
        (first, "tf.smoke", "aarch64", "PASSED"),
        (first, "tf.smoke", "x86_64", "PASSED"),
    ]
    assert [t.state for t in gk_app.dashboard.team_view("qa").strips[0].ticks] == ["missing"] * 3
    gk_app.announce("CentOS-Stream-9-20261125.n.0")  # decided when announced: all missing
    newest = gk_app.dashboard.team_view("tf")
    assert newest.composes[-1] == "CentOS-Stream-9-20261125.n.0" and len(newest.composes) == 4
    assert {s.ticks[-1].state for s in newest.strips} == {"missing"}
    page = gk_app.dashboard.compose_view("CentOS-Stream-9-20261125.n.0")
    assert page.stored and page.version == 1
    assert {c.state for c in page.matrix.cells} == {"missing"}
    with pytest.raises(NotFound):
        gk_app.dashboard.team_view("nobody")


def test_the_merge_request_view_diffs_the_compose_repo_file_by_file(
    gk_app: Gatekeeper, imported: list[str]
) -> None:
    first, second, _ = imported
    gk_app.publish(first, force=True)  # the second's MR is re-rendered onto the new main
    view = gk_app.dashboard.merge_request_view(second)
    mr = gk_app.merge_request(second)
    assert mr is not None
    assert (view.title, view.description, view.number, view.state) == (
        mr["title"],
        mr["description"],
        mr["number"],
        "open",
    )
    assert view.base_compose == first and view.link.url == f"/composes/{second}/mr"
    assert view.files is not None and view.more_files == 0
    kinds = {f.path: f.change for f in view.files}
    diff = diff_builds(gk_app.compose_builds(first), gk_app.compose_builds(second))
    expected = {
        f"builds/{c.name[0]}/{c.name}.yaml": kind
        for kind, part in (
            ("added", diff.added),
            ("removed", diff.removed),
            ("modified", diff.updated),
        )
        for c in part
    }
    assert kinds == {**expected, "compose.yaml": "modified"}
    updated = next(f for f in view.files if f.change == "modified" and f.path != "compose.yaml")
    signs = {line.sign for line in updated.lines}
    assert {"+", "-"} <= signs
    assert any(line.kind == "add" and line.text.startswith("nvr: ") for line in updated.lines)
    removed = next(f for f in view.files if f.change == "removed")
    assert {line.kind for line in removed.lines} == {"hunk", "del"}
    gk_app.announce("CentOS-Stream-9-20261130.n.0")  # known, never proposed
    for unproposed in ("CentOS-Stream-9-20261130.n.0", "CentOS-Stream-9-20990101.n.0"):
        with pytest.raises(NotFound):
            gk_app.dashboard.merge_request_view(unproposed)


# -- history ---------------------------------------------------------------------------------
def test_history_says_what_changed_when_and_why(app: Gatekeeper, clock: Clock) -> None:
    only = app.dashboard.compose_view(CID).history  # decided when announced: what is missing
    assert [(h.version, h.changes_shown, h.changes_total) for h in only] == [(1, True, 6)]
    assert only[0].cause == {"announced": True} and only[0].verdict == "pending"
    assert {c.old for c in only[0].changes} == {None}  # the first version: every answer new
    assert only[0].transitions == (Transition(None, "test-result-missing", 6),)
    report(app, CID, ("tf.smoke", "PASSED", "x86_64"), ("qa.boot", "FAILED", None))
    clock.now += timedelta(minutes=5)
    report(app, CID, ("tf.smoke", "PASSED", "aarch64"))
    app.waive(CID, "qa.boot", actor=OPERATOR, comment="known")
    view = app.dashboard.compose_view(CID)
    assert [h.version for h in view.history] == [4, 3, 2, 1] and view.history_total == 4
    waived, reported, results, first = view.history
    assert [(c.testcase, c.old, c.new) for c in waived.changes] == [
        ("qa.boot", "test-result-failed", "test-result-failed-waived")
    ]
    assert waived.cause is not None and "waiver" in waived.cause
    assert waived.cause_text.startswith("waiver #") and "releng" in waived.cause_text
    assert [(c.testcase, c.arch, c.old, c.new) for c in reported.changes] == [
        ("tf.smoke", "aarch64", "test-result-missing", "test-result-passed")
    ]
    assert reported.transitions == (Transition("test-result-missing", "test-result-passed", 1),)
    assert reported.cause_text.startswith("1 result from releng (#3)")
    assert (reported.verdict, reported.evaluated_at) == ("failed", clock.now)
    assert [(c.testcase, c.arch, c.old, c.new) for c in results.changes] == [
        ("qa.boot", None, "test-result-missing", "test-result-failed"),
        ("tf.smoke", "x86_64", "test-result-missing", "test-result-passed"),
    ]
    assert results.cause_text.startswith("2 results from releng") and results.verdict == "failed"
    # every version of the newest HISTORY_CHANGES says what changed, the first one too
    assert first.cause == {"announced": True} and first.verdict == "pending"
    assert (first.changes_shown, first.changes_total) == (True, 6)


def types_of(payload: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
    """Each answer's type by team, testcase, scenario and arch, from a whole Decision JSON
    (a sorted tuple where several answers share them)."""
    found: dict[tuple[Any, ...], list[str]] = {}
    for part in ("satisfied_requirements", "unsatisfied_requirements"):
        for a in payload[part]:
            key = (a["team"], a["testcase"], a["scenario"], a["arch"])
            found.setdefault(key, []).append(a["type"])
    return {k: v[0] if len(v) == 1 else tuple(sorted(v)) for k, v in found.items()}


def test_each_versions_changes_are_its_whole_decision_against_the_one_before(
    gk_app: Gatekeeper, clock: Clock
) -> None:
    """The history's changes come from the version rows replayed once, the kept replay
    going on version by version; they are what comparing each version's whole decision
    with the one before says, through changes of verdict (each a snapshot row)."""
    gk_app.announce(CID, at=clock.now)
    steps = [
        [("tf.smoke", "PASSED", "x86_64"), ("qa.boot", "FAILED", None)],  # failed: a snapshot
        [("tf.install", "ERROR", None)],
        [("qa.boot", "PASSED", None), ("tf.install", "PASSED", None)],  # pending again
        [("tf.smoke", "RUNNING", "aarch64")],
        [("tf.smoke", "PASSED", "aarch64"), ("qa.fips", "PASSED", "x86_64", "fips")],
    ]
    for step in steps:  # the open page follows each version
        clock.now += timedelta(minutes=5)
        report(gk_app, CID, *step)
        gk_app.dashboard.compose_view(CID)
    gk_app.waive(CID, "tf.docs", actor=OPERATOR, comment="docs")
    followed = gk_app.dashboard.compose_view(CID).history
    gk_app.dashboard.forget()
    read_at_once = gk_app.dashboard.compose_view(CID).history
    decisions = {h["version"]: h["payload"] for h in gk_app.history(CID)}
    assert len(decisions) >= 6 and [h.version for h in followed] == sorted(decisions)[::-1]
    for entry in (*followed, *read_at_once):
        before = types_of(decisions[entry.version - 1]) if entry.version > 1 else None
        expected = answer_changes(before, types_of(decisions[entry.version]))
        assert (entry.changes, entry.changes_total, entry.transitions) == expected, entry.version
        assert entry.changes_total > 0, entry.version


def test_a_page_following_each_change_shows_the_apis_decision_answer_for_answer(
    app: Gatekeeper, clock: Clock
) -> None:
    """A page shown after each new version reads only the answers of the testcases that
    changed; through new versions, a newer result naming a passed answer anew (no
    version), a waiver and a change of verdict it shows what the API answers, to the
    result each answer names."""
    steps: list[Callable[[], Any]] = [
        lambda: report(app, CID, ("tf.smoke", "PASSED", "x86_64"), ("qa.boot", "FAILED", None)),
        lambda: report(app, CID, ("tf.smoke", "PASSED", "x86_64")),  # amended, no version
        lambda: report(app, CID, ("tf.install", "ERROR", None)),
        lambda: app.waive(CID, "qa.boot", actor=OPERATOR, comment="known"),
        lambda: report(app, CID, ("qa.boot", "PASSED", None), ("tf.install", "PASSED", None)),
        lambda: report(app, CID, ("tf.smoke", "PASSED", "aarch64"), ("tf.docs", "PASSED", None)),
        lambda: report(app, CID, ("tf.smoke", "PASSED", "aarch64")),  # amended again
        lambda: report(app, CID, ("qa.fips", "FAILED", "x86_64", "fips")),
    ]
    for step in steps:
        clock.now += timedelta(minutes=5)
        step()
        view = app.dashboard.compose_view(CID)
        assert view.decision is not None and view.stored
        assert view.decision.to_json() == app.decide(CID).to_json()


def test_only_the_newest_versions_say_what_changed(
    app: Gatekeeper, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gatekeeper.service.dashboard as dashboard

    monkeypatch.setattr(dashboard, "HISTORY_CHANGES", 1)
    report(app, CID, ("tf.smoke", "PASSED", "x86_64"))
    clock.now += timedelta(minutes=5)
    report(app, CID, ("tf.smoke", "PASSED", "aarch64"))
    newest, older, announced = app.dashboard.compose_view(CID).history
    assert newest.changes_shown and newest.changes_total == 1
    assert older.cause_text.startswith("1 result from releng") and older.verdict
    assert (older.changes_shown, older.changes, older.changes_total) == (False, (), 0)
    assert announced.cause == {"announced": True} and not announced.changes_shown


def test_a_history_entry_lists_the_first_changes_and_counts_them_all(
    gk_policies: Callable[..., Path], gk_app: Gatekeeper, clock: Clock
) -> None:
    arches = ", ".join(f"a{n:03d}" for n in range(CHANGES_KEPT + 50))
    gk_policies(tf=f"team: tf\ngates:\n  - testcase: tf.wide\n    arches: [{arches}]\n")
    gk_app.reload_policies()
    gk_app.announce(CID, at=clock.now)
    wide = [
        ("tf.wide", "FAILED" if n == 7 else "PASSED", f"a{n:03d}") for n in range(CHANGES_KEPT + 50)
    ]
    report(gk_app, CID, *wide)
    reported, announced = gk_app.dashboard.compose_view(CID).history
    # the announcement's version: qa's 2 answers, then tf's 250, all new
    assert (len(announced.changes), announced.changes_total) == (CHANGES_KEPT, CHANGES_KEPT + 52)
    assert [(c.testcase, c.arch) for c in announced.changes[:4]] == [
        ("qa.boot", None),
        ("qa.fips", "x86_64"),
        ("tf.wide", "a000"),
        ("tf.wide", "a001"),
    ]
    assert announced.transitions == (Transition(None, "test-result-missing", CHANGES_KEPT + 52),)
    # the report's version: tf's 250 answers changed, counted by kind, the most common first
    assert (len(reported.changes), reported.changes_total) == (CHANGES_KEPT, CHANGES_KEPT + 50)
    assert [c.arch for c in reported.changes[:2]] == ["a000", "a001"]
    assert reported.transitions == (
        Transition("test-result-missing", "test-result-passed", CHANGES_KEPT + 49),
        Transition("test-result-missing", "test-result-failed", 1),
    )


# -- the list's filters, the live version ---------------------------------------------------
def test_the_list_filters_by_product_state_and_the_verdict_shown_and_pages(
    gk_app: Gatekeeper, clock: Clock
) -> None:
    ids = [f"CentOS-Stream-9-2026112{day}.n.0" for day in (1, 2, 3)]
    for cid in ids:
        gk_app.announce(cid, at=clock.now - timedelta(hours=1))
    gk_app.announce("CentOS-Stream-10-20261123.n.0", at=clock.now - timedelta(hours=1))
    gk_app.announce("Fedora-ELN-20261123.n.0", at=clock.now - timedelta(hours=1))
    pass_all(gk_app, ids[0])
    report(gk_app, ids[1], ("qa.boot", "FAILED", None))
    assert gk_app.dashboard.products() == ("CentOS-Stream-10", "CentOS-Stream-9", "Fedora-ELN")

    def listed(**filters: Any) -> list[str]:
        return [row.id for row in gk_app.dashboard.composes(**filters).items]

    assert listed(product="CentOS-Stream-9") == ids[::-1]
    assert listed(verdict="passed") == [ids[0]]
    assert listed(verdict="failed") == [ids[1]]
    assert listed(verdict="none") == ["Fedora-ELN-20261123.n.0"]
    assert listed(product="CentOS-Stream-9", verdict="pending") == [ids[2]]
    assert listed(state="promoted") == [ids[0]]
    clock.now += timedelta(hours=4)  # the pending ones are overdue now: failed as shown
    assert listed(product="CentOS-Stream-9", verdict="failed") == [ids[2], ids[1]]
    assert listed(verdict="pending") == []
    first = gk_app.dashboard.composes(product="CentOS-Stream-9", limit=2)
    assert [r.id for r in first.items] == [ids[2], ids[1]] and first.next_offset == 2
    last = gk_app.dashboard.composes(product="CentOS-Stream-9", limit=2, offset=2)
    assert [r.id for r in last.items] == [ids[0]] and not last.more
    paged = gk_app.dashboard.composes(verdict="failed", limit=1, offset=1)
    assert [r.id for r in paged.items] == [ids[1]] and paged.more
    with pytest.raises(InputError):
        gk_app.dashboard.composes(verdict="green")
    with pytest.raises(InputError):
        gk_app.dashboard.composes(state="shipped")


def test_decision_version_is_the_latest_stored_one(gk_app: Gatekeeper, clock: Clock) -> None:
    gk_app.announce(CID, at=clock.now)
    assert gk_app.dashboard.decision_version(CID) == 1  # decided when announced: what is missing
    report(gk_app, CID, ("qa.boot", "FAILED", None))
    assert gk_app.dashboard.decision_version(CID) == 2
    report(gk_app, CID, ("qa.boot", "PASSED", None))
    assert gk_app.dashboard.decision_version(CID) == 3
    gk_app.announce("Fedora-ELN-20261124.n.0")  # no policy gates it: never decided
    assert gk_app.dashboard.decision_version("Fedora-ELN-20261124.n.0") is None
    for read in (gk_app.dashboard.decision_version, gk_app.dashboard.compose_view):
        with pytest.raises(NotFound):
            read("CentOS-Stream-9-20990101.n.0")


def test_no_view_writes_anything(gk_app: Gatekeeper, imported: list[str], clock: Clock) -> None:
    first, second, _ = imported
    report(gk_app, first, ("tf.smoke", "PASSED", "x86_64"))
    report(gk_app, second, ("tf.smoke", "FAILED", "x86_64"))
    clock.now += timedelta(hours=5)  # every view is a what-if now: deadlines passed
    before = snapshot(gk_app)
    for verdict in (None, "failed", "passed", "pending", "none"):
        gk_app.dashboard.composes(verdict=verdict)
    gk_app.dashboard.products()
    for cid in imported:
        view = gk_app.dashboard.compose_view(cid)
        assert not view.stored
        gk_app.dashboard.merge_request_view(cid)
        gk_app.dashboard.decision_version(cid)
    gk_app.dashboard.team_view("tf")
    gk_app.dashboard.team_view("qa")
    assert snapshot(gk_app) == before


class FakeForge:
    """A forge with web pages of its own, as the GitLab plugin's."""

    name = "gitlab"

    def location(self, product: str) -> str:
        return f"https://gitlab.example.org/centos/{product.lower()}"


def test_a_forges_merge_request_links_to_its_web_page_else_to_the_local_page() -> None:
    mr = {"number": 7, "forge": "gitlab", "state": "open"}
    link = mr_link(FakeForge(), CID, "CentOS-Stream-9", mr)  # type: ignore[arg-type]
    assert (link.url, link.local, link.number) == (
        "https://gitlab.example.org/centos/centos-stream-9/-/merge_requests/7",
        False,
        7,
    )
    local = mr_link(None, CID, "CentOS-Stream-9", {**mr, "forge": "local"})
    assert (local.url, local.local) == (f"/composes/{CID}/mr", True)
    assert mr_link(None, CID, "CentOS-Stream-9", mr).url == f"/composes/{CID}/mr"
