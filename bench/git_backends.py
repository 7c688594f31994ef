"""Benchmark: pygit2 against dulwich for writing the Compose Repo.

What the local forge does with git, done the plain way with each library on a fresh bare
repository: write the rendered files of a 3,300-build compose as blobs, the nested trees
(``builds/<l>/``) and one commit, and move ``refs/heads/main`` to it ("full"); then, on a
repository that already holds that compose, the next compose where 50 build files changed
("incremental": every file is handed over again, as ``ComposeRepo.write_tree`` receives them,
and only the 50 new blobs and the trees above them are new). Then, on a repository holding
both commits, what the forge reads back: the changed paths between them ("diff") and 200 files
read from the second one ("read"). Last, as a Compose Repo ages: a repository that received
100 composes one after another (each with 50 changed builds; their total time is shown), then
the same figures for the composes after those ("after 100"). dulwich's "one pack" variant
writes one pack per write, so its repository holds 100 packs by then.

Each figure is the best of 5 runs (after one untimed run), each on its own fresh repository
(made outside the timed part). Baselines: for pygit2, writing the same files as plain files
into a fresh directory; for each dulwich variant, pygit2 on the same work. Both libraries
must give the same tree and commit ids (checked and printed). dulwich is not a dependency of
gatekeeper: without it, only pygit2 is measured. Figures and the choice: docs/git-backend.md.

    .venv/bin/python bench/run.py git_backends
"""

from __future__ import annotations

import gc
import random
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pygit2
from _common import Row, Timing, machine, measure, table

from gatekeeper.compose import ComposeInfo
from gatekeeper.compose.repo_files import render_compose
from gatekeeper.model import Build

try:
    import dulwich
    from dulwich.diff_tree import tree_changes
    from dulwich.object_store import tree_lookup_path
    from dulwich.objects import Blob, Commit, Tree
    from dulwich.repo import Repo as DulwichRepo
except ImportError:  # pragma: no cover - measured only where installed
    dulwich = None

BUILDS, CHANGED, REPEAT = 3_300, 50, 5
AGED = 100  # composes a repository receives before the "after" figures
SEED = 20261125
ARCHES = ("aarch64", "ppc64le", "s390x", "x86_64")
WHEN = 1_795_564_800  # 2026-11-25T00:00:00Z
AUTHOR = "gatekeeper <gatekeeper@localhost>"
DIR_MODE, FILE_MODE = 0o040000, 0o100644

Nested = dict[str, Any]  # directory name -> Nested, file name -> bytes
Reads = tuple[Callable[[], object], Callable[[], object], Callable[[], object]]  # diff, read, close


def make_builds(rng: random.Random) -> list[Build]:
    builds = []
    for index in range(BUILDS):
        name = f"{rng.choice('abcdefghijklmnopqrstuvwxyz')}pkg{index}"
        noarch = rng.random() < 0.3
        arches = ("noarch",) if noarch else ARCHES
        rpms = {
            f"{name}{suffix}": arches
            for suffix in ("", "-devel", "-libs", "-doc", "-tools")[: rng.randint(1, 5)]
        }
        builds.append(
            Build(
                name=name,
                version=f"{rng.randint(0, 9)}.{rng.randint(0, 30)}",
                release=f"{rng.randint(1, 20)}.el9",
                variants=("AppStream", "BaseOS"),
                arches=arches,
                rpms=rpms,
            )
        )
    return builds


def nested(files: Mapping[str, bytes]) -> Nested:
    root: Nested = {}
    for path, data in files.items():
        *dirs, leaf = path.split("/")
        node = root
        for part in dirs:
            node = node.setdefault(part, {})
        node[leaf] = data
    return root


# --- pygit2 -------------------------------------------------------------------------


def pygit2_blob(repo: pygit2.Repository, data: bytes, skip: bool) -> pygit2.Oid:
    if skip:  # libgit2 "freshens" (touches) an object it is asked to write again
        oid = pygit2.hash(data)
        if repo.odb.exists(oid):
            return oid
    return repo.create_blob(data)


