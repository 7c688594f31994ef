"""The git layer of the local forge: one bare Compose Repo, written with pygit2 (libgit2).

Why pygit2 and not dulwich: docs/git-backend.md (measured with bench/git_backends.py).

Everything here is deterministic and safe to retry:

- objects are content-addressed, so the same files give the same tree id, and the same tree,
  parents, message and time give the same commit id, in any directory on any machine (the
  author and committer are always ``gatekeeper <gatekeeper@localhost>``);
- objects are written first and refs moved last, each ref move atomic (libgit2 takes the
  ref's lock file, checks the old value under it and renames the new value into place);
- a ref move is a compare-and-swap when asked: :meth:`ComposeRepo.set_branch` with
  ``expect`` raises :class:`BranchMoved` when the branch is not where the caller last saw
  it, and moving a branch to where it already points succeeds (a retry is not a conflict).

The repository is created on first use, atomically (made beside its path and renamed into
place), with ``main`` as one empty root commit "Empty Compose Repo" dated 1970-01-01 UTC, so
every Compose Repo starts at the same commit and every merge request has a base.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

import pygit2

from gatekeeper.errors import GatekeeperError
from gatekeeper.forge.packfile import write_blob_pack

MAIN: Final = "main"
#: From this many new blobs on, write_tree writes them as one pack.
PACK_THRESHOLD: Final = 256
ROOT_MESSAGE: Final = "Empty Compose Repo"
ROOT_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
AUTHOR_NAME: Final = "gatekeeper"
AUTHOR_EMAIL: Final = "gatekeeper@localhost"

_HEADS = "refs/heads/"
_TREE = pygit2.enums.FileMode.TREE
_BLOB = pygit2.enums.FileMode.BLOB
_LOCK_RETRIES = 50  # x 20 ms: how long a ref lock held by another writer is waited for
_T = TypeVar("_T")


class Anywhere(Enum):
    """The type of :data:`ANY`."""

    ANY = "ANY"


ANY: Final = Anywhere.ANY
"""``set_branch(..., expect=ANY)``: move the branch wherever it is (the default)."""


class BranchMoved(GatekeeperError):
    """A compare-and-swap on a branch failed: it is not where the caller expected."""

    def __init__(self, branch: str, expected: str | None, actual: str | None) -> None:
        self.branch = branch
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"branch {branch} moved: expected {expected or 'no branch'}, found "
            f"{actual or 'no branch'}; read it again and retry"
        )


def _signature(when: datetime) -> pygit2.Signature:
    offset = when.utcoffset()
    if offset is None:
        raise ValueError(f"commit time {when.isoformat()} has no time zone")
    return pygit2.Signature(
        AUTHOR_NAME, AUTHOR_EMAIL, int(when.timestamp()), int(offset.total_seconds()) // 60
    )


def _check_branch(name: str) -> str:
    ref = _HEADS + name
    if not name or not pygit2.reference_is_valid_name(ref):
        raise ValueError(f"{name!r} is not a valid branch name")
    return ref


def _nest(files: Mapping[str, bytes]) -> dict[str, Any]:
    """path -> content as nested dicts (directory name -> dict, file name -> bytes)."""
    root: dict[str, Any] = {}
    for path, data in files.items():
        parts = path.split("/")
        if any(part in ("", ".", "..", ".git") or "\0" in part for part in parts):
            raise ValueError(f"{path!r} cannot be a path in a git tree")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path!r}: {part!r} is a file and a directory")
            node = child
        if parts[-1] in node:
            raise ValueError(f"{path!r} is a file and a directory")
        if not isinstance(data, bytes):
            raise TypeError(f"{path!r}: content must be bytes, not {type(data).__name__}")
        node[parts[-1]] = data
    return root


def _locked(error: pygit2.GitError) -> bool:
    return "lock" in str(error).lower()


class ComposeRepo:
    """A bare git repository holding Compose Repo trees, ``main`` and ``compose/*`` branches.

    Each call opens the repository anew (about 50 µs), so one object may be shared by threads
    and forked workers, and every call sees what other processes wrote.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ComposeRepo({str(self.path)!r})"

    @property
    def main(self) -> str:
        """The branch of the last published compose."""
        return MAIN

    # -- the repository ----------------------------------------------------------------
    def _open(self) -> pygit2.Repository:
        try:
            return pygit2.Repository(str(self.path), pygit2.enums.RepositoryOpenFlag.BARE)
        except pygit2.GitError:
            if (self.path / "HEAD").exists():
                raise
        self._create()
        return pygit2.Repository(str(self.path), pygit2.enums.RepositoryOpenFlag.BARE)

    def _create(self) -> None:
        """Make the repository beside its path, then rename it into place (atomic)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
        try:
            repo = pygit2.init_repository(str(staging), bare=True, initial_head=MAIN)
            tree = repo.TreeBuilder().write()
            sig = _signature(ROOT_TIME)
            root = repo.create_commit(None, sig, sig, ROOT_MESSAGE + "\n", tree, [])
            repo.references.create(_HEADS + MAIN, root)
            repo.free()
            try:
                os.rename(staging, self.path)  # replaces only an absent or empty directory
            except OSError:
                if not (self.path / "HEAD").exists():
                    raise  # something else is in the way: say so
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- objects -----------------------------------------------------------------------
    def write_tree(self, files: Mapping[str, bytes]) -> str:
        """Store ``files`` (path -> content, ``/`` between directories); return the tree id.

        Blobs the repository holds already are not written again, so writing a compose
        whose files mostly exist costs little more than hashing them; many new blobs (a
        first import) go into one pack rather than one loose file each.
        """
        nested = _nest(files)
        repo = self._open()
        odb = repo.odb
        missing = {}
        for content in files.values():
            oid = pygit2.hash(content)
            if oid not in missing and not odb.exists(oid):
                missing[oid] = content
        if len(missing) >= PACK_THRESHOLD:  # one pack instead of thousands of loose files
            write_blob_pack(Path(repo.path) / "objects", [(o.raw, c) for o, c in missing.items()])
            repo = self._open()
        else:
            for content in missing.values():
                repo.create_blob(content)

        def write(node: dict[str, Any]) -> pygit2.Oid:
            builder = repo.TreeBuilder()
            for name, child in node.items():
                if isinstance(child, dict):
                    builder.insert(name, write(child), _TREE)
                else:
                    builder.insert(name, pygit2.hash(child), _BLOB)
            return builder.write()

        return str(write(nested))

    def commit(self, tree: str, parents: Sequence[str], message: str, *, when: datetime) -> str:
        """Write a commit of ``tree`` (no branch moves); return its id.

        The same tree, parents, message and ``when`` (time and UTC offset) give the same id.
        """
        repo = self._open()
        tree_oid = self._object(repo, tree, pygit2.Tree).id
        parent_oids = [self._object(repo, parent, pygit2.Commit).id for parent in parents]
        sig = _signature(when)
        text = message.rstrip("\n") + "\n"
        return str(repo.create_commit(None, sig, sig, text, tree_oid, parent_oids))

    @staticmethod
    def _object(repo: pygit2.Repository, oid: str, kind: type[_T]) -> _T:
        try:
            obj = repo[oid]
        except (KeyError, ValueError):
            raise LookupError(f"no object {oid} in the Compose Repo") from None
        if not isinstance(obj, kind):
            raise LookupError(f"{oid} is not a {kind.__name__.lower()}")
        return obj

    def tree_of(self, commit: str) -> str:
        return str(self._object(self._open(), commit, pygit2.Commit).tree_id)

    def parents_of(self, commit: str) -> list[str]:
        return [str(oid) for oid in self._object(self._open(), commit, pygit2.Commit).parent_ids]

    def _tree(self, repo: pygit2.Repository, commit_or_tree: str) -> pygit2.Tree:
        obj = self._object(repo, commit_or_tree, pygit2.Object)
        return obj.peel(pygit2.Tree)

    def changed_paths(self, old_commit: str, new_commit: str) -> list[tuple[str, str]]:
        """``(status, path)`` for each file that differs, status A, D or M; sorted by path.

        Either side may be a commit or a tree. Renames are shown as D and A.
        """
        repo = self._open()
        diff = self._tree(repo, old_commit).diff_to_tree(self._tree(repo, new_commit))
        changes = []
        for delta in diff.deltas:
            status = delta.status_char()
            path = delta.old_file.path if status == "D" else delta.new_file.path
            changes.append(("M" if status == "T" else status, path))
        return sorted(changes, key=lambda change: (change[1], change[0]))

    def read_file(self, commit: str, path: str) -> bytes | None:
        """A file's content in a commit (or tree), or None when there is no such file."""
        repo = self._open()
        try:
            entry = self._tree(repo, commit)[path]
        except (KeyError, ValueError):
            return None
        return entry.data if isinstance(entry, pygit2.Blob) else None

    # -- branches ----------------------------------------------------------------------
    def branch_head(self, name: str) -> str | None:
        """The commit the branch points at, or None when there is no such branch."""
        ref = self._open().references.get(_check_branch(name))
        return None if ref is None else str(ref.target)

    def branches(self, prefix: str = "") -> list[str]:
        """Branch names starting with ``prefix``, sorted."""
        start = _HEADS + prefix
        return sorted(
            ref[len(_HEADS) :] for ref in self._open().references if ref.startswith(start)
        )

    def set_branch(self, name: str, commit: str, *, expect: str | Anywhere | None = ANY) -> None:
        """Point the branch at ``commit``, creating it if need be.

        ``expect``: the head the caller last saw (None: the branch must not exist). When the
        branch is elsewhere, :class:`BranchMoved` is raised and nothing changes. When it points
        at ``commit`` already, nothing is done (a retried call succeeds). Without ``expect``
        the branch is moved wherever it is.
        """
        ref_name = _check_branch(name)
        repo = self._open()
        target = self._object(repo, commit, pygit2.Commit).id

        def move() -> None:
            ref = repo.references.get(ref_name)
            current = None if ref is None else str(ref.target)
            if current == str(target):
                return
            if expect is not ANY and current != expect:
                raise BranchMoved(name, expect, current)
            if ref is None:
                repo.references.create(ref_name, target, force=expect is ANY)
            else:
                ref.set_target(target)  # fails if the ref moved since it was read above

        self._retry(move)

    def delete_branch(self, name: str) -> None:
        """Remove the branch; nothing happens when it does not exist. ``main`` stays."""
        ref_name = _check_branch(name)
        if name == MAIN:
            raise ValueError("main is the last published compose: it cannot be deleted")
        repo = self._open()

        def delete() -> None:
            ref = repo.references.get(ref_name)
            if ref is not None:
                ref.delete()

        self._retry(delete)

    @staticmethod
    def _retry(action: Callable[[], None]) -> None:
        """Run a ref update; again when another writer won a race or held the ref's lock."""
        for _ in range(_LOCK_RETRIES):
            try:
                action()
                return
            except pygit2.AlreadyExistsError:
                pass  # created meanwhile: the next round compares with what is there
            except pygit2.GitError as error:
                if not (_locked(error) or "does not match" in str(error)):
                    raise
            time.sleep(0.02)
        action()
