"""GitLabForge.merge/close/rebase/discard against the fake."""

import threading
import time

import pytest
from gatekeeper_gitlab.errors import GitLabError
from gitlab_helpers import COMPOSE_PROJECT, PRODUCT, ForgeWorld
from test_gitlab_forge_propose import BRANCH, WHEN, builds, propose

MERGE = r"/projects/[^/]+/merge_requests/\d+/merge"


def test_merge_puts_merge_with_the_head_sha_and_returns_the_new_main(
    forge_world: ForgeWorld,
) -> None:
    w = forge_world
    mr = propose(w, builds(3))
    commit = w.forge.merge(PRODUCT, BRANCH, message="Compose x", when=WHEN)
    [put] = [r for r in w.fake.requests if r.method == "PUT" and r.path.endswith("/merge")]
    assert {**put.query, **put.body}["sha"] == mr.head_commit
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.branches["main"] == commit
    assert state.merge_requests[1].state == "merged"
    assert w.forge.main_head(PRODUCT) == commit


def test_merging_again_returns_the_same_merge_commit(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(3))
    first = w.forge.merge(PRODUCT, BRANCH, message="m", when=WHEN)
    w.fake.clear_requests()
    assert w.forge.merge(PRODUCT, BRANCH, message="m", when=WHEN) == first
    assert w.fake.count("PUT") == 0


def test_a_dropped_merge_response_is_retried_and_answers_the_merge_commit(
    forge_world: ForgeWorld,
) -> None:
    w = forge_world
    propose(w, builds(3))
    w.fake.faults.drop_response("PUT", MERGE)
    commit = w.forge.merge(PRODUCT, BRANCH, message="m", when=WHEN)
    assert w.fake.project(COMPOSE_PROJECT).branches["main"] == commit
    assert [r.status for r in w.fake.requests if r.path.endswith("/merge")] == [0, 405]


def test_a_branch_moved_after_it_was_read_is_not_merged(forge_world: ForgeWorld) -> None:
    """The sha guard: someone pushes between gatekeeper's read and its PUT merge."""
    w = forge_world
    propose(w, builds(3))
    main = w.fake.project(COMPOSE_PROJECT).branches["main"]
    w.fake.faults.delay("PUT", MERGE, seconds=0.5)

    def push() -> None:
        time.sleep(0.1)
        w.fake.as_user(w.dev).commit(COMPOSE_PROJECT, BRANCH, {"sneaky.txt": "x"})

    pusher = threading.Thread(target=push)
    pusher.start()
    with pytest.raises(GitLabError) as caught:
        w.forge.merge(PRODUCT, BRANCH, message="m", when=WHEN)
    pusher.join()
    assert caught.value.status == 409
    assert "SHA does not match HEAD of source branch" in str(caught.value)
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.branches["main"] == main and state.merge_requests[1].state == "opened"


def test_close_posts_the_reason_then_closes_once(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(3))
    w.forge.close(PRODUCT, BRANCH, reason="superseded by CentOS-Stream-9-20261125.n.0")
    w.forge.close(PRODUCT, BRANCH, reason="superseded by CentOS-Stream-9-20261125.n.0")
    mr = w.fake.project(COMPOSE_PROJECT).merge_requests[1]
    assert mr.state == "closed"
    mine = [n for n in mr.notes if not n.system]
    assert len(mine) == 1 and "superseded by CentOS-Stream-9-20261125.n.0" in mine[0].body
    assert mine[0].author.username == "gatekeeper-bot"


def test_rebase_re_renders_the_branch_onto_the_new_main_by_force(forge_world: ForgeWorld) -> None:
    w = forge_world
    other = "compose/CentOS-Stream-9-20261123.n.0"
    old = propose(w, builds(4, version="2"))
    w.forge.propose(
        PRODUCT, other, builds(4, version="1"), title="older", description="", when=WHEN
    )
    new_main = w.forge.merge(PRODUCT, other, message="publish older", when=WHEN)
    w.fake.clear_requests()
    moved = w.forge.rebase(PRODUCT, BRANCH, message="Compose x", when=WHEN)
    [commit] = [r for r in w.fake.requests if r.method == "POST" and "commits" in r.path]
    assert commit.body["force"] is True and commit.body["start_branch"] == "main"
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.commits[moved.head_commit].parent_ids == [new_main]
    assert (moved.base_commit, moved.tree_id) == (new_main, old.tree_id)
    assert w.fake.files(COMPOSE_PROJECT, BRANCH)["compose.yaml"] == "id: CentOS-Stream-9-2\n"
    w.fake.clear_requests()
    assert w.forge.rebase(PRODUCT, BRANCH, message="Compose x", when=WHEN) == moved
    assert w.fake.count("POST") == 0


def test_discard_closes_the_mr_and_deletes_the_branch(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.forge.discard(PRODUCT, BRANCH)
    w.forge.discard(PRODUCT, BRANCH)
    state = w.fake.project(COMPOSE_PROJECT)
    assert BRANCH not in state.branches
    assert state.merge_requests[1].state == "closed"
