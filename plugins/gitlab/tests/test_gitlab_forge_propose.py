"""GitLabForge.propose/describe: one commit of the changed files, one MR, idempotent, cheap."""

from datetime import UTC, datetime
from pathlib import Path

from gatekeeper_gitlab.tree import blob_id, tree_id
from gitlab_helpers import COMPOSE_PROJECT, PRODUCT, ForgeWorld

from gatekeeper.forge import Forge
from gatekeeper.forge.gitrepo import ComposeRepo

WHEN = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
BRANCH = "compose/CentOS-Stream-9-20261124.n.0"
COMMITS = r"/projects/[^/]+/repository/commits"


def builds(n: int, version: str = "1", start: int = 0) -> dict[str, bytes]:
    files = {"compose.yaml": f"id: CentOS-Stream-9-{version}\n".encode()}
    for i in range(start, start + n):
        files[f"builds/p/pkg{i:03d}.yaml"] = (
            f"name: pkg{i:03d}\nnvr: pkg{i:03d}-{version}\n".encode()
        )
    return files


def publish_main(w: ForgeWorld, files: dict[str, bytes]) -> None:
    """Make ``main`` hold ``files`` (and the README) as a published compose would."""
    w.fake.as_user(w.bot).commit(
        COMPOSE_PROJECT, "main", {k: v.decode() for k, v in files.items()}, "published"
    )


