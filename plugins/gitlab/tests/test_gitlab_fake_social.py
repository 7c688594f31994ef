"""Notes, award emoji, scoped labels, label events and commit statuses."""

import gitlab
import pytest
from gitlab_helpers import PROJECT, World, open_mr


def test_notes_are_created_listed_edited_and_deleted_by_their_author(world: World) -> None:
    mr = open_mr(world)
    note = mr.notes.create({"body": "<!-- gatekeeper -->\nsummary"})
    assert note.author["id"] == world.bot.id
    assert (note.system, note.noteable_type, note.noteable_iid) == (False, "MergeRequest", 1)
    note.body = "<!-- gatekeeper -->\nnew summary"
    note.save()
    again = mr.notes.get(note.id)
    assert again.body.endswith("new summary")
    assert again.updated_at > again.created_at
    mr.notes.delete(note.id)
    assert mr.notes.list(get_all=True) == []


def test_someone_elses_note_cannot_be_edited_403(world: World) -> None:
    mr = open_mr(world)
    note = mr.notes.create({"body": "summary"})
    theirs = world.project(world.alice).mergerequests.get(mr.iid).notes.get(note.id)
    theirs.body = "forged"
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        theirs.save()
    assert caught.value.response_code == 403
    with pytest.raises(gitlab.GitlabDeleteError):
        theirs.delete()


def test_notes_are_listed_newest_first_by_default(world: World) -> None:
    open_mr(world)
    for body in ("one", "two", "three"):
        world.fake.as_user(world.alice).post_note(PROJECT, 1, body)
    mr = world.project().mergerequests.get(1)
    assert [n.body for n in mr.notes.list(get_all=True)] == ["three", "two", "one"]
    assert [n.body for n in mr.notes.list(sort="asc", per_page=2, get_all=True)] == [
        "one",
        "two",
        "three",
    ]


def test_an_unknown_mr_or_note_is_404(world: World) -> None:
    project = world.project()
    with pytest.raises(gitlab.GitlabGetError) as caught:
        project.mergerequests.get(99)
    assert caught.value.error_message == "404 Merge Request Not Found"
    mr = open_mr(world)
    with pytest.raises(gitlab.GitlabGetError) as note:
        mr.notes.get(12345)
    assert note.value.error_message == "404 Note Not Found"


def test_award_emoji_on_an_mr_and_on_a_note(world: World) -> None:
    mr = open_mr(world)
    world.fake.as_user(world.alice).award_emoji(PROJECT, mr.iid, "thumbsup")
    note = mr.notes.create({"body": "gate: x PASSED"})
    reaction = note.awardemojis.create({"name": "white_check_mark"})
    assert (reaction.awardable_type, reaction.awardable_id) == ("Note", note.id)
    [vote] = mr.awardemojis.list(get_all=True)
    assert (vote.name, vote.user["username"], vote.awardable_type) == (
        "thumbsup",
        "alice",
        "MergeRequest",
    )
    assert world.project().mergerequests.get(mr.iid).upvotes == 1
    note.awardemojis.delete(reaction.id)
    assert note.awardemojis.list(get_all=True) == []


def test_a_duplicate_or_unknown_emoji_is_404(world: World) -> None:
    mr = open_mr(world)
    mr.awardemojis.create({"name": "thumbsup"})
    with pytest.raises(gitlab.GitlabCreateError) as dup:
        mr.awardemojis.create({"name": "thumbsup"})
    assert (dup.value.response_code, dup.value.error_message) == (
        404,
        "404 Award Emoji Name has already been taken Not Found",
    )
    with pytest.raises(gitlab.GitlabCreateError) as unknown:
        mr.awardemojis.create({"name": "no-such-emoji"})
    assert unknown.value.response_code == 404


def test_only_the_awarder_removes_an_award(world: World) -> None:
    mr = open_mr(world)
    award = world.fake.as_user(world.alice).award_emoji(PROJECT, mr.iid, "thumbsdown")
    with pytest.raises(gitlab.GitlabAuthenticationError):
        mr.awardemojis.delete(award["id"])


