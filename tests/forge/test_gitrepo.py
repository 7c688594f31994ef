"""The local forge's git layer: deterministic, idempotent, compare-and-swap on branches."""

from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gatekeeper.forge.gitrepo import ANY, MAIN, BranchMoved, ComposeRepo

WHEN = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
FILES = {
    "compose.yaml": b"id: CentOS-Stream-9-20261125.0\n",
    "builds/b/bash.yaml": b"name: bash\n",
    "builds/z/zlib.yaml": b"name: zlib\n",
}
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the git CLI is not installed")


def git(repo: ComposeRepo, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo.path), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> ComposeRepo:
    return ComposeRepo(tmp_path / "CentOS-Stream-9.git")


def propose(repo: ComposeRepo, files: dict[str, bytes], branch: str = "compose/one") -> str:
    base = repo.branch_head(MAIN)
    assert base is not None
    commit = repo.commit(repo.write_tree(files), [base], "propose", when=WHEN)
    repo.set_branch(branch, commit, expect=None)
    return commit


def test_constructing_does_not_touch_the_disk(tmp_path: Path) -> None:
    ComposeRepo(tmp_path / "repo.git")
    assert not (tmp_path / "repo.git").exists()


def test_first_use_creates_a_bare_repo_with_main_as_one_empty_root_commit(
    repo: ComposeRepo,
) -> None:
    head = repo.branch_head(MAIN)
    assert head is not None
    assert (repo.path / "HEAD").is_file() and not (repo.path / ".git").exists()
    assert repo.parents_of(head) == []
    assert repo.tree_of(head) == EMPTY_TREE
    assert repo.branches() == [MAIN]


def test_every_compose_repo_starts_at_the_same_root_commit(tmp_path: Path) -> None:
    one, two = ComposeRepo(tmp_path / "a.git"), ComposeRepo(tmp_path / "b" / "c.git")
    assert one.branch_head(MAIN) == two.branch_head(MAIN)


def test_main_property_names_the_main_branch(repo: ComposeRepo) -> None:
    assert repo.main == MAIN == "main"


def test_same_files_give_the_same_tree_and_commit_in_different_directories(
    tmp_path: Path,
) -> None:
    one, two = ComposeRepo(tmp_path / "one.git"), ComposeRepo(tmp_path / "x" / "two.git")
    reordered = dict(reversed(list(FILES.items())))
    assert one.write_tree(FILES) == two.write_tree(reordered)
    assert propose(one, FILES) == propose(two, reordered)


def test_commit_id_depends_on_the_time_zone_of_when(repo: ComposeRepo) -> None:
    tree = repo.write_tree(FILES)
    same_instant = WHEN.astimezone(timezone(timedelta(hours=1)))
    assert repo.commit(tree, [], "m", when=WHEN) != repo.commit(tree, [], "m", when=same_instant)


def test_commit_refuses_a_naive_time(repo: ComposeRepo) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        repo.commit(EMPTY_TREE, [], "m", when=datetime(2026, 11, 25))


def test_writing_a_tree_twice_is_idempotent(repo: ComposeRepo) -> None:
    assert repo.write_tree(FILES) == repo.write_tree(FILES)


def test_nested_paths_become_nested_trees(repo: ComposeRepo) -> None:
    tree = repo.write_tree({"a/b/c/d.yaml": b"deep\n", "a/top.yaml": b"top\n"})
    assert repo.read_file(tree, "a/b/c/d.yaml") == b"deep\n"
    assert repo.read_file(tree, "a/top.yaml") == b"top\n"


def test_an_empty_mapping_is_the_empty_tree(repo: ComposeRepo) -> None:
    assert repo.write_tree({}) == EMPTY_TREE


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "a/./b", "../up", "a/.git/x", "trail/"])
def test_a_path_git_cannot_hold_is_refused(repo: ComposeRepo, path: str) -> None:
    with pytest.raises(ValueError, match="cannot be a path"):
        repo.write_tree({path: b"x"})


def test_a_path_that_is_file_and_directory_is_refused(repo: ComposeRepo) -> None:
    with pytest.raises(ValueError, match="file and a directory"):
        repo.write_tree({"a": b"x", "a/b": b"y"})


