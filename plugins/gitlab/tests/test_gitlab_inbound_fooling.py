"""Ways to fool the inbound side that look legitimate to GitLab: an MR merely named like the
compose's branch, a delivery naming another project or another MR's note, bodies built to
break the receiver. None changes a result, and nothing is left retrying in the outbox."""

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from gatekeeper_gitlab.inbound import webhook
from gatekeeper_gitlab.inbound.handle import poll_once, project_of
from gatekeeper_gitlab.inbound.webhook import project_matcher
from gatekeeper_gitlab.settings import GitLabSettings
from gatekeeper_gitlab_fake import DEVELOPER, MAINTAINER, WebhookEvent, deliver
from gitlab_helpers import (
    COMPOSE_PROJECT,
    WEBHOOK_SECRET,
    InboundWorld,
    inbound_world,  # noqa: F401 - the fixture
)

from gatekeeper.testing import serving

URL = "/webhooks/gitlab"


def _pending_events(world: InboundWorld) -> list[dict[str, Any]]:
    with world.app.store.transaction() as tx:
        rows = tx.pending_outbox(1000)
    return [r for r in rows if r["kind"] == "gatekeeper_forge_event"]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _last_hook(world: InboundWorld, name: str) -> WebhookEvent:
    return [e for e in world.fake.webhook_events if e.event == name][-1]


def test_an_mr_merely_named_like_the_compose_branch_counts_for_nothing(
    inbound: InboundWorld,
) -> None:
    w = inbound
    branch = f"compose/{w.compose}"
    carol = w.as_user(w.carol)
    carol.commit(COMPOSE_PROJECT, "stable", {"NOTES.md": "x\n"}, start_branch="main")
    other = carol.create_merge_request(COMPOSE_PROJECT, branch, "stable", "looks like it")
    assert other["iid"] != w.iid and other["source_branch"] == branch
    w.as_user(w.alice).post_note(COMPOSE_PROJECT, other["iid"], "gate: tf.smoke FAILED")
    carol.award_emoji(COMPOSE_PROJECT, other["iid"], "thumbsdown")
    carol.add_labels(COMPOSE_PROJECT, other["iid"], "tf::failed")
    with serving(w.app) as base:
        statuses = w.fake.deliver(f"{base}{URL}", WEBHOOK_SECRET)
    assert statuses and set(statuses) <= {200, 202}
    w.dispatch()
    poll_once(w.app)
    assert w.results() == set()
    assert _pending_events(w) == []
    assert w.bot_notes() == []  # nothing on the compose MR either


def test_a_note_delivery_naming_another_project_reads_nothing_there(
    inbound: InboundWorld,
) -> None:
    w = inbound
    w.dispatch()
    w.note(w.carol, "a first comment, so the compose MR's project id is known")
    with serving(w.app) as base:
        w.fake.deliver(f"{base}{URL}", WEBHOOK_SECRET)
    w.dispatch()
    # alice's own project, with an MR of the same iid and her result line on it
    elsewhere = "alice/sandbox"
    w.fake.create_project(elsewhere, files={"README.md": "mine\n"}, owner=w.alice)
    w.fake.add_member(elsewhere, w.alice, MAINTAINER)
    alice = w.as_user(w.alice)
    alice.commit(elsewhere, "topic", {"README.md": "changed\n"}, start_branch="main")
    mr = alice.create_merge_request(elsewhere, "topic", "main", "anything")
    assert mr["iid"] == w.iid
    alice.post_note(elsewhere, w.iid, "gate: tf.smoke FAILED")
    hook = _last_hook(w, "Note Hook")
    assert hook.payload["project"]["path_with_namespace"] == elsewhere
    # the delivery claims to be about the compose MR, keeping the other project's id
    payload = json.loads(json.dumps(hook.payload))
    payload["project"]["path_with_namespace"] = COMPOSE_PROJECT
    payload["merge_request"]["source_branch"] = f"compose/{w.compose}"
    payload["merge_request"]["iid"] = w.iid
    assert payload["project_id"] != w.fake.project(COMPOSE_PROJECT).id
    forged = WebhookEvent("Note Hook", payload, "u-forged", "k-forged")
    with serving(w.app) as base:
        assert deliver(forged, f"{base}{URL}", WEBHOOK_SECRET) == 202
    w.dispatch()
    assert w.results() == set()
    # the note is no note of the compose MR: dropped, not retried for ever
    assert _pending_events(w) == []
    sandbox = w.fake.project(elsewhere).merge_requests[w.iid]
    assert [a.name for n in sandbox.notes for a in n.awards] == []


def test_bodies_built_to_break_the_receiver_are_4xx(
    inbound: InboundWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = inbound
    w.note(w.alice, "gate: tf.smoke PASSED")
    hook = _last_hook(w, "Note Hook")
    headers = {"X-Gitlab-Token": WEBHOOK_SECRET, "X-Gitlab-Event": "Note Hook"}
    with serving(w.app) as base:
        url = f"{base}{URL}"
        assert _post(url, b"[" * 200_000 + b"]" * 200_000, headers) == 400  # nested too deep
        assert _post(url, b'{"project": "releng/CentOS-Stream-9"}', headers) == 403
        odd = hook.payload | {"project": [1], "merge_request": "x", "object_attributes": 3}
        assert _post(url, json.dumps(odd).encode(), headers) == 403
        odd = hook.payload | {"merge_request": "x", "object_attributes": [3]}
        assert _post(url, json.dumps(odd).encode(), headers) == 200  # nothing to do
        long_key = {**headers, "Idempotency-Key": "k" * 5000}
        body = json.dumps(hook.payload).encode()
        assert _post(url, body, long_key) == 202
        assert _post(url, body, long_key) == 200  # the same delivery again
        monkeypatch.setattr(webhook, "MAX_BODY", 1000)
        assert _post(url, json.dumps(hook.payload | {"pad": "x" * 2000}).encode(), headers) == 413
    w.dispatch()
    assert w.results() == {("tf.smoke", "PASSED", None, None, None, "alice")}


def test_a_project_given_by_id_accepts_its_merge_request_hooks(inbound: InboundWorld) -> None:
    w = inbound
    pid = w.fake.project(COMPOSE_PROJECT).id
    by_id = project_matcher(GitLabSettings(url=w.fake.url, project=str(pid)))
    by_path = project_matcher(GitLabSettings(url=w.fake.url, project="releng/{product}"))
    w.as_user(w.carol).add_labels(COMPOSE_PROJECT, w.iid, "tf::passed")
    hook = _last_hook(w, "Merge Request Hook")
    assert "project_id" not in hook.payload  # as GitLab sends it: project.id only
    assert by_id(*project_of(hook.payload)) and by_path(*project_of(hook.payload))
    other = hook.payload | {"project": {**hook.payload["project"], "id": pid + 1000}}
    assert not by_id(*project_of(other))


def test_a_team_member_of_another_team_is_no_reporter(inbound: InboundWorld) -> None:
    w = inbound
    w.fake.add_member(w.fake.create_group("CentOS/Integration/other"), w.mallory, DEVELOPER)
    w.note(w.mallory, "gate: tf.smoke PASSED\n/label ~tf::passed")  # a quick action aside
    with serving(w.app) as base:
        w.fake.deliver(f"{base}{URL}", WEBHOOK_SECRET)
    w.dispatch()
    assert w.results() == set()
