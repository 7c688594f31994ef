"""Results and waivers from the compose MR on the fake: comments, labels, emoji, statuses,
by webhook (queued, then dispatched) and by polling, reaching the same state."""

from typing import Any

import pytest
from gatekeeper_gitlab.inbound.handle import poll_once
from gatekeeper_gitlab.inbound.notes import marker
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import (
    COMPOSE_PROJECT,
    WEBHOOK_SECRET,
    InboundWorld,
    inbound_world,  # noqa: F401 - the fixture
    make_inbound_world,
)

from gatekeeper.testing import issue_token, serving


def _act(world: InboundWorld) -> None:
    """alice: two result lines; carol: label and thumbs up; alice: a status on the head."""
    world.note(
        world.alice,
        "Results:\ngate: tf.smoke PASSED https://ci.example.org/42 arch=x86_64 scenario=min\n"
        "gate: tf.smoke FAILED arch=aarch64\n",
    )
    world.as_user(world.carol).add_labels(COMPOSE_PROJECT, world.iid, "tf::passed")
    world.as_user(world.carol).award_emoji(COMPOSE_PROJECT, world.iid, "thumbsup")
    world.as_user(world.alice).set_status(COMPOSE_PROJECT, world.head, "success", "tf.status")


EXPECTED = {
    ("tf.smoke", "PASSED", "x86_64", "min", None, "alice"),
    ("tf.smoke", "FAILED", "aarch64", None, None, "alice"),
    ("tf.label", "PASSED", None, None, None, "carol"),
    ("tf.vote", "PASSED", None, None, None, "carol"),
    ("tf.status", "PASSED", None, None, None, "alice"),
}


def _via_webhooks(world: InboundWorld) -> list[int]:
    with serving(world.app) as base:
        statuses = world.fake.deliver(f"{base}/webhooks/gitlab", WEBHOOK_SECRET)
    world.dispatch()
    return statuses


def test_comment_label_emoji_status_by_webhook(inbound: InboundWorld) -> None:
    _act(inbound)
    statuses = _via_webhooks(inbound)
    assert statuses and set(statuses) <= {200, 202}
    assert inbound.results() == EXPECTED
    [note] = [n for n in inbound.fake.project(COMPOSE_PROJECT).merge_requests[inbound.iid].notes
              if n.author.id == inbound.alice.id]  # fmt: skip
    assert [(a.name, a.user.id) for a in note.awards] == [("white_check_mark", inbound.bot.id)]
    stored = {r.testcase: r for r in inbound.app.results(inbound.compose) if r.arch != "aarch64"}
    assert stored["tf.smoke"].ref_url == "https://ci.example.org/42"
    # delivering everything again, and polling, store nothing twice
    before = len(inbound.app.results(inbound.compose))
    poll_once(inbound.app)
    assert len(inbound.app.results(inbound.compose)) == before


def test_webhooks_and_polling_reach_the_same_results(
    inbound: InboundWorld, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _act(inbound)
    assert poll_once(inbound.app) == 1
    assert inbound.results() == EXPECTED
    _via_webhooks(inbound)  # the same changes, delivered late: nothing new
    assert inbound.results() == EXPECTED
    assert len(inbound.app.results(inbound.compose)) == len(EXPECTED)


def test_a_rejection_is_explained_once_and_reacted_on(inbound: InboundWorld) -> None:
    inbound.note(inbound.alice, "gate: tf.smoke PASSED\ngate: other.thing PASSED\ngate: x Y\n")
    poll_once(inbound.app)
    poll_once(inbound.app)  # handled already: no second reply
    _via_webhooks(inbound)
    [reply] = inbound.bot_notes()
    notes = inbound.fake.project(COMPOSE_PROJECT).merge_requests[inbound.iid].notes
    [note] = [n for n in notes if n.author.id == inbound.alice.id]
    assert marker(note.id) in reply.body and "line 2" in reply.body and "line 3" in reply.body
    assert sorted(a.name for a in note.awards) == ["white_check_mark", "x"]
    assert inbound.results() == {("tf.smoke", "PASSED", None, None, None, "alice")}


def test_waiver_by_comment_from_the_waivers_group_or_a_store_identity(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_inbound_world(
        fake, tmp_path, f"sqlite:///{tmp_path / 'gk.db'}", monkeypatch,
        waivers_group="CentOS/releng-waivers",
    )  # fmt: skip
    try:
        world.note(world.wendy, "gate-waive: tf.smoke arch=x86_64 -- infra outage")
        world.note(world.alice, "gate-waive: tf.vote -- alice is no waiver")
        issue_token(world.app, "carol", can_waive=True)
        world.note(world.carol, "gate-waive: tf.label -- carol may, by her identity")
        poll_once(world.app)
        poll_once(world.app)
        waivers = world.app.waivers(world.compose)
        assert sorted((w.testcase, w.username, w.arch) for w in waivers) == [
            ("tf.label", "carol", None), ("tf.smoke", "wendy", "x86_64"),
        ]  # fmt: skip
        assert "may not waive" in world.bot_notes()[0].body
    finally:
        world.app.store.dispose()


@pytest.mark.postgres
def test_the_main_path_on_postgresql(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, gk_postgres_url: str
) -> None:
    world = make_inbound_world(fake, tmp_path, gk_postgres_url, monkeypatch)
    try:
        _act(world)
        _via_webhooks(world)
        poll_once(world.app)
        assert world.results() == EXPECTED
    finally:
        world.app.store.dispose()