def test_an_outsider_cannot_label_403(world: World) -> None:
    mr = open_mr(world)
    with pytest.raises(Exception) as caught:
        world.fake.as_user(world.alice).add_labels(PROJECT, mr.iid, "rdo::passed")
    assert getattr(caught.value, "status", None) == 403


def test_a_scoped_label_replaces_its_scope_and_events_name_the_actor(world: World) -> None:
    mr = open_mr(world, labels="gate::pending,rdo::running,other")
    world.fake.as_user(world.dev).add_labels(PROJECT, mr.iid, "rdo::passed")
    mr.add_labels = "gate::passed"
    mr.save()
    assert sorted(world.project().mergerequests.get(mr.iid).labels) == [
        "gate::passed",
        "other",
        "rdo::passed",
    ]
    events = [
        (e.action, e.label["name"], e.user["username"])
        for e in mr.resourcelabelevents.list(get_all=True)
    ]
    assert events[3:] == [
        ("add", "rdo::passed", "dev"),
        ("remove", "rdo::running", "dev"),
        ("add", "gate::passed", "gatekeeper-bot"),
        ("remove", "gate::pending", "gatekeeper-bot"),
    ]
    first = mr.resourcelabelevents.get(mr.resourcelabelevents.list()[0].id)
    assert first.resource_type == "MergeRequest" and first.resource_id == mr.id


def test_labels_are_created_and_listed(world: World) -> None:
    project = world.project()
    created = project.labels.create({"name": "gate::passed", "color": "#00ff00"})
    assert (created.name, created.color) == ("gate::passed", "#00ff00")
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.labels.create({"name": "gate::passed", "color": "#00ff00"})
    assert (caught.value.response_code, caught.value.error_message) == (409, "Label already exists")
    assert [lb.name for lb in project.labels.list(get_all=True)] == ["gate::passed"]


def test_status_transitions_follow_gitlabs_state_machine(world: World) -> None:
    mr = open_mr(world)
    commit = world.project().commits.get(mr.sha)
    pending = commit.statuses.create({"state": "pending", "name": "gatekeeper"})
    assert (pending.status, pending.author["username"]) == ("pending", "gatekeeper-bot")
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        commit.statuses.create({"state": "pending", "name": "gatekeeper"})
    assert caught.value.response_code == 400
    assert caught.value.error_message.startswith(
        "Cannot transition status via :enqueue from :pending"
    )
    running = commit.statuses.create({"state": "running", "name": "gatekeeper"})
    assert running.id == pending.id
    with pytest.raises(gitlab.GitlabCreateError) as again:
        commit.statuses.create({"state": "running", "name": "gatekeeper"})
    assert "via :run from :running" in again.value.error_message
    done = commit.statuses.create(
        {
            "state": "success",
            "name": "gatekeeper",
            "target_url": "https://gk/c/1",
            "description": "passed",
        }
    )
    assert done.id == pending.id and done.finished_at is not None
    # A finished status is not reused: repeating a final state starts a new one.
    repeat = commit.statuses.create({"state": "success", "name": "gatekeeper"})
    assert repeat.id != done.id
    assert len(commit.statuses.list(get_all=True)) == 1
    assert len(commit.statuses.list(all=True, get_all=True)) == 2


def test_statuses_record_their_author_and_need_a_developer(world: World) -> None:
    mr = open_mr(world)
    world.fake.as_user(world.dev).set_status(PROJECT, mr.sha, "failed", name="rdo.tempest")
    [status] = world.project().commits.get(mr.sha).statuses.list(get_all=True)
    assert (status.name, status.status, status.author["username"]) == (
        "rdo.tempest",
        "failed",
        "dev",
    )
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        world.project(world.mallory).commits.get(mr.sha).statuses.create(
            {"state": "success", "name": "x"}
        )
    assert caught.value.response_code == 403
