"""GitLab failing part-way through a publish: the merge is done on GitLab, then closing a
superseded MR (or re-rendering a newer one) fails (5xx after python-gitlab's retries, or a
timeout the server applies late). The store transaction rolls back, what GitLab did stays
done; publishing again (a retried bus message, API call or operator) finishes the job, and
every GitLab change is made exactly once."""

import json
import time
from pathlib import Path

import pytest
from gatekeeper_gitlab.errors import GitLabUnavailable
from gatekeeper_gitlab.signals import CLOSE_MARK
from gatekeeper_gitlab_fake import GitLabFake
from gatekeeper_gitlab_fake.faults import Fault
from gitlab_helpers import COMPOSE_PROJECT, ForgeWorld

from gatekeeper.api.errors import gatekeeper_error
from gatekeeper.errors import Unavailable
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import synthetic_builds, write_compose

MERGE = r"/projects/[^/]+/merge_requests/\d+/merge"
COMMITS = r"/projects/[^/]+/repository/commits"
MARK = "<!-- gatekeeper:"


@pytest.fixture
def app(impatient_app: Gatekeeper) -> Gatekeeper:
    return impatient_app


def three_composes(app: Gatekeeper, tmp_path: Path) -> tuple[str, str, str]:
    """Older, target and newer nightlies, each with its MR open (iids 1, 2, 3)."""
    ids = []
    for n, date in enumerate(("20261123", "20261124", "20261125")):
        top = tmp_path / f"compose-{date}"
        ids.append(write_compose(top, builds=synthetic_builds(4 + n, seed=n), date=date))
        app.import_compose(str(top))
    older, target, newer = ids
    return older, target, newer


def inject(fake: GitLabFake, how: str, method: str, path: str) -> Fault:
    """GitLab failing ``method path`` for longer than python-gitlab retries (max_retries=1):
    answering 503, or timing out (the server applies the request late)."""
    if how == "5xx":
        return fake.faults.error(method, path, status=503, times=50)
    return fake.faults.delay(method, path, seconds=1.2, times=2)


def recover(fake: GitLabFake, fault: Fault) -> None:
    """GitLab is back: the late (timed-out) requests have been applied, no fault is left."""
    for _ in range(50):
        late = [r for r in fake.requests if r.fault == "delay"]
        if fault.kind != "delay" or len(late) == fault.hits:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the delayed requests were never applied")
    fake.faults.clear()


def assert_located(exc: BaseException, what: str) -> None:
    """A located gatekeeper error saying what failed: GitLab is unavailable, try again
    (the API answers 503 ``unavailable``, the CLI prints the one line)."""
    assert isinstance(exc, GitLabUnavailable) and isinstance(exc, Unavailable)
    assert exc.key == "forge.gitlab"
    assert str(exc).startswith(f"forge.gitlab: {what}: ")
    response = gatekeeper_error(exc)
    assert response.status_code == 503
    assert json.loads(bytes(response.body))["error"] == "unavailable"


def rows(app: Gatekeeper, *ids: str) -> list[tuple[str, str | None]]:
    """(compose state, merge request state) of each compose, from the store."""
    found = []
    for cid in ids:
        with app.store.transaction() as tx:
            row = tx.compose_row(cid)
            mr = tx.merge_request_for(cid)
        assert row is not None and mr is not None
        found.append((row["state"], mr["state"]))
    return found


def mr_row(app: Gatekeeper, cid: str) -> dict[str, object]:
    with app.store.transaction() as tx:
        mr = tx.merge_request_for(cid)
    assert mr is not None
    return dict(mr)


def assert_no_duplicate_notes(fake: GitLabFake) -> None:
    """Every bot note carries its own marker: no marker twice on any MR."""
    for mr in fake.project(COMPOSE_PROJECT).merge_requests.values():
        marks = [
            n.body.split("\n", 1)[0]
            for n in mr.notes
            if n.author.username == "gatekeeper-bot" and n.body.startswith(MARK)
        ]
        assert len(marks) == len(set(marks)), (mr.iid, marks)


