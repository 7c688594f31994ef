"""The current user, users, projects, groups, members and commit statuses."""

from __future__ import annotations

from . import render, repo
from .model import DEVELOPER, ApiError, Status, not_found
from .server import Request, Response, paginate, route

STATES = ("pending", "running", "success", "failed", "canceled")
# GitLab's state machine events per requested state, and the states each may leave from.
_EVENT = {
    "pending": "enqueue",
    "running": "run",
    "success": "success",
    "failed": "drop",
    "canceled": "cancel",
}
_FROM = {
    "pending": {"created"},
    "running": {"created", "pending"},
    "success": {"created", "pending", "running"},
    "failed": {"created", "pending", "running"},
    "canceled": {"created", "pending", "running"},
}


@route("GET", "/user")
def current_user(r: Request) -> Response:
    return Response(200, render.user_full(r.store, r.user))


@route("GET", "/users")
def list_users(r: Request) -> Response:
    username = r.arg("username")
    users = [u for u in r.store.users.values() if username in (None, u.username)]
    return paginate(r, [render.user_basic(r.store, u) for u in users], r.store.base_url)


@route("GET", "/users/{user_id}")
def get_user(r: Request) -> Response:
    user = r.store.users.get(int(r.params["user_id"])) if r.params["user_id"].isdigit() else None
    if user is None:
        raise not_found("User")
    return Response(200, render.user_basic(r.store, user))


@route("GET", "/projects/{id}")
def get_project(r: Request) -> Response:
    return Response(200, render.project(r.store, r.store.readable_project(r.params["id"], r.user)))


@route("GET", "/projects/{id}/members/all")
def project_members(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    levels = r.store.project_members(p)
    data = [render.member(r.store, r.store.users[uid], lvl) for uid, lvl in sorted(levels.items())]
    return paginate(r, data, r.store.base_url)


@route("GET", "/projects/{id}/members/all/{user_id}")
def project_member(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    levels = r.store.project_members(p)
    uid = int(r.params["user_id"]) if r.params["user_id"].isdigit() else -1
    if uid not in levels:
        raise not_found("Member")
    return Response(200, render.member(r.store, r.store.users[uid], levels[uid]))


@route("GET", "/groups/{id}")
def get_group(r: Request) -> Response:
    return Response(200, render.group(r.store, r.store.find_group(r.params["id"])))


@route("GET", "/groups/{id}/members")
def group_direct_members(r: Request) -> Response:
    g = r.store.find_group(r.params["id"])
    data = [
        render.member(r.store, r.store.users[uid], lvl) for uid, lvl in sorted(g.members.items())
    ]
    return paginate(r, data, r.store.base_url)


@route("GET", "/groups/{id}/members/all")
def group_members(r: Request) -> Response:
    g = r.store.find_group(r.params["id"])
    levels = r.store.group_members(g)
    data = [render.member(r.store, r.store.users[uid], lvl) for uid, lvl in sorted(levels.items())]
    return paginate(r, data, r.store.base_url)


@route("POST", "/projects/{id}/statuses/{sha}")
def set_status(r: Request) -> Response:
    """GitLab reuses the user's pending/running status of that name and ref, else starts one."""
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, DEVELOPER)
    state = str(r.required("state"))
    if state not in STATES:
        raise ApiError(400, "state does not have a valid value", key="error")
    commit = repo.resolve(p, r.params["sha"])
    if commit.sha != r.params["sha"]:
        raise not_found("Commit")
    name = str(r.arg("name") or r.arg("context") or "default")
    ref = r.arg("ref") or next(
        (b for b, sha in sorted(p.branches.items()) if sha == commit.sha), None
    )
    status = next(
        (
            s
            for s in reversed(p.statuses)
            if s.sha == commit.sha
            and s.name == name
            and s.ref == ref
            and s.author.id == r.user.id
            and s.status in ("pending", "running")
        ),
        None,
    )
    now = r.store.timestamp()
    if status is None:
        status = Status(
            r.store.next_id(), commit.sha, ref, name, "created", r.user, None, None, now
        )
        current = "created"
    else:
        current = status.status
    if current not in _FROM[state]:
        event = _EVENT[state]
        raise ApiError(
            400,
            f"Cannot transition status via :{event} from :{current} "
            f'(Reason(s): Status cannot transition via "{event}")',
        )
    if status not in p.statuses:
        p.statuses.append(status)
    status.status = state
    for key in ("target_url", "description"):
        if r.arg(key) is not None:
            setattr(status, key, str(r.arg(key)))
    if state == "running":
        status.started_at = now
    if state in ("success", "failed", "canceled"):
        status.finished_at = now
    return Response(201, render.status(r.store, status))


@route("GET", "/projects/{id}/repository/commits/{sha}/statuses")
def list_statuses(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    commit = repo.resolve(p, r.params["sha"])
    found = [
        s
        for s in p.statuses
        if s.sha == commit.sha and r.arg("ref") in (None, s.ref) and r.arg("name") in (None, s.name)
    ]
    if str(r.arg("all", "false")).lower() != "true":
        latest: dict[tuple[str, str | None], Status] = {}
        for s in found:
            latest[(s.name, s.ref)] = s
        found = list(latest.values())
    found.sort(key=lambda s: s.id, reverse=True)
    return paginate(r, [render.status(r.store, s) for s in found], r.store.base_url)
