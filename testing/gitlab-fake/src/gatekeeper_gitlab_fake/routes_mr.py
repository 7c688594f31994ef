"""Merge requests (list, create, get, update, merge, changes) and their notes."""

from __future__ import annotations

from typing import Any

from . import render, repo, webhooks
from .model import (
    DEVELOPER,
    MAINTAINER,
    REPORTER,
    ApiError,
    Label,
    LabelEvent,
    MergeRequest,
    Note,
    Project,
    Store,
    User,
    forbidden,
    not_found,
)
from .server import Request, Response, paginate, route


def label_list(value: Any) -> list[str]:
    """Labels as GitLab takes them: a comma-separated string or a list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def project_label(store: Store, p: Project, name: str) -> Label:
    """The project's label, created on first use as GitLab does for MR labels."""
    if name not in p.labels:
        p.labels[name] = Label(store.next_id(), name)
    return p.labels[name]


def change_labels(
    store: Store, p: Project, mr: MergeRequest, user: User, add: list[str], remove: list[str]
) -> None:
    """Add then remove labels; a scoped label removes the others of its scope. Events recorded."""
    current = [n for n in mr.labels if n not in remove or n in add]
    for name in add:
        lb = project_label(store, p, name)
        if lb.scope is not None:
            current = [
                n for n in current if n == name or project_label(store, p, n).scope != lb.scope
            ]
        if name not in current:
            current.append(name)
    when = store.timestamp()
    for name in [n for n in current if n not in mr.labels]:
        mr.label_events.append(LabelEvent(store.next_id(), user, p.labels[name], "add", when))
    for name in [n for n in mr.labels if n not in current]:
        mr.label_events.append(LabelEvent(store.next_id(), user, p.labels[name], "remove", when))
    mr.labels = current


def find_mr(r: Request) -> tuple[Project, MergeRequest]:
    p = r.store.readable_project(r.params["id"], r.user)
    try:
        mr = p.merge_requests[int(r.params["iid"])]
    except (KeyError, ValueError):
        raise not_found("Merge Request") from None
    return p, mr


def find_note(r: Request) -> tuple[Project, MergeRequest, Note]:
    p, mr = find_mr(r)
    for note in mr.notes:
        if str(note.id) == r.params["note_id"]:
            return p, mr, note
    raise not_found("Note")


def system_note(store: Store, mr: MergeRequest, user: User, body: str) -> None:
    when = store.timestamp()
    mr.notes.append(Note(store.next_id(), body, user, when, when, system=True))


def on_push(store: Store, p: Project, branch: str, oldrev: str | None, user: User) -> None:
    """New commits on a branch: open MRs from it get a system note and an update hook."""
    for mr in p.merge_requests.values():
        if mr.state == "opened" and mr.source_branch == branch and oldrev is not None:
            mr.updated_at = store.timestamp()
            system_note(store, mr, user, "added 1 commit")
            store.emit(webhooks.merge_request_hook(store, p, mr, user, "update", oldrev=oldrev))


