"""GitLab failing mid-operation: python-gitlab retries, each change applied once; timeouts."""

import pytest
from gatekeeper_gitlab.errors import GitLabError
from gitlab_helpers import COMPOSE_PROJECT, PRODUCT, ForgeWorld, make_forge
from test_gitlab_forge_propose import BRANCH, builds, propose

from gatekeeper.errors import Unavailable

COMMITS = r"/projects/[^/]+/repository/commits"
MRS = r"/projects/[^/]+/merge_requests"


def test_5xx_and_429_mid_propose_are_retried_and_applied_once(forge_world: ForgeWorld) -> None:
    w = forge_world
    w.fake.faults.error("POST", COMMITS, status=502, times=2)
    w.fake.faults.rate_limit("POST", MRS, retry_after=1)
    w.fake.faults.error("GET", r"/projects/[^/]+/repository/tree", status=503)
    mr = propose(w, builds(3))
    state = w.fake.project(COMPOSE_PROJECT)
    assert [r.status for r in w.fake.requests if r.method == "POST" and "commits" in r.path] == [
        502,
        502,
        201,
    ]
    assert len(state.merge_requests) == 1 and mr.number == 1
    assert state.commits[state.branches[BRANCH]].parent_ids == [state.branches["main"]]
    assert w.fake.faults.pending() == []


def test_a_dropped_commit_response_is_retried_into_the_same_tree(forge_world: ForgeWorld) -> None:
    w = forge_world
    w.fake.faults.drop_response("POST", COMMITS)
    mr = propose(w, builds(3))
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.commits[mr.head_commit].parent_ids == [state.branches["main"]]
    assert state.branches[BRANCH] == mr.head_commit
    assert w.fake.files(COMPOSE_PROJECT, BRANCH)["compose.yaml"] == "id: CentOS-Stream-9-1\n"


def test_5xx_beyond_max_retries_surfaces_as_a_gitlab_error(forge_world: ForgeWorld) -> None:
    w = forge_world
    forge = make_forge(w.fake, w.bot, max_retries=1)
    w.fake.faults.error("GET", r"/projects/[^/]+/repository/branches/main", status=503, times=2)
    with pytest.raises(GitLabError) as caught:
        forge.main_head(PRODUCT)
    assert caught.value.status == 503
    assert str(caught.value).startswith("forge.gitlab: reading main: GitLab answered 503")
    assert isinstance(caught.value, Unavailable)  # try again later: the bus requeues, API 503


def test_a_timeout_surfaces_as_an_error(forge_world: ForgeWorld) -> None:
    w = forge_world
    forge = make_forge(w.fake, w.bot, timeout=0.3, max_retries=1)
    w.fake.faults.delay("GET", r"/projects/[^/]+/repository/branches/main", seconds=0.8, times=2)
    with pytest.raises(GitLabError) as caught:
        forge.main_head(PRODUCT)
    assert "Timeout" in str(caught.value)
    assert isinstance(caught.value, Unavailable)


def test_a_refusal_is_not_an_outage(forge_world: ForgeWorld) -> None:
    w = forge_world
    forge = make_forge(w.fake, w.bot, max_retries=1)
    w.fake.faults.error("GET", r"/projects/[^/]+/repository/branches/main", status=403, times=1)
    with pytest.raises(GitLabError) as caught:
        forge.main_head(PRODUCT)
    assert caught.value.status == 403 and not isinstance(caught.value, Unavailable)
