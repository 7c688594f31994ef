"""Repository endpoints: commits (with actions), branches, tree, files, compare."""

from __future__ import annotations

import base64
import hashlib

from . import render, repo
from .model import DEVELOPER, ApiError, git_blob_id, not_found
from .routes_mr import on_push
from .server import Request, Response, paginate, route


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true", "yes")


@route("POST", "/projects/{id}/repository/commits")
def create_commit(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, DEVELOPER)
    branch = str(r.required("branch"))
    message = str(r.required("commit_message"))
    actions = r.required("actions")
    if not isinstance(actions, list):
        raise ApiError(400, "actions is invalid", key="error")
    start_branch = r.arg("start_branch")
    start_sha = r.arg("start_sha")
    force = _truthy(r.arg("force", False))
    exists = branch in p.branches
    different = (start_branch is not None and start_branch != branch) or start_sha is not None
    if exists and different and not force:
        raise ApiError(
            400,
            f"A branch called '{branch}' already exists. "
            "Switch to that branch in order to make changes",
        )
    if start_sha is not None:
        try:
            base_sha: str | None = repo.resolve(p, str(start_sha)).sha
        except ApiError as exc:
            raise ApiError(400, f"Invalid start sha: {start_sha}") from exc
    elif start_branch is not None:
        if start_branch not in p.branches:
            raise ApiError(400, f"Invalid start branch: {start_branch}")
        base_sha = p.branches[start_branch]
    elif exists:
        base_sha = p.branches[branch]
    elif not p.branches:
        base_sha = None  # the first commit of an empty repository
    else:
        raise ApiError(400, "You can only create or edit files when you are on a branch")
    tree = repo.apply_actions(p.commits[base_sha].tree if base_sha else {}, actions)
    commit = repo.make_commit(
        r.store,
        p,
        parents=[base_sha] if base_sha else [],
        tree=tree,
        message=message,
        author=r.user,
    )
    oldrev = p.branches.get(branch)
    p.branches[branch] = commit.sha
    if not p.default_branch or (len(p.branches) == 1 and base_sha is None):
        p.default_branch = branch
    on_push(r.store, p, branch, oldrev, r.user)
    return Response(201, render.commit(r.store, p, commit, stats=True))


@route("GET", "/projects/{id}/repository/commits/{sha}")
def get_commit(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    return Response(200, render.commit(r.store, p, repo.resolve(p, r.params["sha"]), stats=True))


@route("GET", "/projects/{id}/repository/commits/{sha}/diff")
def commit_diff(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    c = repo.resolve(p, r.params["sha"])
    parent = p.commits[c.parent_ids[0]].tree if c.parent_ids else {}
    return paginate(r, repo.diff(parent, c.tree), r.store.base_url)


@route("GET", "/projects/{id}/repository/compare")
def compare(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    old = repo.resolve(p, str(r.required("from")))
    new = repo.resolve(p, str(r.required("to")))
    return Response(
        200,
        {
            "commit": render.commit(r.store, p, new),
            "commits": [],
            "diffs": repo.diff(old.tree, new.tree),
            "compare_timeout": False,
            "compare_same_ref": old.sha == new.sha,
        },
    )


@route("GET", "/projects/{id}/repository/branches")
def list_branches(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    search = str(r.arg("search") or "")
    names = sorted(n for n in p.branches if search in n)
    return paginate(r, [render.branch(r.store, p, n) for n in names], r.store.base_url)


@route("GET", "/projects/{id}/repository/branches/{branch*}")
def get_branch(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    if r.params["branch"] not in p.branches:
        raise not_found("Branch")
    return Response(200, render.branch(r.store, p, r.params["branch"]))


@route("POST", "/projects/{id}/repository/branches")
def create_branch(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, DEVELOPER)
    name, ref = str(r.required("branch")), str(r.required("ref"))
    if name in p.branches:
        raise ApiError(400, "Branch already exists")
    try:
        sha = repo.resolve(p, ref).sha
    except ApiError as exc:
        raise ApiError(400, "Invalid reference name: " + ref) from exc
    p.branches[name] = sha
    return Response(201, render.branch(r.store, p, name))


@route("DELETE", "/projects/{id}/repository/branches/{branch*}")
def delete_branch(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, DEVELOPER)
    name = r.params["branch"]
    if name not in p.branches:
        raise not_found("Branch")
    if name == p.default_branch:
        raise ApiError(400, "The default branch of a project cannot be deleted.")
    del p.branches[name]
    return Response(204)


@route("GET", "/projects/{id}/repository/tree")
def tree(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    if not p.branches:
        raise not_found("Tree")
    c = repo.resolve(p, str(r.arg("ref") or p.default_branch))
    entries = repo.tree_entries(c.tree, str(r.arg("path") or ""), _truthy(r.arg("recursive")))
    return paginate(r, entries, r.store.base_url)


def _file(r: Request) -> tuple[bytes, str, str]:
    p = r.store.readable_project(r.params["id"], r.user)
    ref = str(r.required("ref"))
    c = repo.resolve(p, ref)
    path = r.params["path"].strip("/")
    if path not in c.tree:
        raise not_found("File")
    return c.tree[path], c.sha, repo.last_commit_for(p, c.sha, path)


@route("GET", "/projects/{id}/repository/files/{path*}")
def get_file(r: Request) -> Response:
    if r.params["path"].endswith("/raw"):
        r.params["path"] = r.params["path"][: -len("/raw")]
        content, _, _ = _file(r)
        return Response(200, raw=content)
    content, sha, last = _file(r)
    path = r.params["path"].strip("/")
    return Response(
        200,
        {
            "file_name": path.rsplit("/", 1)[-1],
            "file_path": path,
            "size": len(content),
            "encoding": "base64",
            "content": base64.b64encode(content).decode(),
            "content_sha256": hashlib.sha256(content).hexdigest(),
            "ref": r.arg("ref"),
            "blob_id": git_blob_id(content),
            "commit_id": sha,
            "last_commit_id": last,
            "execute_filemode": False,
        },
    )