def assert_published(
    app: Gatekeeper, fake: GitLabFake, older: str, target: str, newer: str, trees: dict[str, object]
) -> None:
    state = fake.project(COMPOSE_PROJECT)
    assert len(state.merge_requests) == 3  # no MR opened again
    first, merged, later = (state.merge_requests[i] for i in (1, 2, 3))
    assert (first.state, merged.state, later.state) == ("closed", "merged", "opened")
    # merged once, main at its merge commit, which the store recorded
    assert fake.count("PUT", MERGE) == 1
    assert len([n for n in merged.notes if n.system and n.body.startswith("merged")]) == 1
    main = state.branches["main"]
    assert merged.merge_commit_sha == main
    assert mr_row(app, target)["head_commit"] == main
    assert fake.files(COMPOSE_PROJECT, "main") == fake.files(COMPOSE_PROJECT, f"compose/{target}")
    assert mr_row(app, target)["tree_id"] == trees[target]  # as proposed, not re-rendered
    # the older MR closed once, with one "superseded" note
    assert len([n for n in first.notes if n.system and n.body == "closed"]) == 1
    closing = [n for n in first.notes if n.author.username == "gatekeeper-bot" and
               n.body.startswith(CLOSE_MARK)]  # fmt: skip
    assert len(closing) == 1 and f"superseded by {target}" in closing[0].body
    # the newer MR re-rendered on the new main, same tree, the store following it
    head = state.branches[f"compose/{newer}"]
    assert fake.project(COMPOSE_PROJECT).commits[head].parent_ids == [main]
    newer_row = mr_row(app, newer)
    assert newer_row["head_commit"] == head and newer_row["tree_id"] == trees[newer]
    assert newer_row["base_compose"] == target
    assert later.description == newer_row["description"]
    assert rows(app, older, target, newer) == [
        ("superseded", "closed"), ("published", "merged"), ("proposed", "open"),
    ]  # fmt: skip
    assert_no_duplicate_notes(fake)
    assert app.publish(target).already  # and a third time: nothing to do


@pytest.mark.parametrize("how", ["5xx", "timeout"])
def test_closing_the_superseded_mr_fails_after_the_merge(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path, how: str
) -> None:
    fake = forge_world.fake
    older, target, newer = three_composes(app, tmp_path)
    trees = {cid: mr_row(app, cid)["tree_id"] for cid in (target, newer)}
    before = fake.project(COMPOSE_PROJECT).branches["main"]
    fake.clear_requests()
    # the merge goes through; closing MR 1 (PUT state_event=close) does not
    fault = inject(fake, how, "PUT", r"/projects/[^/]+/merge_requests/1")
    with pytest.raises(Unavailable) as failed:
        app.publish(target, force=True)  # never promoted: no results here
    assert_located(failed.value, "closing the merge request")
    state = fake.project(COMPOSE_PROJECT)
    assert state.merge_requests[2].state == "merged"  # done on GitLab
    assert state.branches["main"] != before
    # ... and not in the store: the transaction rolled back
    assert rows(app, older, target, newer) == [("proposed", "open")] * 3

    recover(fake, fault)
    report = app.publish(target, force=True)  # the retry
    assert not report.already and report.main_commit == state.branches["main"]
    assert report.superseded == (older,) and report.rerendered == (newer,)
    assert_published(app, fake, older, target, newer, trees)


@pytest.mark.parametrize("how", ["5xx", "timeout"])
def test_rerendering_the_newer_mr_fails_after_the_merge(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path, how: str
) -> None:
    fake = forge_world.fake
    older, target, newer = three_composes(app, tmp_path)
    trees = {cid: mr_row(app, cid)["tree_id"] for cid in (target, newer)}
    fake.clear_requests()
    # the merge and the close go through; the newer branch's new commit does not
    fault = inject(fake, how, "POST", COMMITS)
    with pytest.raises(Unavailable) as failed:
        app.publish(target, force=True)  # never promoted: no results here
    assert_located(failed.value, "re-rendering the branch")
    state = fake.project(COMPOSE_PROJECT)
    assert (state.merge_requests[1].state, state.merge_requests[2].state) == ("closed", "merged")
    assert rows(app, older, target, newer) == [("proposed", "open")] * 3

    recover(fake, fault)
    report = app.publish(target, force=True)
    assert report.superseded == (older,) and report.rerendered == (newer,)
    assert_published(app, fake, older, target, newer, trees)


def test_a_forced_publish_says_so_on_gitlab(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    """A compose never promoted, published with force: the MR's description and its merge
    commit say so on GitLab, naming who forced it."""
    fake = forge_world.fake
    _, target, _ = three_composes(app, tmp_path)
    report = app.publish(target, force=True, by="releng")
    state = fake.project(COMPOSE_PROJECT)
    merged = state.merge_requests[2]
    assert merged.state == "merged" and merged.merge_commit_sha == report.main_commit
    note = "Published without promotion (forced by releng)."
    assert merged.description is not None
    assert merged.description.startswith(f"**{note}**\n\n")
    assert merged.description == mr_row(app, target)["description"]
    assert state.commits[report.main_commit].message.endswith(f"\n\n{note}")