def test_read_file_of_a_missing_path_or_a_directory_is_none(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES)
    assert repo.read_file(commit, "builds/b/nope.yaml") is None
    assert repo.read_file(commit, "builds/b") is None
    assert repo.read_file(commit, "compose.yaml") == FILES["compose.yaml"]


def test_changed_paths_lists_added_deleted_and_modified_files(repo: ComposeRepo) -> None:
    first = propose(repo, FILES, "compose/one")
    changed = {**FILES, "builds/b/bash.yaml": b"name: bash\nnew: 1\n", "builds/a/acl.yaml": b"a"}
    del changed["builds/z/zlib.yaml"]
    second = propose(repo, changed, "compose/two")
    assert repo.changed_paths(first, second) == [
        ("A", "builds/a/acl.yaml"),
        ("M", "builds/b/bash.yaml"),
        ("D", "builds/z/zlib.yaml"),
    ]


def test_unknown_commit_is_a_lookup_error(repo: ComposeRepo) -> None:
    with pytest.raises(LookupError):
        repo.tree_of("1" * 40)


def test_a_tree_is_not_a_commit(repo: ComposeRepo) -> None:
    with pytest.raises(LookupError, match="not a commit"):
        repo.parents_of(repo.write_tree(FILES))


def test_parents_of_a_proposal_is_main(repo: ComposeRepo) -> None:
    assert repo.parents_of(propose(repo, FILES)) == [repo.branch_head(MAIN)]


def test_branch_head_of_a_missing_branch_is_none(repo: ComposeRepo) -> None:
    assert repo.branch_head("compose/none") is None


def test_branches_are_listed_sorted_by_prefix(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES, "compose/b")
    repo.set_branch("compose/a", commit)
    repo.set_branch("other", commit)
    assert repo.branches("compose/") == ["compose/a", "compose/b"]
    assert repo.branches() == ["compose/a", "compose/b", MAIN, "other"]


def test_creating_a_branch_that_exists_elsewhere_raises_branch_moved(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES)
    main = repo.branch_head(MAIN)
    assert main is not None
    with pytest.raises(BranchMoved) as raised:
        repo.set_branch("compose/one", main, expect=None)
    assert (raised.value.expected, raised.value.actual) == (None, commit)
    assert repo.branch_head("compose/one") == commit


def test_moving_a_branch_from_a_stale_head_raises_branch_moved(repo: ComposeRepo) -> None:
    main = repo.branch_head(MAIN)
    commit = propose(repo, FILES)
    other = repo.commit(repo.write_tree({"x": b"x"}), [commit], "other", when=WHEN)
    with pytest.raises(BranchMoved, match="branch compose/one moved"):
        repo.set_branch("compose/one", other, expect=main)
    assert repo.branch_head("compose/one") == commit


def test_expecting_a_missing_branch_raises_branch_moved(repo: ComposeRepo) -> None:
    main = repo.branch_head(MAIN)
    assert main is not None
    with pytest.raises(BranchMoved):
        repo.set_branch("compose/none", main, expect=main)
    assert repo.branch_head("compose/none") is None


def test_moving_a_branch_from_its_current_head_succeeds(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES)
    newer = repo.commit(repo.write_tree({"x": b"x"}), [commit], "newer", when=WHEN)
    repo.set_branch("compose/one", newer, expect=commit)
    assert repo.branch_head("compose/one") == newer


def test_retrying_a_successful_set_branch_succeeds(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES)  # created with expect=None
    repo.set_branch("compose/one", commit, expect=None)
    repo.set_branch("compose/one", commit, expect="0" * 40)
    assert repo.branch_head("compose/one") == commit


def test_set_branch_without_expect_moves_it_anywhere(repo: ComposeRepo) -> None:
    propose(repo, FILES)
    main = repo.branch_head(MAIN)
    assert main is not None
    repo.set_branch("compose/one", main, expect=ANY)
    assert repo.branch_head("compose/one") == main


def test_set_branch_to_an_unknown_commit_is_refused(repo: ComposeRepo) -> None:
    with pytest.raises(LookupError):
        repo.set_branch("compose/x", "2" * 40)
    assert repo.branch_head("compose/x") is None


def test_an_invalid_branch_name_is_refused(repo: ComposeRepo) -> None:
    with pytest.raises(ValueError, match="not a valid branch name"):
        repo.branch_head("a..b")


