"""Award emoji (on MRs and on their notes), project labels and resource label events."""

from __future__ import annotations

from . import render, webhooks
from .model import REPORTER, ApiError, Award, Label, MergeRequest, Note, Project, not_found
from .routes_mr import find_mr, find_note
from .server import Request, Response, paginate, route

# A sample of GitLab's emoji names; enough for votes and bot reactions. Extend with
# ``GitLabFake.emoji.add(...)``.
EMOJI = {
    "thumbsup",
    "thumbsdown",
    "+1",
    "-1",
    "white_check_mark",
    "heavy_check_mark",
    "x",
    "negative_squared_cross_mark",
    "warning",
    "no_entry",
    "no_entry_sign",
    "eyes",
    "tada",
    "rocket",
    "heart",
    "smile",
    "laughing",
    "confused",
    "hourglass",
    "hourglass_flowing_sand",
    "robot",
    "stop_sign",
    "question",
    "exclamation",
    "ok_hand",
    "clap",
    "fire",
    "bug",
    "construction",
    "red_circle",
    "green_circle",
    "large_blue_circle",
    "star",
    "100",
}
_ALIASES = {"+1": "thumbsup", "-1": "thumbsdown"}


def _awardable(r: Request) -> tuple[Project, MergeRequest, Note | None]:
    if "note_id" in r.params:
        return find_note(r)
    p, mr = find_mr(r)
    return p, mr, None


def _awards(mr: MergeRequest, note: Note | None) -> list[Award]:
    return note.awards if note is not None else mr.awards


def _award_routes(prefix: str) -> None:
    @route("GET", prefix + "/award_emoji")
    def list_awards(r: Request) -> Response:
        _p, mr, note = _awardable(r)
        data = [render.award(r.store, a) for a in _awards(mr, note)]
        return paginate(r, data, r.store.base_url)

    @route("GET", prefix + "/award_emoji/{award_id}")
    def get_award(r: Request) -> Response:
        _p, mr, note = _awardable(r)
        for a in _awards(mr, note):
            if str(a.id) == r.params["award_id"]:
                return Response(200, render.award(r.store, a))
        raise not_found("Award Emoji")

    @route("POST", prefix + "/award_emoji")
    def create_award(r: Request) -> Response:
        p, mr, note = _awardable(r)
        name = str(r.required("name"))
        name = _ALIASES.get(name, name)
        if name not in EMOJI:
            raise not_found("Award Emoji Name is not a valid emoji name")
        awards = _awards(mr, note)
        if any(a.name == name and a.user.id == r.user.id for a in awards):
            raise not_found("Award Emoji Name has already been taken")
        kind, target = ("Note", note.id) if note is not None else ("MergeRequest", mr.id)
        award = Award(r.store.next_id(), name, r.user, kind, target, r.store.timestamp())
        awards.append(award)
        r.store.emit(webhooks.emoji_hook(r.store, p, mr, award, r.user, "award", note))
        return Response(201, render.award(r.store, award))

    @route("DELETE", prefix + "/award_emoji/{award_id}")
    def delete_award(r: Request) -> Response:
        p, mr, note = _awardable(r)
        awards = _awards(mr, note)
        for a in awards:
            if str(a.id) == r.params["award_id"]:
                if a.user.id != r.user.id and not r.user.admin:
                    raise ApiError(401, "401 Unauthorized")  # GitLab's answer (not 403)
                awards.remove(a)
                r.store.emit(webhooks.emoji_hook(r.store, p, mr, a, r.user, "revoke", note))
                return Response(204)
        raise not_found("Award Emoji")


_award_routes("/projects/{id}/merge_requests/{iid}")
_award_routes("/projects/{id}/merge_requests/{iid}/notes/{note_id}")


@route("GET", "/projects/{id}/labels")
def list_labels(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    search = str(r.arg("search") or "")
    labels = sorted((lb for lb in p.labels.values() if search in lb.name), key=lambda x: x.name)
    return paginate(r, [render.label(lb) for lb in labels], r.store.base_url)


@route("GET", "/projects/{id}/labels/{label_id}")
def get_label(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    for lb in p.labels.values():
        if r.params["label_id"] in (str(lb.id), lb.name):
            return Response(200, render.label(lb))
    raise not_found("Label")


@route("POST", "/projects/{id}/labels")
def create_label(r: Request) -> Response:
    p = r.store.readable_project(r.params["id"], r.user)
    r.store.require(p, r.user, REPORTER)
    name, color = str(r.required("name")), str(r.required("color"))
    if name in p.labels:
        raise ApiError(409, "Label already exists")
    description = r.arg("description")
    label = Label(r.store.next_id(), name, color, str(description) if description else None)
    p.labels[name] = label
    return Response(201, render.label(label))


@route("GET", "/projects/{id}/merge_requests/{iid}/resource_label_events")
def label_events(r: Request) -> Response:
    _p, mr = find_mr(r)
    data = [render.label_event(ev, r.store, mr) for ev in mr.label_events]
    return paginate(r, data, r.store.base_url)


@route("GET", "/projects/{id}/merge_requests/{iid}/resource_label_events/{event_id}")
def label_event(r: Request) -> Response:
    _p, mr = find_mr(r)
    for ev in mr.label_events:
        if str(ev.id) == r.params["event_id"]:
            return Response(200, render.label_event(ev, r.store, mr))
    raise not_found("Resource Label Event")
