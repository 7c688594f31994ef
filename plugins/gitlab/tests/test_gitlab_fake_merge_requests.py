"""Merge requests: create, find, update, close/reopen, merge with the sha guard, pagination."""

import gitlab
import pytest
from gitlab_helpers import PROJECT, World, open_mr


def test_an_mr_has_gitlabs_shape(world: World) -> None:
    mr = open_mr(world, description="5 builds updated", labels="gate::pending")
    head = world.fake.project(PROJECT).branches[mr.source_branch]
    assert (mr.iid, mr.state, mr.sha, mr.target_branch) == (1, "opened", head, "main")
    assert mr.labels == ["gate::pending"]
    assert mr.author["username"] == "gatekeeper-bot"
    assert mr.web_url.endswith(f"/{PROJECT}/-/merge_requests/1")
    assert mr.detailed_merge_status == "mergeable"
    assert mr.merged_at is None and mr.merge_commit_sha is None
    assert mr.diff_refs["start_sha"] == world.fake.project(PROJECT).branches["main"]
    [change] = mr.changes()["changes"]
    assert change["new_path"] == "builds/b/bash.yaml"


def test_a_second_open_mr_for_the_source_branch_is_409(world: World) -> None:
    open_mr(world)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        world.project().mergerequests.create(
            {
                "source_branch": "compose/CentOS-Stream-9-20240102.0",
                "target_branch": "main",
                "title": "again",
            }
        )
    assert caught.value.response_code == 409
    assert caught.value.error_message == [
        "Another open merge request already exists for this source branch: !1"
    ]


def test_mrs_are_found_by_source_branch_state_and_labels(world: World) -> None:
    open_mr(world, branch="compose/a", labels="gate::pending")
    open_mr(world, branch="compose/b")
    project = world.project()
    [found] = project.mergerequests.list(source_branch="compose/b", state="opened", get_all=True)
    assert found.iid == 2
    [labelled] = project.mergerequests.list(labels=["gate::pending"], get_all=True)
    assert labelled.iid == 1
    assert project.mergerequests.list(state="merged", get_all=True) == []


def test_pagination_follows_gitlabs_headers_and_links(world: World) -> None:
    for n in range(5):
        open_mr(world, branch=f"compose/{n}")
    project = world.project()
    first = project.mergerequests.list(per_page=2, page=1)
    assert [m.iid for m in first] == [5, 4]
    pages = project.mergerequests.list(per_page=2, iterator=True)
    assert (pages.total, pages.total_pages, pages.next_page) == (5, 3, 2)
    assert [m.iid for m in pages] == [5, 4, 3, 2, 1]
    world.fake.clear_requests()
    assert len(project.mergerequests.list(per_page=2, get_all=True)) == 5
    assert world.fake.count("GET") == 3


def test_title_description_and_labels_are_updated(world: World) -> None:
    mr = open_mr(world, labels="team")
    mr.title, mr.description = "New", "Desc"
    mr.save()
    mr.add_labels = "gate::pending"
    mr.remove_labels = "team"
    mr.save()
    again = world.project().mergerequests.get(mr.iid)
    assert (again.title, again.description, again.labels) == ("New", "Desc", ["gate::pending"])


def test_an_outsider_cannot_retitle_but_a_reporter_may_label(world: World) -> None:
    open_mr(world)
    as_mallory = world.project(world.mallory).mergerequests.get(1)
    as_mallory.title = "pwned"
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        as_mallory.save()
    assert caught.value.response_code == 403
    world.fake.add_member(PROJECT, world.mallory, 20)
    world.fake.as_user(world.mallory).add_labels(PROJECT, 1, "rdo::passed")
    assert world.project().mergerequests.get(1).labels == ["rdo::passed"]


def test_close_and_reopen_leave_system_notes(world: World) -> None:
    mr = open_mr(world)
    mr.state_event = "close"
    mr.save()
    assert mr.state == "closed"
    mr.state_event = "reopen"
    mr.save()
    assert mr.state == "opened"
    notes = [(n.body, n.system) for n in mr.notes.list(sort="asc", get_all=True)]
    assert notes == [("closed", True), ("reopened", True)]


def test_merge_with_the_head_sha_merges_into_main(world: World) -> None:
    mr = open_mr(world)
    result = mr.merge(sha=mr.sha, should_remove_source_branch=True)
    assert result["state"] == "merged"
    main = world.fake.project(PROJECT).branches["main"]
    assert result["merge_commit_sha"] == main
    assert world.fake.files(PROJECT, "main")["builds/b/bash.yaml"] == "nvr: bash-5.2-1\n"
    assert mr.source_branch not in world.fake.project(PROJECT).branches
    assert world.project().mergerequests.get(mr.iid).merged_by["username"] == "gatekeeper-bot"


def test_merge_with_a_stale_sha_is_409(world: World) -> None:
    mr = open_mr(world)
    stale = mr.sha
    world.fake.as_user(world.dev).commit(PROJECT, mr.source_branch, {"x": "y"})
    with pytest.raises(gitlab.GitlabMRClosedError) as caught:
        mr.merge(sha=stale)
    head = world.fake.project(PROJECT).branches[mr.source_branch]
    assert caught.value.response_code == 409
    assert caught.value.error_message == f"SHA does not match HEAD of source branch: {head}"


def test_merging_a_closed_or_merged_mr_is_405(world: World) -> None:
    mr = open_mr(world)
    mr.merge()
    with pytest.raises(gitlab.GitlabMRClosedError) as caught:
        mr.merge()
    assert caught.value.response_code == 405


def test_a_conflicting_mr_cannot_be_merged_406(world: World) -> None:
    first, second = (
        open_mr(world, branch="compose/a"),
        open_mr(world, branch="compose/b", files={"builds/b/bash.yaml": "nvr: bash-9\n"}),
    )
    first.merge()
    again = world.project().mergerequests.get(second.iid)
    assert again.detailed_merge_status == "conflict"
    with pytest.raises(gitlab.GitlabMRClosedError) as caught:
        second.merge()
    assert caught.value.response_code == 406


def test_new_commits_on_the_source_branch_move_the_mr_head(world: World) -> None:
    mr = open_mr(world)
    world.fake.as_user(world.dev).commit(PROJECT, mr.source_branch, {"new.yaml": "n"})
    again = world.project().mergerequests.get(mr.iid)
    assert again.sha == world.fake.project(PROJECT).branches[mr.source_branch]
    [note] = again.notes.list(get_all=True)
    assert note.system and note.body == "added 1 commit"