def pygit2_tree(repo: pygit2.Repository, node: Nested, skip: bool) -> pygit2.Oid:
    builder = repo.TreeBuilder()
    for name, child in node.items():
        if isinstance(child, dict):
            builder.insert(name, pygit2_tree(repo, child, skip), pygit2.enums.FileMode.TREE)
        else:
            builder.insert(name, pygit2_blob(repo, child, skip), pygit2.enums.FileMode.BLOB)
    return builder.write()


def pygit2_write(path: Path, files: Mapping[str, bytes], *, skip: bool) -> tuple[str, str]:
    repo = pygit2.Repository(str(path))
    tree = pygit2_tree(repo, nested(files), skip)
    sig = pygit2.Signature("gatekeeper", "gatekeeper@localhost", WHEN, 0)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    commit = repo.create_commit(None, sig, sig, "compose\n", tree, parents)
    repo.references.create("refs/heads/main", commit, force=True)
    return str(tree), str(commit)


def pygit2_reader(path: Path, old: str, new: str, paths: list[str]) -> Reads:
    repo = pygit2.Repository(str(path))
    old_tree, new_tree = repo[old].peel(pygit2.Tree), repo[new].peel(pygit2.Tree)

    def diff() -> object:
        return [
            (delta.status_char(), delta.new_file.path)
            for delta in repo.diff(old_tree, new_tree).deltas
        ]

    def read() -> object:
        return [new_tree[name].data for name in paths]

    return diff, read, repo.free


def pygit2_init(path: Path) -> None:
    pygit2.init_repository(str(path), bare=True, initial_head="main")


# --- dulwich ------------------------------------------------------------------------


def dulwich_tree(node: Nested, out: list[Any]) -> bytes:
    tree = Tree()
    for name, child in node.items():
        if isinstance(child, dict):
            tree.add(name.encode(), DIR_MODE, dulwich_tree(child, out))
        else:
            blob = Blob.from_string(child)
            out.append(blob)
            tree.add(name.encode(), FILE_MODE, blob.id)
    out.append(tree)
    return tree.id  # type: ignore[no-any-return]


def dulwich_write(path: Path, files: Mapping[str, bytes], *, pack: bool) -> tuple[str, str]:
    repo = DulwichRepo(str(path))
    store = repo.object_store
    objects: list[Any] = []
    tree_id = dulwich_tree(nested(files), objects)
    commit = Commit()
    commit.tree = tree_id
    commit.parents = [repo.refs[b"refs/heads/main"]] if b"refs/heads/main" in repo.refs else []
    commit.author = commit.committer = AUTHOR.encode()
    commit.author_time = commit.commit_time = WHEN
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"compose\n"
    objects.append(commit)
    if pack:  # one pack of the objects the repository lacks
        store.add_objects([(obj, None) for obj in objects if obj.id not in store])
    else:  # loose objects (add_object skips those already there)
        for obj in objects:
            store.add_object(obj)
    repo.refs[b"refs/heads/main"] = commit.id
    repo.close()
    return tree_id.decode(), commit.id.decode()


def dulwich_init(path: Path) -> None:
    path.mkdir()
    DulwichRepo.init_bare(str(path))


def dulwich_reader(path: Path, old: str, new: str, paths: list[str]) -> Reads:
    repo = DulwichRepo(str(path))
    store = repo.object_store
    old_tree, new_tree = store[old.encode()].tree, store[new.encode()].tree

    def diff() -> object:
        return [
            (change.type, change.new.path or change.old.path)
            for change in tree_changes(store, old_tree, new_tree)
        ]

    def read() -> object:
        return [
            store[tree_lookup_path(store.__getitem__, new_tree, name.encode())[1]].data
            for name in paths
        ]

    return diff, read, repo.close


# --- baseline: plain files ------------------------------------------------------------


