"""Git-like repository operations on a project's commits: real trees, so diffs mean something.

A commit holds its whole tree (path -> bytes). Commits are made by the commits API's actions,
branches point at commits, and merging is a file-level three-way merge from the merge base.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import deque
from typing import Any

from .model import ApiError, Commit, MergeRequest, Project, Store, User, git_blob_id, not_found


def make_commit(
    store: Store,
    project: Project,
    *,
    parents: list[str],
    tree: dict[str, bytes],
    message: str,
    author: User,
) -> Commit:
    created = store.timestamp()
    digest = hashlib.sha1(usedforsecurity=False)
    for part in [*parents, message, author.username, created.isoformat()]:
        digest.update(part.encode() + b"\0")
    for path in sorted(tree):
        digest.update(path.encode() + b"\0" + tree[path] + b"\0")
    commit = Commit(digest.hexdigest(), parents, dict(tree), message, author, created)
    project.commits[commit.sha] = commit
    return commit


def resolve(project: Project, ref: str) -> Commit:
    """A branch name, a full sha or an unambiguous sha prefix (>= 7) -> the commit, else 404."""
    if ref in project.branches:
        return project.commits[project.branches[ref]]
    if ref in project.commits:
        return project.commits[ref]
    if len(ref) >= 7:
        found = [c for sha, c in project.commits.items() if sha.startswith(ref)]
        if len(found) == 1:
            return found[0]
    raise not_found("Commit")


def ancestors(project: Project, sha: str) -> list[str]:
    """``sha`` and everything reachable from it, nearest first (breadth first)."""
    seen: list[str] = []
    queue = deque([sha])
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.append(current)
        queue.extend(project.commits[current].parent_ids)
    return seen


def merge_base(project: Project, a: str, b: str) -> str | None:
    reachable = set(ancestors(project, b))
    return next((sha for sha in ancestors(project, a) if sha in reachable), None)


def _content(action: dict[str, Any]) -> bytes:
    content = action.get("content")
    if content is None:
        return b""
    if action.get("encoding", "text") == "base64":
        try:
            return base64.b64decode(str(content), validate=True)
        except binascii.Error as exc:
            raise ApiError(400, "Invalid base64 content") from exc
    return str(content).encode()


def apply_actions(tree: dict[str, bytes], actions: list[dict[str, Any]]) -> dict[str, bytes]:
    """The tree after the commits API's actions, or 400 with GitLab's messages."""
    tree = dict(tree)
    if not actions:
        raise ApiError(400, "actions is empty", key="error")
    for action in actions:
        kind = action.get("action")
        path = str(action.get("file_path") or "").strip("/")
        if not path:
            raise ApiError(400, "actions[file_path] is missing", key="error")
        if kind == "create":
            if path in tree:
                raise ApiError(400, "A file with this name already exists")
            tree[path] = _content(action)
        elif kind == "update":
            if path not in tree:
                raise ApiError(400, "A file with this name doesn't exist")
            tree[path] = _content(action)
        elif kind == "delete":
            if path not in tree:
                raise ApiError(400, "A file with this name doesn't exist")
            del tree[path]
        elif kind == "move":
            previous = str(action.get("previous_path") or "").strip("/")
            if previous not in tree:
                raise ApiError(400, "A file with this name doesn't exist")
            if path in tree and path != previous:
                raise ApiError(400, "A file with this name already exists")
            old = tree.pop(previous)
            tree[path] = _content(action) if action.get("content") is not None else old
        elif kind == "chmod":
            if path not in tree:
                raise ApiError(400, "A file with this name doesn't exist")
        else:
            raise ApiError(400, "actions[action] does not have a valid value", key="error")
    return tree


def three_way(
    base: dict[str, bytes], ours: dict[str, bytes], theirs: dict[str, bytes]
) -> dict[str, bytes] | None:
    """Merge ``theirs`` (source) into ``ours`` (target) file by file; None on a conflict."""
    result = dict(ours)
    for path in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if t in (b, o):
            continue
        if o != b:
            return None
        if t is None:
            result.pop(path, None)
        else:
            result[path] = t
    return result


def merge_result(project: Project, mr: MergeRequest) -> dict[str, bytes] | None:
    """The target tree with the MR merged in, or None when the branches conflict."""
    source = project.branches.get(mr.source_branch)
    target = project.branches.get(mr.target_branch)
    if source is None or target is None:
        return None
    base = merge_base(project, source, target)
    base_tree = project.commits[base].tree if base else {}
    return three_way(base_tree, project.commits[target].tree, project.commits[source].tree)


def diff(old: dict[str, bytes], new: dict[str, bytes]) -> list[dict[str, Any]]:
    """GitLab's diff entries (whole-file hunks) between two trees, sorted by path."""
    entries = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        lines = ["@@ -1 +1 @@"]
        lines += ["-" + line for line in (a or b"").decode(errors="replace").splitlines()]
        lines += ["+" + line for line in (b or b"").decode(errors="replace").splitlines()]
        entries.append(
            {
                "old_path": path,
                "new_path": path,
                "a_mode": "100644" if a is not None else "0",
                "b_mode": "100644" if b is not None else "0",
                "new_file": a is None,
                "renamed_file": False,
                "deleted_file": b is None,
                "diff": "\n".join(lines) + "\n",
            }
        )
    return entries


def tree_entries(tree: dict[str, bytes], path: str, recursive: bool) -> list[dict[str, Any]]:
    """The repository tree API's entries under ``path`` (trees first, then by name as git)."""
    prefix = path.strip("/") + "/" if path.strip("/") else ""
    entries: dict[str, dict[str, Any]] = {}
    for file_path, content in tree.items():
        if not file_path.startswith(prefix):
            continue
        parts = file_path[len(prefix) :].split("/")
        depth = len(parts) if recursive else 1
        for i in range(depth):
            sub = prefix + "/".join(parts[: i + 1])
            is_blob = i == len(parts) - 1
            if sub in entries:
                continue
            entries[sub] = {
                "id": git_tree_id(tree, sub) if not is_blob else git_blob_id(content),
                "name": parts[i],
                "type": "blob" if is_blob else "tree",
                "path": sub,
                "mode": "100644" if is_blob else "040000",
            }
    if prefix and not entries:
        raise not_found("Tree")
    return sorted(
        entries.values(), key=lambda e: (e["path"].count("/"), e["type"] != "tree", e["path"])
    )


def git_tree_id(tree: dict[str, bytes], path: str) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for file_path in sorted(p for p in tree if p.startswith(path + "/")):
        digest.update(file_path.encode() + b"\0" + tree[file_path])
    return digest.hexdigest()


def last_commit_for(project: Project, head: str, path: str) -> str:
    """The newest commit (first-parent walk) that changed ``path``."""
    current = project.commits[head]
    while current.parent_ids:
        parent = project.commits[current.parent_ids[0]]
        if parent.tree.get(path) != current.tree.get(path):
            return current.sha
        current = parent
    return current.sha
