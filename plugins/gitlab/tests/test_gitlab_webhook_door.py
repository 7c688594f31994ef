"""The webhook door under attack: malformed fields are refused, located, and queue nothing;
a note of thousands of bad lines gets a short reply."""

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import WEBHOOK_SECRET, InboundWorld, make_inbound_world

from gatekeeper.testing import serving

DIGITS = "9" * 4000  # within what Python's JSON reads, far beyond a 64-bit id


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


def _queued(world: InboundWorld) -> list[dict[str, Any]]:
    with world.app.store.transaction() as tx:
        rows = tx.pending_outbox(1000)
    return [r for r in rows if r["kind"] == "gatekeeper_forge_event"]


def _with(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(payload))
    *parents, name = path.split(".")
    node = changed
    for parent in parents:
        node = node[parent]
    node[name] = value
    return changed


# (key named in the answer, path changed, value; None in place of JSON text: raw JSON)
# fmt: off
MALFORMED: list[tuple[str, str, Any]] = [
    ("merge_request.iid", "merge_request.iid", DIGITS),
    ("object_attributes.id", "object_attributes.id", DIGITS),
    ("project_id", "project_id", DIGITS),
    ("project_id", "project_id", "\"7\""),
    ("object_attributes.action", "object_attributes.action", "1e400"),
    ("object_attributes.action", "object_attributes.action", "NaN"),
    ("object_attributes.action", "object_attributes.action", '"\\ud800"'),
    ("object_attributes.action", "object_attributes.action", '"a\\u0000b"'),
    ("object_attributes.action", "object_attributes.action", json.dumps("a" * 1_000_000)),
    ("object_attributes.action", "object_attributes.action", "[" * 500 + "]" * 500),
    ("merge_request.source_branch", "merge_request.source_branch", '"compose/\\ud800"'),
    ("merge_request.source_branch", "merge_request.source_branch", '"compose/a\\u0000"'),
    ("merge_request.source_branch", "merge_request.source_branch",
     json.dumps("compose/" + "x" * 1_000_000)),
    ("project.path_with_namespace", "project.path_with_namespace", '"releng/\\ud800"'),
    ("project.path_with_namespace", "project.path_with_namespace", '"releng/a\\u0000"'),
]
# fmt: on


@pytest.fixture
def world(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, gk_database_url: str
) -> Any:
    started = make_inbound_world(fake, tmp_path, gk_database_url, monkeypatch)
    yield started
    started.app.store.dispose()


def test_malformed_fields_are_refused_located_and_queue_nothing(world: InboundWorld) -> None:
    w = world
    w.note(w.alice, "gate: tf.smoke PASSED")
    [event] = [e for e in w.fake.webhook_events if e.event == "Note Hook"]
    headers = {"X-Gitlab-Token": WEBHOOK_SECRET, "X-Gitlab-Event": "Note Hook"}
    with serving(w.app) as base:
        url = f"{base}/webhooks/gitlab"
        for index, (key, path, raw) in enumerate(MALFORMED):
            marker = "__MALFORMED__"
            body = json.dumps(_with(event.payload, path, marker)).replace(f'"{marker}"', raw)
            status, answer = _post(url, body.encode(), headers | {"Idempotency-Key": f"k{index}"})
            assert (status, answer["error"]) == (400, "bad_request"), (key, raw[:40], answer)
            assert answer["detail"].startswith(f"{key}: "), answer
            assert len(answer["detail"]) < 300
        assert _queued(w) == []
        # still up, and the genuine delivery is taken
        status, _ = _post(url, json.dumps(event.payload).encode(), headers)
        assert status == 202
    [queued] = _queued(w)
    assert queued["payload"]["event"]["iid"] == w.iid
    w.dispatch()
    assert w.results() == {("tf.smoke", "PASSED", None, None, None, "alice")}


def test_deliveries_gitlab_sends_for_other_things_are_ignored(world: InboundWorld) -> None:
    w = world
    w.note(w.alice, "gate: tf.smoke PASSED")
    [event] = [e for e in w.fake.webhook_events if e.event == "Note Hook"]
    headers = {"X-Gitlab-Token": WEBHOOK_SECRET, "X-Gitlab-Event": "Note Hook"}
    issue = _with(event.payload, "object_attributes.noteable_type", "Issue")
    del issue["merge_request"]
    other = _with(event.payload, "merge_request.source_branch", "feature/x")
    with serving(w.app) as base:
        url = f"{base}/webhooks/gitlab"
        odd = event.payload | {"merge_request": "x", "object_attributes": [3]}
        for body in (issue, other, odd):
            status, answer = _post(url, json.dumps(body).encode(), headers)
            assert (status, answer["status"]) == (200, "ignored")
        status, _ = _post(url, json.dumps(event.payload | {"project": None}).encode(), headers)
        assert status == 403  # no project: not a Compose Repo
        for raw in (b"{not json", b"[" * 10_000 + b"]" * 10_000, b"[1]", b"5",
                    b'{"iid": ' + b"9" * 5000 + b"}"):  # fmt: skip
            status, answer = _post(url, raw, headers)
            assert (status, answer["error"]) == (400, "bad_request")
        status, answer = _post(url, json.dumps(event.payload).encode(),
                               headers | {"X-Gitlab-Token": "s\xe9cret" * 5000})  # fmt: skip
        assert status == 401
    assert _queued(w) == []


def test_a_note_of_ten_thousand_bad_lines_gets_a_short_reply(world: InboundWorld) -> None:
    w = world
    w.note(w.alice, "\n".join(["gate: " + "y" * 100] * 10_000))
    w.note(w.alice, "gate: tf." + "a" * 10_000 + " PASSED arch=\ud800")
    with serving(w.app) as base:
        assert set(w.fake.deliver(f"{base}/webhooks/gitlab", WEBHOOK_SECRET)) == {202}
    w.dispatch()
    assert _queued(w) == []
    assert w.results() == set()
    replies = [n.body for n in w.bot_notes()]
    assert len(replies) == 2
    assert all(len(body) < 8_000 for body in replies), [len(body) for body in replies]
    assert "and 9,980 more lines like these" in replies[0]
