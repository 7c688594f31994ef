"""Commits with actions, start_branch and force; branches; tree; files."""

import base64

import gitlab
import pytest
from gitlab_helpers import PROJECT, World


def _commit(world: World, **data: object) -> dict[str, object]:
    body = {"commit_message": "Compose x\n\nbody", **data}
    return world.project().commits.create(body).attributes


def test_a_commit_with_start_branch_creates_the_branch_in_one_request(world: World) -> None:
    main = world.fake.project(PROJECT).branches["main"]
    project = world.project()
    world.fake.clear_requests()
    commit = project.commits.create(
        {
            "branch": "compose/1",
            "start_branch": "main",
            "commit_message": "Compose x\n\nbody",
            "actions": [
                {
                    "action": "create",
                    "file_path": "builds/g/glibc.yaml",
                    "content": "nvr: glibc-2\n",
                },
                {"action": "update", "file_path": "builds/b/bash.yaml", "content": "nvr: bash-6\n"},
            ],
        }
    )
    assert world.fake.count() == 1
    assert commit.parent_ids == [main]
    assert commit.title == "Compose x"
    assert commit.message == "Compose x\n\nbody"
    assert commit.short_id == commit.id[:8]
    assert commit.author_name == "Gatekeeper"
    assert commit.stats == {"additions": 2, "deletions": 1, "total": 3}
    assert world.fake.files(PROJECT, "compose/1")["builds/g/glibc.yaml"] == "nvr: glibc-2\n"
    assert world.fake.files(PROJECT, "main")["builds/b/bash.yaml"] == "nvr: bash-5.1-1\n"


def test_delete_move_and_base64_actions(world: World) -> None:
    _commit(
        world,
        branch="main",
        actions=[
            {"action": "delete", "file_path": "builds/b/bash.yaml"},
            {"action": "move", "previous_path": "compose.yaml", "file_path": "c.yaml"},
            {
                "action": "create",
                "file_path": "bin",
                "encoding": "base64",
                "content": base64.b64encode(b"\x00\x01").decode(),
            },
        ],
    )
    files = world.fake.files(PROJECT, "main")
    assert sorted(files) == ["bin", "c.yaml"]
    assert files["c.yaml"].startswith("id: ")


@pytest.mark.parametrize(
    ("action", "path", "message"),
    [
        ("update", "missing.yaml", "A file with this name doesn't exist"),
        ("delete", "missing.yaml", "A file with this name doesn't exist"),
        ("create", "compose.yaml", "A file with this name already exists"),
    ],
)
def test_an_impossible_action_is_400_and_changes_nothing(
    world: World, action: str, path: str, message: str
) -> None:
    before = world.fake.project(PROJECT).branches["main"]
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        _commit(
            world, branch="main", actions=[{"action": action, "file_path": path, "content": "x"}]
        )
    assert (caught.value.response_code, caught.value.error_message) == (400, message)
    assert world.fake.project(PROJECT).branches["main"] == before


def test_an_existing_branch_with_another_start_branch_needs_force(world: World) -> None:
    _commit(
        world,
        branch="compose/1",
        start_branch="main",
        actions=[{"action": "create", "file_path": "a", "content": "1"}],
    )
    _commit(world, branch="main", actions=[{"action": "create", "file_path": "b", "content": "2"}])
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        _commit(
            world,
            branch="compose/1",
            start_branch="main",
            actions=[{"action": "create", "file_path": "a", "content": "1"}],
        )
    assert caught.value.response_code == 400
    assert "already exists" in caught.value.error_message
    rerendered = _commit(
        world,
        branch="compose/1",
        start_branch="main",
        force=True,
        actions=[{"action": "create", "file_path": "a", "content": "1"}],
    )
    assert rerendered["parent_ids"] == [world.fake.project(PROJECT).branches["main"]]
    assert world.fake.files(PROJECT, "compose/1")["b"] == "2"


def test_a_developer_is_needed_to_commit(world: World) -> None:
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        world.project(world.mallory).commits.create(
            {
                "branch": "main",
                "commit_message": "x",
                "actions": [{"action": "create", "file_path": "z", "content": "z"}],
            }
        )
    assert caught.value.response_code == 403


def test_a_commit_is_read_by_sha_or_branch(world: World) -> None:
    project = world.project()
    sha = world.fake.project(PROJECT).branches["main"]
    assert project.commits.get("main").id == sha
    assert project.commits.get(sha[:8]).id == sha
    with pytest.raises(gitlab.GitlabGetError) as caught:
        project.commits.get("0" * 40)
    assert caught.value.error_message == "404 Commit Not Found"


def test_branches_are_created_listed_and_deleted(world: World) -> None:
    project = world.project()
    created = project.branches.create({"branch": "compose/2", "ref": "main"})
    assert created.commit["id"] == world.fake.project(PROJECT).branches["main"]
    assert sorted(b.name for b in project.branches.list(get_all=True)) == ["compose/2", "main"]
    assert project.branches.get("compose/2").name == "compose/2"
    with pytest.raises(gitlab.GitlabCreateError) as exists:
        project.branches.create({"branch": "compose/2", "ref": "main"})
    assert (exists.value.response_code, exists.value.error_message) == (
        400,
        "Branch already exists",
    )
    project.branches.delete("compose/2")
    with pytest.raises(gitlab.GitlabGetError) as gone:
        project.branches.get("compose/2")
    assert gone.value.error_message == "404 Branch Not Found"
    with pytest.raises(gitlab.GitlabDeleteError):
        project.branches.delete("compose/2")


def test_the_tree_lists_paths_recursively_with_pagination(world: World) -> None:
    project = world.project()
    top = project.repository_tree(ref="main", get_all=True)
    assert [(e["name"], e["type"]) for e in top] == [("builds", "tree"), ("compose.yaml", "blob")]
    everything = project.repository_tree(ref="main", recursive=True, get_all=True)
    assert [e["path"] for e in everything] == [
        "builds",
        "compose.yaml",
        "builds/b",
        "builds/b/bash.yaml",
    ]
    page = project.repository_tree(ref="main", recursive=True, per_page=1, page=2)
    assert [e["path"] for e in page] == ["compose.yaml"]
    with pytest.raises(gitlab.GitlabGetError):
        project.repository_tree(path="nowhere", ref="main", get_all=True)


def test_a_file_is_read_with_base64_content_and_raw(world: World) -> None:
    project = world.project()
    f = project.files.get("builds/b/bash.yaml", ref="main")
    assert base64.b64decode(f.content) == b"nvr: bash-5.1-1\n"
    assert f.last_commit_id == world.fake.project(PROJECT).branches["main"]
    assert len(f.blob_id) == 40
    assert project.files.raw("builds/b/bash.yaml", ref="main") == b"nvr: bash-5.1-1\n"
    with pytest.raises(gitlab.GitlabGetError) as caught:
        project.files.get("nope.yaml", ref="main")
    assert caught.value.error_message == "404 File Not Found"
