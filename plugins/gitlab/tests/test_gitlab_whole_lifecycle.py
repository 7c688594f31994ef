"""The whole lifecycle on GitLab, both sides at once: compose -> MR -> results by comment,
label, emoji and status -> the summary note, label and status follow the decision ->
promotion -> publish -> merge; and GitLab failing while the MR's results are read."""

from collections.abc import Iterator
from typing import Any

import pytest
from gatekeeper_gitlab.inbound.notes import marker
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import (
    COMPOSE_PROJECT,
    WEBHOOK_SECRET,
    InboundWorld,
    bot_summary_notes,
    gate_labels,
    gate_statuses,
    make_inbound_world,
    outbox_due_now,
    outbox_pending,
)

from gatekeeper.testing import serving

NOTES = r"/projects/[^/]+/merge_requests/\d+/notes"
NOTE = r"/projects/[^/]+/merge_requests/\d+/notes/\d+"
AWARDS = r"/projects/[^/]+/merge_requests/\d+/notes/\d+/award_emoji"
LABEL_EVENTS = r"/projects/[^/]+/merge_requests/\d+/resource_label_events"


@pytest.fixture
def both(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InboundWorld]:
    """The inbound world with the outbound plugin too (the MR follows the decision), and
    python-gitlab retrying once with a short timeout."""
    url = f"sqlite:///{tmp_path / 'gatekeeper.db'}"
    world = make_inbound_world(
        fake, tmp_path, url, monkeypatch, outbound=True, max_retries=1, timeout=0.5
    )
    yield world
    world.app.store.dispose()


def _deliver_all(w: InboundWorld) -> None:
    """Deliver every webhook (the bot's own changes included) until nothing new comes."""
    with serving(w.app) as base:
        for _ in range(5):
            sent = w.fake.deliver(f"{base}/webhooks/gitlab", WEBHOOK_SECRET)
            w.dispatch()
            if not sent:
                return
    raise AssertionError("webhooks kept coming")


def test_results_on_the_mr_drive_it_to_the_merge(both: InboundWorld) -> None:
    w, fake = both, both.fake
    _deliver_all(w)
    assert bot_summary_notes(fake, w.iid)[0].startswith(
        "<!-- gatekeeper:summary -->\n## Gate: pending\n"
    )
    assert gate_labels(fake, w.iid) == ["gate::pending"]

    w.note(w.alice, "gate: tf.smoke FAILED https://ci.example.org/1")
    _deliver_all(w)
    [body] = bot_summary_notes(fake, w.iid)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: failed\n")
    assert gate_labels(fake, w.iid) == ["gate::failed"]
    assert gate_statuses(fake, w.head)[-1] == "failed"

    w.note(w.alice, "gate: tf.smoke PASSED https://ci.example.org/2")
    w.as_user(w.carol).add_labels(COMPOSE_PROJECT, w.iid, "tf::passed")
    w.as_user(w.carol).award_emoji(COMPOSE_PROJECT, w.iid, "thumbsup")
    w.as_user(w.alice).set_status(COMPOSE_PROJECT, w.head, "success", "tf.status")
    _deliver_all(w)
    assert {r[:2] + r[5:] for r in w.results()} == {
        ("tf.smoke", "FAILED", "alice"), ("tf.smoke", "PASSED", "alice"),
        ("tf.label", "PASSED", "carol"), ("tf.vote", "PASSED", "carol"),
        ("tf.status", "PASSED", "alice"),
    }  # fmt: skip
    assert w.app.decide(w.compose).verdict == "passed"
    [body] = bot_summary_notes(fake, w.iid)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: passed (promoted)\n")
    assert gate_labels(fake, w.iid) == ["gate::passed"]
    head = w.head
    assert gate_statuses(fake, head)[-1] == "success"

    w.app.publish(w.compose)
    _deliver_all(w)
    state = fake.project(COMPOSE_PROJECT)
    assert state.merge_requests[w.iid].state == "merged"
    assert state.branches["main"] == state.merge_requests[w.iid].merge_commit_sha
    [body] = bot_summary_notes(fake, w.iid)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: passed (published)\n")
    assert gate_statuses(fake, head).count("success") == 1
    assert outbox_pending(w.app) == []
    assert len(w.app.results(w.compose)) == 5  # the bot's own activity counted for nothing


def test_gitlab_failing_while_results_are_read_applies_each_once(both: InboundWorld) -> None:
    w, fake = both, both.fake
    _deliver_all(w)
    note = w.note(w.alice, "gate: tf.smoke PASSED\ngate: other.thing PASSED\n")
    w.as_user(w.carol).add_labels(COMPOSE_PROJECT, w.iid, "tf::passed")
    # GitLab goes down: the note read 503s, the label events 429, the reply's POST is
    # applied but its answer lost, the reaction times out (applied late)
    fake.faults.error("GET", NOTE, status=503, times=2)
    fake.faults.rate_limit("GET", LABEL_EVENTS, retry_after=1, times=2)
    fake.faults.drop_response("POST", NOTES, times=1)
    fake.faults.delay("POST", AWARDS, seconds=1.0, times=2)
    with serving(w.app) as base:
        assert fake.deliver(f"{base}/webhooks/gitlab", WEBHOOK_SECRET)
    for _ in range(10):  # the dispatcher's retries, backoff elapsed each time
        w.dispatch()
        if not [r for r in outbox_pending(w.app) if r["kind"] == "gatekeeper_forge_event"]:
            break
        outbox_due_now(w.app)
    fake.faults.clear()  # GitLab is back
    outbox_due_now(w.app)
    _deliver_all(w)
    outbox_due_now(w.app)
    _deliver_all(w)
    assert outbox_pending(w.app) == []
    assert {r[:2] + r[5:] for r in w.results()} == {
        ("tf.smoke", "PASSED", "alice"), ("tf.label", "PASSED", "carol"),
    }  # fmt: skip
    assert len(w.app.results(w.compose)) == 2
    replies = [n for n in w.bot_notes() if marker(note["id"]) in n.body]
    assert len(replies) == 1  # explained once, though a POST's answer was lost
    mr = fake.project(COMPOSE_PROJECT).merge_requests[w.iid]
    [mine] = [n for n in mr.notes if n.id == note["id"]]
    assert sorted(a.name for a in mine.awards) == ["white_check_mark", "x"]
    assert len(bot_summary_notes(fake, w.iid)) == 1
    assert gate_labels(fake, w.iid) == ["gate::pending"]  # tf.vote still missing
