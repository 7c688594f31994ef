"""Triage from the compose MR: ``/gatekeeper rerun``, ``gate-waive:`` (and ``/gatekeeper
waive``) with ``expires=``/``bug=``, ``/gatekeeper known-issue``: read, done as the note's
author, refused with a reply when the author may not, and never done twice for one note."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from gatekeeper_gitlab.inbound.commands import parse_note
from gatekeeper_gitlab.inbound.context import open_merge_request
from gatekeeper_gitlab.inbound.handle import poll_once
from gatekeeper_gitlab.inbound.notes import handle_note, marker
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import COMPOSE_PROJECT, InboundWorld, make_inbound_world

from gatekeeper.model import Answer
from gatekeeper.testing import issue_token

BUG = "https://bugs.example.org/show_bug.cgi?id=42"


# -- parsing -------------------------------------------------------------------------------
def test_rerun_lines_take_an_arch_options_and_a_reason() -> None:
    commands, bad = parse_note(
        "Flaky again.\n"
        "/gatekeeper rerun tf.smoke x86_64 -- network flake\n"
        "  /GATEKEEPER Rerun tf.smoke arch=aarch64 scenario=min\n"
        "/gatekeeper rerun tf.vote\n"
    )
    assert bad == []
    assert [(c.kind, c.line, c.testcase, c.arch, c.scenario, c.reason) for c in commands] == [
        ("rerun", 2, "tf.smoke", "x86_64", None, "network flake"),
        ("rerun", 3, "tf.smoke", "aarch64", "min", None),
        ("rerun", 4, "tf.vote", None, None, None),
    ]


def test_waive_lines_take_expires_and_bug_and_the_slash_form_is_an_alias() -> None:
    options = f"arch=x86_64 expires=3d bug={BUG} -- infra outage"
    commands, bad = parse_note(
        f"gate-waive: tf.smoke {options}\n/gatekeeper waive tf.smoke {options}"
    )
    assert bad == []
    first, second = commands
    assert (first.kind, first.arch, first.expires, first.bug, first.reason) == (
        "waive", "x86_64", "3d", BUG, "infra outage",
    )  # fmt: skip
    assert second == replace(first, line=2)


def test_known_issue_lines_need_a_bug_and_a_comment() -> None:
    commands, bad = parse_note(
        f"/gatekeeper known-issue tf.smoke product=CentOS-Stream-* bug={BUG} expires=14d "
        "arch=s390x -- kernel bug, fixed in -503\n"
        "/gatekeeper known-issue tf.smoke -- no bug given\n"
        f"/gatekeeper known-issue tf.smoke bug={BUG}\n"
    )
    [issue] = commands
    assert (issue.kind, issue.product, issue.bug, issue.expires, issue.arch, issue.reason) == (
        "known-issue", "CentOS-Stream-*", BUG, "14d", "s390x", "kernel bug, fixed in -503",
    )  # fmt: skip
    assert [b.line for b in bad] == [2, 3]
    assert "bug=<url>" in bad[0].error and "comment" in bad[1].error


def test_malformed_slash_lines_are_named_and_other_slash_lines_are_prose() -> None:
    commands, bad = parse_note(
        "/gatekeeper\n/gatekeeper frobnicate tf.smoke\n/gatekeeper rerun\n"
        "/gatekeeper rerun tf.smoke x86_64 aarch64\n/gatekeeper rerun tf.smoke s390x arch=ppc\n"
        "/gatekeeper rerun tf.smoke --\n/gatekeeper rerun tf.smoke colour=red\n"
        "/gatekeeper waive tf.smoke expires=3d\n/gatekeeperish rerun tf.smoke\n/label ~x\n"
    )
    assert commands == []
    assert [b.line for b in bad] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "known: waive, rerun, known-issue" in bad[1].error
    assert "colour" in bad[6].error and "reason" in bad[7].error


# -- on the GitLab fake --------------------------------------------------------------------
@pytest.fixture
def world(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InboundWorld]:
    """The inbound world with a waivers group (wendy is in it)."""
    found = make_inbound_world(fake, tmp_path, f"sqlite:///{tmp_path / 'gk.db'}", monkeypatch,
                               waivers_group="CentOS/releng-waivers")  # fmt: skip
    yield found
    found.app.store.dispose()


def smoke(world: InboundWorld) -> Answer:
    """The stored decision's answer for tf.smoke."""
    decision = world.app.current_decision(world.compose)
    [answer] = [a for a in decision.answers if a.testcase == "tf.smoke"]
    return answer


def reply_to(world: InboundWorld, note: dict[str, Any]) -> str:
    [reply] = [n.body for n in world.bot_notes() if marker(note["id"]) in n.body]
    return str(reply)


def test_a_reporters_rerun_comment_makes_the_answer_pending_until_a_newer_result(
    world: InboundWorld,
) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    assert smoke(world).type == "test-result-failed"
    note = world.note(world.alice, "Again please.\n/gatekeeper rerun tf.smoke -- network flake")
    poll_once(world.app)
    [request] = world.app.triage.reruns(world.compose)
    assert (request.username, request.testcase, request.reason) == (
        "alice", "tf.smoke", f"network flake (GitLab note {note['id']}, line 2)",
    )  # fmt: skip
    answer = smoke(world)
    assert (answer.type, answer.reason, answer.rerun_id) == (
        "test-result-pending", "rerun requested", request.id,
    )  # fmt: skip
    # handled again (a delivery retried, a poll after a lost reaction): asked once
    ctx = open_merge_request(world.app, f"compose/{world.compose}", world.iid)
    assert ctx is not None
    handle_note(ctx, ctx.mr.notes.get(note["id"]), fresh=True)
    poll_once(world.app)
    assert len(world.app.triage.reruns(world.compose)) == 1
    world.note(world.carol, "gate: tf.smoke PASSED")  # the rerun's result, newer
    poll_once(world.app)
    assert (smoke(world).type, smoke(world).reason) == ("test-result-passed", None)