def propose(w: ForgeWorld, files: dict[str, bytes], title: str = "Compose x", **kw: object):
    return w.forge.propose(
        PRODUCT, BRANCH, files, title=title, description=kw.pop("description", "desc"),
        when=WHEN, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_gitlab_forge_is_a_forge(forge_world: ForgeWorld) -> None:
    assert isinstance(forge_world.forge, Forge)
    assert forge_world.forge.name == "gitlab"


def test_propose_is_one_commit_of_the_changed_files_on_main(forge_world: ForgeWorld) -> None:
    w = forge_world
    publish_main(w, builds(5))
    main = w.fake.project(COMPOSE_PROJECT).branches["main"]
    files = {**builds(5), "builds/p/pkg001.yaml": b"name: pkg001\nnvr: pkg001-2\n"}
    files["builds/n/new.yaml"] = b"name: new\n"
    del files["builds/p/pkg004.yaml"]
    w.fake.clear_requests()
    mr = propose(w, files)
    [commit] = [r for r in w.fake.requests if r.method == "POST" and "commits" in r.path]
    assert commit.body["start_branch"] == "main" and commit.body["force"] is True
    assert [(a["action"], a["file_path"]) for a in commit.body["actions"]] == [
        ("create", "builds/n/new.yaml"),
        ("update", "builds/p/pkg001.yaml"),
        ("delete", "builds/p/pkg004.yaml"),
    ]
    tree = w.fake.files(COMPOSE_PROJECT, BRANCH)
    assert tree == {"README.md": "The Compose Repo\n", **{k: v.decode() for k, v in files.items()}}
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.commits[state.branches[BRANCH]].parent_ids == [main]
    assert (mr.number, mr.branch, mr.head_commit, mr.base_commit) == (
        1, BRANCH, state.branches[BRANCH], main,
    )  # fmt: skip
    assert mr.web_url and mr.web_url.endswith(f"/{COMPOSE_PROJECT}/-/merge_requests/1")
    [opened] = state.merge_requests.values()
    assert (opened.title, opened.description, opened.target_branch) == ("Compose x", "desc", "main")


def test_the_tree_id_is_gits_as_the_local_forge_computes_it(
    forge_world: ForgeWorld, tmp_path: Path
) -> None:
    files = {**builds(3), "README.md": b"The Compose Repo\n"}
    mr = propose(forge_world, files)
    assert mr.tree_id == ComposeRepo(tmp_path / "r.git").write_tree(files)


def test_proposing_again_changes_nothing(forge_world: ForgeWorld) -> None:
    w = forge_world
    first = propose(w, builds(5))
    w.fake.clear_requests()
    again = propose(w, builds(5), number=first.number)
    assert again == first
    assert w.fake.count("POST") == 0 and w.fake.count("PUT") == 0
    assert len(w.fake.project(COMPOSE_PROJECT).merge_requests) == 1


def test_a_changed_file_set_is_one_new_commit_on_main(forge_world: ForgeWorld) -> None:
    w = forge_world
    first = propose(w, builds(5))
    w.fake.clear_requests()
    second = propose(w, builds(5, version="2"), title="Compose y", description="new desc")
    assert w.fake.count("POST", COMMITS) == 1
    assert second.head_commit != first.head_commit and second.number == first.number
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.commits[second.head_commit].parent_ids == [first.base_commit]
    assert w.fake.files(COMPOSE_PROJECT, BRANCH)["compose.yaml"] == "id: CentOS-Stream-9-2\n"
    [mr] = state.merge_requests.values()
    assert (mr.title, mr.description) == ("Compose y", "new desc")


def test_a_branch_with_other_content_is_re_rendered_by_force(forge_world: ForgeWorld) -> None:
    w = forge_world
    first = propose(w, builds(3))
    w.fake.as_user(w.dev).commit(COMPOSE_PROJECT, BRANCH, {"stray.txt": "x"})
    again = propose(w, builds(3))
    state = w.fake.project(COMPOSE_PROJECT)
    assert state.commits[again.head_commit].parent_ids == [first.base_commit]
    assert "stray.txt" not in w.fake.files(COMPOSE_PROJECT, BRANCH)
    assert again.tree_id == first.tree_id


def test_an_open_mr_is_found_before_one_is_created(forge_world: ForgeWorld) -> None:
    w = forge_world
    w.fake.as_user(w.bot).commit(COMPOSE_PROJECT, BRANCH, {"a": "1"}, start_branch="main")
    existing = w.fake.as_user(w.bot).create_merge_request(COMPOSE_PROJECT, BRANCH, "main", "old")
    w.fake.clear_requests()
    mr = propose(w, builds(2))
    assert mr.number == existing["iid"]
    assert w.fake.count("POST", r"/projects/[^/]+/merge_requests") == 0
    assert all(r.status != 409 for r in w.fake.requests)
    assert len(w.fake.project(COMPOSE_PROJECT).merge_requests) == 1


def test_a_409_from_a_retried_mr_creation_finds_the_mr(forge_world: ForgeWorld) -> None:
    w = forge_world
    w.fake.faults.drop_response("POST", r"/projects/[^/]+/merge_requests")
    mr = propose(w, builds(2))
    statuses = [r.status for r in w.fake.requests if r.path.endswith("/merge_requests")]
    assert 409 in statuses
    assert mr.number == 1 and len(w.fake.project(COMPOSE_PROJECT).merge_requests) == 1


def test_describe_updates_title_and_description_once(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.forge.describe(PRODUCT, BRANCH, title="T2", description="D2")
    w.fake.clear_requests()
    w.forge.describe(PRODUCT, BRANCH, title="T2", description="D2")
    assert w.fake.count("PUT") == 0
    [mr] = w.fake.project(COMPOSE_PROJECT).merge_requests.values()
    assert (mr.title, mr.description) == ("T2", "D2")


def test_main_head_and_location(forge_world: ForgeWorld) -> None:
    w = forge_world
    assert w.forge.main_head(PRODUCT) == w.fake.project(COMPOSE_PROJECT).branches["main"]
    assert w.forge.location(PRODUCT) == f"{w.fake.url}/{COMPOSE_PROJECT}"
    assert tree_id({}) == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree


def test_proposing_50_changed_builds_with_its_summary_note_costs_at_most_15_calls(
    forge_world: ForgeWorld,
) -> None:
    w = forge_world
    publish_main(w, builds(150))
    nightly = {**builds(150)}
    for i in range(50):
        nightly[f"builds/p/pkg{i:03d}.yaml"] = f"name: pkg{i:03d}\nnvr: pkg{i:03d}-2\n".encode()
    w.fake.clear_requests()
    propose(w, nightly)
    w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: pending")
    calls = [f"{r.method} {r.path}" for r in w.fake.requests]
    print(f"\n{len(calls)} GitLab API calls for 50 changed builds of 150:", *calls, sep="\n  ")
    assert len(calls) <= 15
    [commit] = [r for r in w.fake.requests if r.method == "POST" and "commits" in r.path]
    assert len(commit.body["actions"]) == 50


def test_a_publish_moving_main_during_propose_renders_again_on_the_new_main(
    forge_world: ForgeWorld,
) -> None:
    w = forge_world
    publish_main(w, builds(3, version="0"))
    forge = w.forge
    read_tree = forge._tree
    moved: list[str] = []

    def tree_then_publish(project: object, sha: str) -> dict[str, str]:
        found = read_tree(project, sha)  # type: ignore[arg-type]
        if not moved:  # a compose is published between reading main and committing
            publish_main(w, builds(5, version="p"))
            moved.append(w.fake.project(COMPOSE_PROJECT).branches["main"])
        return found

    forge._tree = tree_then_publish  # type: ignore[method-assign]
    made = propose(w, builds(4, version="2"))
    state = w.fake.project(COMPOSE_PROJECT)
    assert made.base_commit == moved[0]
    assert state.commits[made.head_commit].parent_ids == [moved[0]]
    files = w.fake.files(COMPOSE_PROJECT, BRANCH)
    assert {k: v.encode() for k, v in files.items() if k != "README.md"} == builds(4, version="2")
    assert made.tree_id == tree_id({p: blob_id(c.encode()) for p, c in files.items()})