def plain_write(path: Path, files: Mapping[str, bytes]) -> tuple[str, str]:
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return "", ""


def plain_init(path: Path) -> None:
    path.mkdir()


# --- timing ---------------------------------------------------------------------------

Init = Callable[[Path], None]
Write = Callable[[Path, Mapping[str, bytes]], tuple[str, str]]


def timed(
    workdir: Path,
    init: Init,
    write: Write,
    first: Mapping[str, bytes] | None,
    files: Mapping[str, bytes],
) -> tuple[Timing, tuple[str, str]]:
    """Best-of runs of ``write(files)``; each on a fresh repository that holds ``first``.

    The repositories are removed only at the end of the benchmark: removing thousands of
    files right before a timed run makes that run pay for the file system's clean-up.
    """
    runs = []
    ids = ("", "")
    for attempt in range(REPEAT + 1):
        path = Path(tempfile.mkdtemp(prefix="repo-", dir=workdir)) / "repo"
        init(path)
        if first is not None:
            write(path, first)
        gc.collect()
        start = time.perf_counter()
        ids = write(path, files)
        elapsed = time.perf_counter() - start
        if attempt:  # the first run is the untimed warm-up
            runs.append(elapsed)
    return Timing(tuple(runs)), ids


def measure_all(
    workdir: Path,
    label: str,
    backends: list[tuple[str, Init, Write]],
    base: Mapping[str, bytes] | None,
    files: Mapping[str, bytes],
    ids: set[tuple[str, str]],
) -> list[Row]:
    plain, _ = timed(workdir, plain_init, plain_write, base, files)
    rows = []
    reference: Timing | None = None
    for name, init, write in backends:
        timing, written = timed(workdir, init, write, base, files)
        ids.add(written)
        if reference is None:
            reference = timing
            rows.append(
                Row(f"{label}: {name}", timing.best, timing.median, "plain files", plain.best)
            )
        else:
            rows.append(
                Row(f"{label}: {name}", timing.best, timing.median, "pygit2", reference.best)
            )
    return rows


Reader = Callable[[Path, str, str, list[str]], Reads]
Files = dict[str, bytes]