def test_a_rerun_without_a_reason_is_asked_once_for_its_note(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    note = world.note(world.carol, "/gatekeeper rerun tf.smoke")
    poll_once(world.app)
    ctx = open_merge_request(world.app, f"compose/{world.compose}", world.iid)
    assert ctx is not None
    handle_note(ctx, ctx.mr.notes.get(note["id"]), fresh=True)
    [request] = world.app.triage.reruns(world.compose)
    assert (request.username, request.reason) == ("carol", None)


def test_a_rerun_by_a_non_reporter_is_refused_with_a_reply(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    note = world.note(world.mallory, "/gatekeeper rerun tf.smoke -- I want it green")
    poll_once(world.app)
    assert world.app.triage.reruns(world.compose) == []
    assert smoke(world).type == "test-result-failed"
    reply = reply_to(world, note)
    assert "@mallory" in reply and "line 1" in reply
    assert "mallory is not a reporter of team tf" in reply and "admins" in reply
    notes = world.fake.project(COMPOSE_PROJECT).merge_requests[world.iid].notes
    [posted] = [n for n in notes if n.id == note["id"]]
    assert [a.name for a in posted.awards] == ["x"]


def test_a_rerun_by_a_gatekeeper_admin_of_the_same_name_is_done(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    issue_token(world.app, "mallory", is_admin=True)
    world.note(world.mallory, "/gatekeeper rerun tf.smoke")
    poll_once(world.app)
    [request] = world.app.triage.reruns(world.compose)
    assert request.username == "mallory" and smoke(world).type == "test-result-pending"


def test_a_rerun_of_a_passed_result_without_a_reason_is_refused(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke PASSED")
    poll_once(world.app)
    note = world.note(world.alice, "/gatekeeper rerun tf.smoke")
    poll_once(world.app)
    assert world.app.triage.reruns(world.compose) == []
    assert "a rerun of a passed result needs a reason" in reply_to(world, note)


def test_a_waive_comment_with_expires_and_bug(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    before = world.app.clock()
    world.note(world.wendy, f"gate-waive: tf.smoke expires=3d bug={BUG} -- infra outage")
    world.note(world.wendy, "/gatekeeper waive tf.vote expires=2h -- no voters today")
    poll_once(world.app)
    poll_once(world.app)
    waivers = {w.testcase: w for w in world.app.waivers(world.compose)}
    assert sorted(waivers) == ["tf.smoke", "tf.vote"]
    waiver = waivers["tf.smoke"]
    assert waiver.bug == BUG and waiver.username == "wendy"
    assert waiver.expires is not None
    assert timedelta(days=3) <= waiver.expires - before < timedelta(days=3, minutes=1)
    assert waivers["tf.vote"].bug is None
    answer = smoke(world)
    assert (answer.type, answer.waiver_id, answer.bug) == (
        "test-result-failed-waived", waiver.id, BUG,
    )  # fmt: skip
    assert answer.expires is not None and answer.expires.startswith(str(waiver.expires.year))


def test_a_waive_comment_past_the_limit_is_refused_naming_it(world: InboundWorld) -> None:
    note = world.note(world.wendy, "gate-waive: tf.smoke expires=soon -- outage")
    poll_once(world.app)
    assert world.app.waivers(world.compose) == []
    assert "soon" in reply_to(world, note)


def test_a_known_issue_comment_waives_by_its_bug_for_the_product(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    note = world.note(world.wendy, f"/gatekeeper known-issue tf.smoke bug={BUG} expires=14d "
                                   "-- kernel panic on boot, fixed upstream")  # fmt: skip
    poll_once(world.app)
    poll_once(world.app)
    [use] = world.app.triage.known_issues()
    issue = use.issue
    assert (issue.product, issue.testcase, issue.bug, issue.username) == (
        "CentOS-Stream-9", "tf.smoke", BUG, "wendy",
    )  # fmt: skip
    assert issue.comment.endswith(f"(GitLab note {note['id']}, line 1)")
    answer = smoke(world)
    assert (answer.type, answer.known_issue, answer.bug) == (
        "test-result-failed-waived", issue.id, BUG,
    )  # fmt: skip
    assert world.app.triage.known_issues()[0].composes == (world.compose,)


def test_a_known_issue_comment_without_waive_rights_is_refused(world: InboundWorld) -> None:
    world.note(world.alice, "gate: tf.smoke FAILED")
    poll_once(world.app)
    note = world.note(world.alice, f"/gatekeeper known-issue tf.smoke bug={BUG} -- mine")
    poll_once(world.app)
    assert world.app.triage.known_issues() == []
    assert smoke(world).type == "test-result-failed"
    assert "alice may not waive, so may not add a known issue" in reply_to(world, note)
