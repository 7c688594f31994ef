"""Webhook payloads (Merge Request, Note, Emoji Hooks) and their explicit delivery."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from gatekeeper_gitlab_fake import deliver
from gitlab_helpers import PROJECT, World, open_mr


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], Any]]]]:
    received: list[tuple[dict[str, str], Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/gitlab", received
    server.shutdown()
    server.server_close()


def test_changes_are_recorded_as_gitlab_hooks(world: World) -> None:
    mr = open_mr(world)
    note = world.fake.as_user(world.alice).post_note(PROJECT, mr.iid, "gate: x PASSED")
    world.fake.as_user(world.alice).award_emoji(PROJECT, mr.iid, "thumbsup", note_id=note["id"])
    world.fake.as_user(world.dev).add_labels(PROJECT, mr.iid, "rdo::passed")
    kinds = [
        (e.event, e.payload["object_kind"], e.payload["object_attributes"]["action"])
        for e in world.fake.webhook_events
    ]
    assert kinds == [
        ("Merge Request Hook", "merge_request", "open"),
        ("Note Hook", "note", "create"),
        ("Emoji Hook", "emoji", "award"),
        ("Merge Request Hook", "merge_request", "update"),
    ]
    opened, noted, emoji, labelled = (e.payload for e in world.fake.webhook_events)
    assert opened["user"]["username"] == "gatekeeper-bot"
    assert opened["project"]["path_with_namespace"] == PROJECT
    assert opened["object_attributes"]["iid"] == mr.iid
    assert noted["object_attributes"]["note"] == "gate: x PASSED"
    assert noted["merge_request"]["iid"] == mr.iid and noted["user"]["username"] == "alice"
    assert emoji["event_type"] == "award"
    assert emoji["object_attributes"]["awardable_type"] == "Note"
    assert emoji["note"]["id"] == note["id"]
    assert [lb["title"] for lb in labelled["changes"]["labels"]["current"]] == ["rdo::passed"]
    assert labelled["user"]["username"] == "dev"


def test_deliver_posts_pending_events_with_gitlabs_headers(
    world: World, receiver: tuple[str, list[tuple[dict[str, str], Any]]]
) -> None:
    url, received = receiver
    open_mr(world)
    assert world.fake.deliver(url, "s3cret") == [200]
    assert world.fake.deliver(url, "s3cret") == []
    [(headers, body)] = received
    assert headers["x-gitlab-event"] == "Merge Request Hook"
    assert headers["x-gitlab-token"] == "s3cret"
    assert headers["idempotency-key"] == headers["x-gitlab-event-uuid"]
    assert body["object_kind"] == "merge_request"


def test_one_event_can_be_replayed_or_forged(
    world: World, receiver: tuple[str, list[tuple[dict[str, str], Any]]]
) -> None:
    url, received = receiver
    open_mr(world)
    [event] = world.fake.webhook_events
    assert deliver(event, url, "wrong") == 200
    assert deliver(event, url, "s3cret") == 200
    assert [h["x-gitlab-token"] for h, _ in received] == ["wrong", "s3cret"]
    assert received[0][0]["idempotency-key"] == received[1][0]["idempotency-key"]