def measure_reads(
    workdir: Path,
    readers: list[tuple[str, Init, Write, Reader]],
    first: Mapping[str, bytes],
    second: Mapping[str, bytes],
) -> list[Row]:
    """Changed paths between the two commits, and 200 files read back, per backend."""
    paths = sorted(second)[:: max(1, len(second) // 200)][:200]
    rows = []
    reference: dict[str, float] = {}
    for name, init, write, reader in readers:
        path = Path(tempfile.mkdtemp(prefix="repo-", dir=workdir)) / "repo"
        init(path)
        _, old = write(path, first)
        _, new = write(path, second)
        diff, read, close = reader(path, old, new, paths)
        for what, func in (("diff 50 changed paths", diff), ("read 200 files", read)):
            timing = measure(func, REPEAT)
            if what not in reference:
                reference[what] = timing.best
                rows.append(Row(f"{what}: {name}", timing.best, timing.median))
            else:
                rows.append(
                    Row(f"{what}: {name}", timing.best, timing.median, "pygit2", reference[what])
                )
        close()
    return rows


def measure_aged(
    workdir: Path, readers: list[tuple[str, Init, Write, Reader]], history: list[Files]
) -> list[Row]:
    """A repository that received AGED composes one after another, then the next ones."""
    paths = sorted(history[-1])[:: max(1, len(history[-1]) // 200)][:200]
    rows = []
    reference: dict[str, float] = {}

    def row(what: str, name: str, timing: Timing) -> Row:
        if what not in reference:
            reference[what] = timing.best
            return Row(f"{what}: {name}", timing.best, timing.median)
        return Row(f"{what}: {name}", timing.best, timing.median, "pygit2", reference[what])

    for name, init, write, reader in readers:
        path = Path(tempfile.mkdtemp(prefix="repo-", dir=workdir)) / "repo"
        init(path)
        start = time.perf_counter()
        for files in history[:AGED]:
            write(path, files)
        total = time.perf_counter() - start
        rows.append(row(f"{AGED} composes in a row", name, Timing((total,))))
        runs, commits = [], []
        for files in history[AGED:]:  # the next composes, each with 50 changed files
            gc.collect()
            start = time.perf_counter()
            commits.append(write(path, files)[1])
            runs.append(time.perf_counter() - start)
        rows.append(row(f"after {AGED}: incremental", name, Timing(tuple(runs[1:]))))
        diff, read, close = reader(path, commits[-2], commits[-1], paths)
        rows.append(row(f"after {AGED}: diff 50 changed paths", name, measure(diff, REPEAT)))
        rows.append(row(f"after {AGED}: read 200 files", name, measure(read, REPEAT)))
        close()
    return rows


def history_of(info: ComposeInfo, builds: list[Build], rng: random.Random) -> list[Files]:
    """The first compose and AGED + REPEAT + 1 more, each with CHANGED builds changed."""
    history = [render_compose(info, builds)]
    current = list(builds)
    for step in range(AGED + REPEAT + 1):
        for index in rng.sample(range(BUILDS), CHANGED):
            old = current[index]
            current[index] = Build(old.name, old.version, f"{old.release}.{step}", old.epoch,
                                   old.variants, old.arches, old.rpms)  # fmt: skip
        history.append(render_compose(info, current))
    return history


def main() -> int:
    rng = random.Random(SEED)
    builds = make_builds(rng)
    info = ComposeInfo(
        id="CentOS-Stream-9-20261125.0",
        product="CentOS-Stream-9",
        date="20261125",
        type="production",
        respin=0,
        status="FINISHED",
        variants={"AppStream": ARCHES, "BaseOS": ARCHES},
    )
    history = history_of(info, builds, rng)
    first, second = history[0], history[1]
    print(
        f"Machine: {machine()}; pygit2 {pygit2.__version__} (libgit2 "
        f"{pygit2.LIBGIT2_VERSION}); dulwich "
        f"{'.'.join(map(str, dulwich.__version__)) if dulwich else 'not installed'}"
    )
    print(
        f"Workload: {len(first)} files, {sum(map(len, first.values())) / 1024:.0f} KiB; "
        f"incremental: {sum(first.get(p) != d for p, d in second.items())} changed files"
    )

    backends: list[tuple[str, Init, Write]] = [
        ("pygit2", pygit2_init, lambda p, f: pygit2_write(p, f, skip=False)),
        ("pygit2 (skip existing blobs)", pygit2_init, lambda p, f: pygit2_write(p, f, skip=True)),
    ]
    readers: list[tuple[str, Init, Write, Reader]] = [(*backends[1], pygit2_reader)]
    if dulwich is not None:
        dulwich_backends: list[tuple[str, Init, Write]] = [
            ("dulwich (loose objects)", dulwich_init, lambda p, f: dulwich_write(p, f, pack=False)),
            ("dulwich (one pack)", dulwich_init, lambda p, f: dulwich_write(p, f, pack=True)),
        ]
        backends += dulwich_backends
        readers += [(*backend, dulwich_reader) for backend in dulwich_backends]
    rows = []
    ids: dict[str, set[tuple[str, str]]] = {"full": set(), "incremental": set()}
    with tempfile.TemporaryDirectory(prefix="gk-bench-git-") as tmp:
        for label, base, files in (("full", None, first), ("incremental", first, second)):
            rows += measure_all(Path(tmp), label, backends, base, files, ids[label])
        rows += measure_reads(Path(tmp), readers, first, second)
        rows += measure_aged(Path(tmp), readers, history)
    print(table(rows))
    for label, seen in ids.items():
        print(
            f"{label}: {'same' if len(seen) == 1 else 'DIFFERENT'} tree and commit ids "
            f"across backends: {sorted(seen)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
