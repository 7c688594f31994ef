"""Fault injection against python-gitlab's own retries, and the request log."""

import time

import gitlab
import pytest
import requests
from gitlab_helpers import PROJECT, World, open_mr

NOTES = r"/projects/[^/]+/merge_requests/\d+/notes"


def test_5xx_is_retried_by_python_gitlab(world: World) -> None:
    mr = open_mr(world)
    world.fake.faults.error("POST", NOTES, status=502, times=2)
    world.fake.clear_requests()
    mr.notes.create({"body": "summary"})
    statuses = [r.status for r in world.fake.requests]
    assert statuses == [502, 502, 201]
    assert len(mr.notes.list(get_all=True)) == 1


def test_5xx_beyond_max_retries_surfaces(world: World) -> None:
    mr = open_mr(world)
    world.fake.faults.error("POST", NOTES, status=503, times=5)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        mr.notes.create({"body": "summary"}, max_retries=1)
    assert caught.value.response_code == 503
    assert world.fake.count("POST", NOTES) == 2
    assert len(world.fake.faults.pending()) == 1


def test_429_is_retried_after_retry_after(world: World) -> None:
    mr = open_mr(world)
    world.fake.faults.rate_limit("*", r"/projects/.*", retry_after=1)
    world.fake.clear_requests()
    started = time.monotonic()
    mr.notes.create({"body": "summary"})
    assert time.monotonic() - started >= 1
    [limited, created] = world.fake.requests
    assert (limited.status, limited.fault, created.status) == (429, "rate_limit", 201)


def test_429_without_obey_rate_limit_surfaces(world: World) -> None:
    mr = open_mr(world)
    world.fake.faults.rate_limit("POST", NOTES)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        mr.notes.create({"body": "x"}, obey_rate_limit=False)
    assert caught.value.response_code == 429


def test_a_delay_beyond_the_timeout_surfaces_as_an_error(world: World) -> None:
    gl = world.client(timeout=0.3, retry_transient_errors=False)
    world.fake.faults.delay("GET", r"/projects/[^/]+", seconds=0.8)
    with pytest.raises(requests.exceptions.Timeout):
        gl.projects.get(PROJECT)


def test_a_dropped_response_was_applied_and_the_retry_duplicates_it(world: World) -> None:
    """The case the plugin must survive: the POST happened, the client saw an error."""
    mr = open_mr(world)
    world.fake.faults.drop_response("POST", NOTES)
    world.fake.clear_requests()
    mr.notes.create({"body": "<!-- gatekeeper -->"})
    assert [(r.status, r.fault) for r in world.fake.requests] == [(0, "drop_response"), (201, None)]
    assert len(mr.notes.list(get_all=True)) == 2  # a naive client posts twice


def test_a_dropped_response_without_retries_raises_but_changed_the_server(world: World) -> None:
    mr = open_mr(world)
    gl = world.client(retry_transient_errors=False)
    world.fake.faults.drop_response("POST", NOTES)
    with pytest.raises(requests.exceptions.ConnectionError):
        gl.projects.get(PROJECT, lazy=True).mergerequests.get(mr.iid, lazy=True).notes.create(
            {"body": "summary"}
        )
    assert [n.body for n in mr.notes.list(get_all=True)] == ["summary"]


def test_faults_match_method_and_path_and_are_used_in_order(world: World) -> None:
    open_mr(world)
    world.fake.faults.error("GET", r"/projects/[^/]+/merge_requests", status=500)
    world.fake.faults.error("GET", r"/projects/[^/]+/merge_requests", status=502)
    world.fake.clear_requests()
    world.project().mergerequests.list(get_all=True)
    assert [r.status for r in world.fake.requests] == [200, 500, 502, 200]
    assert world.fake.faults.pending() == []


def test_the_request_log_records_method_path_query_body_status_and_user(world: World) -> None:
    mr = open_mr(world)
    world.fake.clear_requests()
    mr.notes.create({"body": "hello"})
    world.fake.as_user(world.alice).post_note(PROJECT, mr.iid, "hi")
    bot, alice = world.fake.requests
    assert (bot.method, bot.path, bot.body, bot.status, bot.user) == (
        "POST",
        f"/projects/{mr.project_id}/merge_requests/1/notes",
        {"body": "hello"},
        201,
        "gatekeeper-bot",
    )
    assert alice.user == "alice"
    assert world.fake.count("POST", NOTES, user="gatekeeper-bot") == 1
    world.project().mergerequests.list(state="opened", per_page=5)
    assert world.fake.requests[-1].query == {"state": "opened", "per_page": "5"}