@route("GET", "/projects/{id}/merge_requests")
def list_mrs(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    state = str(r.arg("state") or "all")
    wanted = label_list(r.arg("labels"))
    iids = {str(i) for i in label_list(r.arg("iids"))}
    items = []
    for mr in p.merge_requests.values():
        if state not in ("all", mr.state):
            continue
        if any(r.arg(k) not in (None, getattr(mr, k)) for k in ("source_branch", "target_branch")):
            continue
        if (wanted == ["None"] and mr.labels) or (wanted == ["Any"] and not mr.labels):
            continue
        if wanted and wanted not in (["None"], ["Any"]) and not set(wanted) <= set(mr.labels):
            continue
        if iids and str(mr.iid) not in iids:
            continue
        if r.arg("author_id") is not None and str(mr.author.id) != str(r.arg("author_id")):
            continue
        items.append(mr)
    key = "updated_at" if r.arg("order_by") == "updated_at" else "created_at"
    items.sort(key=lambda m: getattr(m, key), reverse=r.arg("sort", "desc") != "asc")
    data = [render.merge_request(r.store, p, mr) for mr in items]
    return paginate(r, data, r.store.base_url)


@route("POST", "/projects/{id}/merge_requests")
def create_mr(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, DEVELOPER)
    source, target = str(r.required("source_branch")), str(r.required("target_branch"))
    title = str(r.required("title"))
    if source == target:
        raise ApiError(409, ["You can't use same project/branch for source and target"])
    for name, branch in (("source_branch", source), ("target_branch", target)):
        if branch not in p.branches:
            raise ApiError(400, {name: ["is invalid"]})
    for other in p.merge_requests.values():
        if (
            other.state == "opened"
            and other.source_branch == source
            and other.target_branch == target
        ):
            raise ApiError(
                409,
                [f"Another open merge request already exists for this source branch: !{other.iid}"],
            )
    when = r.store.timestamp()
    mr = MergeRequest(
        r.store.next_id(),
        max(p.merge_requests, default=0) + 1,
        title,
        str(r.arg("description") or ""),
        source,
        target,
        r.user,
        when,
        when,
    )
    p.merge_requests[mr.iid] = mr
    change_labels(r.store, p, mr, r.user, label_list(r.arg("labels")), [])
    r.store.emit(webhooks.merge_request_hook(r.store, p, mr, r.user, "open"))
    return Response(201, render.merge_request(r.store, p, mr, single=True))


@route("GET", "/projects/{id}/merge_requests/{iid}")
def get_mr(r: Request) -> Response:
    p, mr = find_mr(r)
    return Response(200, render.merge_request(r.store, p, mr, single=True))


@route("GET", "/projects/{id}/merge_requests/{iid}/changes")
def mr_changes(r: Request) -> Response:
    p, mr = find_mr(r)
    return Response(
        200,
        {
            **render.merge_request(r.store, p, mr, single=True),
            "changes": render.changes(p, mr),
            "overflow": False,
        },
    )


@route("GET", "/projects/{id}/merge_requests/{iid}/diffs")
def mr_diffs(r: Request) -> Response:
    p, mr = find_mr(r)
    return paginate(r, render.changes(p, mr), r.store.base_url)


@route("PUT", "/projects/{id}/merge_requests/{iid}")
def update_mr(r: Request) -> Response:
    p, mr = find_mr(r)
    label_keys = {"labels", "add_labels", "remove_labels"}
    # Reporters may label; editing the MR itself needs Developer, or being its author.
    needed = REPORTER if set(r.body) <= label_keys else DEVELOPER
    if mr.author.id != r.user.id:
        r.store.require(p, r.user, needed)
    before = {
        "title": mr.title,
        "description": mr.description,
        "target_branch": mr.target_branch,
        "labels": list(mr.labels),
    }
    for key in ("title", "description", "target_branch"):
        if r.arg(key) is not None:
            setattr(mr, key, str(r.arg(key)))
    if r.arg("labels") is not None:
        wanted = label_list(r.arg("labels"))
        change_labels(r.store, p, mr, r.user, wanted, [n for n in mr.labels if n not in wanted])
    if r.arg("add_labels") is not None or r.arg("remove_labels") is not None:
        change_labels(
            r.store,
            p,
            mr,
            r.user,
            label_list(r.arg("add_labels")),
            label_list(r.arg("remove_labels")),
        )
    action = "update"
    event = r.arg("state_event")
    if event == "close" and mr.state == "opened":
        mr.state, mr.closed_at, mr.closed_by, action = (
            "closed",
            r.store.timestamp(),
            r.user,
            "close",
        )
        system_note(r.store, mr, r.user, "closed")
    elif event == "reopen" and mr.state == "closed":
        mr.state, mr.closed_at, mr.closed_by, action = "opened", None, None, "reopen"
        system_note(r.store, mr, r.user, "reopened")
    changes: dict[str, Any] = {}
    for key, old in before.items():
        new = getattr(mr, key)
        if new != old:
            changes[key] = (
                {
                    "previous": [_hook_label(p, n) for n in old],
                    "current": [_hook_label(p, n) for n in new],
                }
                if key == "labels"
                else {"previous": old, "current": new}
            )
    if changes or action != "update":
        mr.updated_at = r.store.timestamp()
        r.store.emit(webhooks.merge_request_hook(r.store, p, mr, r.user, action, changes))
    return Response(200, render.merge_request(r.store, p, mr, single=True))


def _hook_label(p: Project, name: str) -> dict[str, Any]:
    lb = p.labels[name]
    return {
        "id": lb.id,
        "title": lb.name,
        "color": lb.color,
        "project_id": p.id,
        "type": "ProjectLabel",
        "description": lb.description,
    }


@route("PUT", "/projects/{id}/merge_requests/{iid}/merge")
def merge_mr(r: Request) -> Response:
    p, mr = find_mr(r)
    r.store.require(p, r.user, DEVELOPER)
    if mr.state != "opened" or mr.source_branch not in p.branches:
        raise ApiError(405, "405 Method Not Allowed")
    head = p.branches[mr.source_branch]
    sha = r.arg("sha")
    if sha is not None and sha != head:
        raise ApiError(409, f"SHA does not match HEAD of source branch: {head}")
    merged = repo.merge_result(p, mr)
    if merged is None:
        raise ApiError(406, "406 Branch cannot be merged")
    target = p.branches[mr.target_branch]
    message = str(
        r.arg("merge_commit_message")
        or f"Merge branch '{mr.source_branch}' into '{mr.target_branch}'\n\n"
        f"{mr.title}\n\nSee merge request {p.full_path}!{mr.iid}"
    )
    commit = repo.make_commit(
        r.store, p, parents=[target, head], tree=merged, message=message, author=r.user
    )
    p.branches[mr.target_branch] = commit.sha
    mr.state, mr.merged_at, mr.merged_by = "merged", r.store.timestamp(), r.user
    mr.merge_commit_sha, mr.merged_sha, mr.updated_at = commit.sha, head, mr.merged_at
    remove = r.arg("should_remove_source_branch")
    if str(remove).lower() == "true" and mr.source_branch != p.default_branch:
        del p.branches[mr.source_branch]
    system_note(r.store, mr, r.user, f"merged\n\nmerged with {commit.sha[:8]}")
    r.store.emit(webhooks.merge_request_hook(r.store, p, mr, r.user, "merge"))
    return Response(200, render.merge_request(r.store, p, mr, single=True))


@route("GET", "/projects/{id}/merge_requests/{iid}/notes")
def list_notes(r: Request) -> Response:
    p, mr = find_mr(r)
    key = "updated_at" if r.arg("order_by") == "updated_at" else "created_at"
    notes = sorted(
        mr.notes, key=lambda n: (getattr(n, key), n.id), reverse=r.arg("sort", "desc") != "asc"
    )
    return paginate(r, [render.note(r.store, p, mr, n) for n in notes], r.store.base_url)


@route("POST", "/projects/{id}/merge_requests/{iid}/notes")
def create_note(r: Request) -> Response:
    p, mr = find_mr(r)
    body = str(r.required("body"))
    when = r.store.timestamp()
    note = Note(r.store.next_id(), body, r.user, when, when)
    mr.notes.append(note)
    r.store.emit(webhooks.note_hook(r.store, p, mr, note, r.user, "create"))
    return Response(201, render.note(r.store, p, mr, note))


@route("GET", "/projects/{id}/merge_requests/{iid}/notes/{note_id}")
def get_note(r: Request) -> Response:
    p, mr, note = find_note(r)
    return Response(200, render.note(r.store, p, mr, note))


def _may_admin_note(r: Request, p: Project, note: Note) -> None:
    if note.system or (
        note.author.id != r.user.id and r.store.access_level(p, r.user) < MAINTAINER
    ):
        raise forbidden()


@route("PUT", "/projects/{id}/merge_requests/{iid}/notes/{note_id}")
def update_note(r: Request) -> Response:
    p, mr, note = find_note(r)
    _may_admin_note(r, p, note)
    note.body = str(r.required("body"))
    note.updated_at = r.store.timestamp()
    r.store.emit(webhooks.note_hook(r.store, p, mr, note, r.user, "update"))
    return Response(200, render.note(r.store, p, mr, note))


@route("DELETE", "/projects/{id}/merge_requests/{iid}/notes/{note_id}")
def delete_note(r: Request) -> Response:
    p, mr, note = find_note(r)
    _may_admin_note(r, p, note)
    mr.notes.remove(note)
    return Response(204)
