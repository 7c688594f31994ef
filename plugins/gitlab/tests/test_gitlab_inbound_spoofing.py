"""Nobody fools the inbound side: outsiders, edits, forged or replayed deliveries."""

import json
import urllib.error
import urllib.request
from typing import Any

from gatekeeper_gitlab.inbound.handle import poll_once
from gatekeeper_gitlab_fake import WebhookEvent, deliver
from gitlab_helpers import (
    COMPOSE_PROJECT,
    WEBHOOK_SECRET,
    InboundWorld,
    inbound_world,  # noqa: F401 - the fixture
)

from gatekeeper.testing import serving


def _queued(world: InboundWorld) -> int:
    with world.app.store.transaction() as tx:
        rows = tx.pending_outbox(1000)
    return len([r for r in rows if r["kind"] == "gatekeeper_forge_event"])


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_outsiders_and_edits_change_no_result(inbound: InboundWorld) -> None:
    w = inbound
    w.note(w.mallory, "gate: tf.smoke PASSED")  # a non-member's comment
    edited = w.note(w.alice, "gate: tf.smoke PASSED")
    w.as_user(w.alice).edit_note(COMPOSE_PROJECT, w.iid, edited["id"], "gate: tf.smoke FAILED")
    w.as_user(w.mallory).add_labels(COMPOSE_PROJECT, w.iid, "tf::failed")  # an outsider's label
    w.as_user(w.mallory).award_emoji(COMPOSE_PROJECT, w.iid, "thumbsdown")
    w.as_user(w.mallory).set_status(COMPOSE_PROJECT, w.head, "failed", "tf.smoke")
    # a forged label payload: an outsider's label event, the payload claiming alice did it
    events = [e for e in w.fake.webhook_events if e.event == "Merge Request Hook"]
    forged = events[-1].payload | {"user": {"id": w.alice.id, "username": "alice"}}
    with serving(w.app) as base:
        w.fake.deliver(f"{base}/webhooks/gitlab", WEBHOOK_SECRET)
        event = WebhookEvent("Merge Request Hook", forged, "u-1", "forged-1")
        assert deliver(event, f"{base}/webhooks/gitlab", WEBHOOK_SECRET) == 202
    w.dispatch()
    poll_once(w.app)
    assert w.results() == set()
    replies = w.bot_notes()
    assert len(replies) == 2  # mallory's comment, alice's edited one: explained once each
    assert any("edited" in n.body for n in replies)


def test_forged_replayed_unknown_deliveries_are_refused(
    inbound: InboundWorld, monkeypatch: Any
) -> None:
    w = inbound
    w.note(w.alice, "gate: tf.smoke PASSED")
    [event] = [e for e in w.fake.webhook_events if e.event == "Note Hook"]
    with serving(w.app) as base:
        url = f"{base}/webhooks/gitlab"
        assert deliver(event, url, "wrong-token") == 401
        assert deliver(event, url, None) == 401
        assert _queued(w) == 0
        assert deliver(event, url, WEBHOOK_SECRET) == 202
        assert deliver(event, url, WEBHOOK_SECRET) == 200  # a replay: already accepted
        assert _queued(w) == 1
        other = event.payload | {"project": {"path_with_namespace": "evil/CentOS-Stream-9"}}
        bad = WebhookEvent("Note Hook", other, "u-2", "k-2")
        assert deliver(bad, url, WEBHOOK_SECRET) == 403
        push = WebhookEvent("Push Hook", event.payload, "u-3", "k-3")
        assert deliver(push, url, WEBHOOK_SECRET) == 400
        body = json.dumps(event.payload).encode()
        headers = {"X-Gitlab-Token": WEBHOOK_SECRET, "X-Gitlab-Event": "Note Hook"}
        assert _post(url, body, headers) == 202  # no Idempotency-Key: the body's hash
        assert _post(url, body, headers) == 200
        monkeypatch.delenv("GATEKEEPER_GITLAB_WEBHOOK_SECRET")
        assert deliver(event, url, WEBHOOK_SECRET) == 503
    w.dispatch()
    assert w.results() == {("tf.smoke", "PASSED", None, None, None, "alice")}
    assert len(w.app.results(w.compose)) == 1