def test_deleting_a_branch_twice_is_idempotent(repo: ComposeRepo) -> None:
    propose(repo, FILES)
    repo.delete_branch("compose/one")
    repo.delete_branch("compose/one")
    assert repo.branches() == [MAIN]


def test_main_cannot_be_deleted(repo: ComposeRepo) -> None:
    with pytest.raises(ValueError, match="cannot be deleted"):
        repo.delete_branch(MAIN)


def test_concurrent_compare_and_swap_lets_exactly_one_writer_win(repo: ComposeRepo) -> None:
    main = repo.branch_head(MAIN)
    assert main is not None
    commits = [repo.commit(EMPTY_TREE, [main], f"c{i}", when=WHEN) for i in range(8)]
    wins, losses = [], []

    def attempt(commit: str) -> None:
        try:
            ComposeRepo(repo.path).set_branch("race", commit, expect=None)
            wins.append(commit)
        except BranchMoved:
            losses.append(commit)

    threads = [threading.Thread(target=attempt, args=(commit,)) for commit in commits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1 and len(losses) == 7
    assert repo.branch_head("race") == wins[0]


def test_an_existing_non_repository_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "busy.git").mkdir()
    (tmp_path / "busy.git" / "keep.txt").write_text("mine")
    with pytest.raises(OSError):
        ComposeRepo(tmp_path / "busy.git").branch_head(MAIN)
    assert (tmp_path / "busy.git" / "keep.txt").read_text() == "mine"


@needs_git
def test_git_reads_the_tree_and_the_log(repo: ComposeRepo) -> None:
    commit = propose(repo, FILES)
    tree = repo.tree_of(commit)
    listing = git(repo, "cat-file", "-p", tree)
    assert "tree" in listing and "builds" in listing and "compose.yaml" in listing
    log = git(repo, "log", "--format=%an <%ae> %aI %s", "compose/one")
    assert log.splitlines() == [
        "gatekeeper <gatekeeper@localhost> 2026-11-25T06:30:00+00:00 propose",
        "gatekeeper <gatekeeper@localhost> 1970-01-01T00:00:00+00:00 Empty Compose Repo",
    ]
    assert git(repo, "fsck", "--strict") == ""


@needs_git
def test_git_diff_between_main_and_a_branch_shows_the_files(repo: ComposeRepo) -> None:
    propose(repo, FILES)
    stat = git(repo, "diff", "main", "compose/one", "--stat")
    assert "3 files changed, 3 insertions(+)" in stat
    assert "builds/b/bash.yaml" in stat


def test_concurrent_first_uses_create_one_repository(tmp_path: Path) -> None:
    heads: list[str | None] = []
    threads = [
        threading.Thread(
            target=lambda: heads.append(ComposeRepo(tmp_path / "new.git").branch_head(MAIN))
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(heads) == 6 and len(set(heads)) == 1 and None not in heads
    assert [p.name for p in tmp_path.iterdir()] == ["new.git"]


def test_many_new_blobs_go_into_one_valid_pack(tmp_path: Path) -> None:
    import subprocess

    from gatekeeper.forge.gitrepo import PACK_THRESHOLD, ComposeRepo

    files = {
        f"builds/{i % 7}/pkg{i}.yaml": f"name: pkg{i}\n".encode() * (1 + i % 40)
        for i in range(PACK_THRESHOLD + 44)
    }
    files["big.yaml"] = bytes(range(256)) * 1000
    packed, loose = ComposeRepo(tmp_path / "a.git"), ComposeRepo(tmp_path / "b.git")
    tree = packed.write_tree(files)
    few = dict(list(files.items())[:10])
    loose.write_tree(few)  # under the threshold: loose objects
    assert list((tmp_path / "a.git" / "objects" / "pack").glob("pack-*.idx"))
    fsck = subprocess.run(
        ["git", "-C", str(tmp_path / "a.git"), "fsck", "--strict", "--full"],
        capture_output=True,
        text=True,
    )
    assert fsck.returncode == 0, fsck.stderr
    assert (
        packed.read_file(packed.commit(tree, [], "t", when=WHEN), "big.yaml") == files["big.yaml"]
    )
    # the same files give the same tree id whichever way the blobs were stored
    assert loose.write_tree(files) == tree
