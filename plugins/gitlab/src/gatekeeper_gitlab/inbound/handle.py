"""Forge events (webhook deliveries and polling rounds) handled the same way.

An event is a small dict made from a webhook payload by :func:`event_from_hook` (or by the
poller): ``kind``, ``project_id``, ``project``, ``iid``, ``source_branch``, ``note_id``,
``action``. Only pointers are taken from it: the MR, the note, its author, the labels' and
emoji's users and the statuses are all read again from the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekeeper.bounds import text_problem
from gatekeeper.limits import MAX_NAME_CHARS

from .context import compose_id_of, log, open_merge_request
from .notes import handle_note
from .sources import read_all, read_labels, read_statuses, read_votes

HOOKS = {"Merge Request Hook": "merge_request", "Note Hook": "note", "Emoji Hook": "emoji"}
MAX_GITLAB_ID = 2**63 - 1
"""GitLab's ids and iids are 64-bit: a larger number names nothing."""
MAX_PATH = 1024
"""The longest project path taken (GitLab's namespaces nest 20 deep, of short names)."""
MAX_ACTION = 32
"""The longest ``action`` taken (GitLab's are words: ``create``, ``update``, ``approved``)."""


class BadPayload(ValueError):
    """A field of a delivery gatekeeper reads is of the wrong type or out of range."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _id(mapping: Mapping[str, Any], name: str, key: str) -> int | None:
    """A positive 64-bit id, or None when absent; raises :class:`BadPayload` otherwise."""
    value = mapping.get(name)
    if value is None:
        return None
    if _int(value) is None:
        raise BadPayload(key, f"expected an integer id, got {type(value).__name__}")
    if not 0 < value <= MAX_GITLAB_ID:
        raise BadPayload(key, f"expected an id from 1 to {MAX_GITLAB_ID}")
    return int(value)


def _text(mapping: Mapping[str, Any], name: str, key: str, limit: int) -> str | None:
    """Storable text of at most ``limit`` characters, or None when absent; raises
    :class:`BadPayload` otherwise."""
    value = mapping.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadPayload(key, f"expected a string, got {type(value).__name__}")
    if (problem := text_problem(value, limit)) is not None:
        raise BadPayload(key, problem)
    return value


def project_of(payload: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The project a payload names: its ``path_with_namespace`` and id (either may be None;
    a Merge Request Hook has no top-level ``project_id``, only ``project.id``). Raises
    :class:`BadPayload` when either is of the wrong type or out of range."""
    project = payload.get("project")
    if not isinstance(project, Mapping):  # no project gatekeeper knows: refused (403)
        project = {}
    path = _text(project, "path_with_namespace", "project.path_with_namespace", MAX_PATH)
    project_id = _id(payload, "project_id", "project_id")
    return path, project_id or _id(project, "id", "project.id")


def event_from_hook(name: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event to queue for a webhook delivery, or None when it concerns no compose MR.
    Raises :class:`BadPayload` (naming the key) when an id or text it reads is of the wrong
    type, out of range, or text that cannot be stored."""
    kind = HOOKS[name]
    attrs = payload.get("object_attributes") or {}
    mr = attrs if kind == "merge_request" else payload.get("merge_request") or {}
    if not isinstance(attrs, Mapping) or not isinstance(mr, Mapping):
        return None  # no merge request named: nothing to do
    where = "object_attributes" if kind == "merge_request" else "merge_request"
    if kind == "note" and attrs.get("noteable_type") != "MergeRequest":
        return None
    branch = _text(mr, "source_branch", f"{where}.source_branch", MAX_NAME_CHARS)
    iid = _id(mr, "iid", f"{where}.iid")
    if compose_id_of(branch) is None or iid is None:
        return None
    path, project_id = project_of(payload)
    return {
        "kind": kind,
        "project_id": project_id,
        "project": path,
        "iid": iid,
        "source_branch": branch,
        "note_id": _id(attrs, "id", "object_attributes.id") if kind == "note" else None,
        "action": _text(attrs, "action", "object_attributes.action", MAX_ACTION),
    }


def handle_event(app: Any, event: Mapping[str, Any], mr: Any = None) -> int:
    """Handle one event: the created note it names, then the MR's labels, emoji and
    statuses (polling: every note). Returns the number of results stored (notes aside)."""
    # a note event needs only the MR's identity, which gatekeeper's record holds; the
    # others read its labels, emoji or head from the API
    recorded = event.get("project_id") if event.get("kind") == "note" else None
    ctx = open_merge_request(app, event.get("source_branch"), event.get("iid"), mr, recorded)
    if ctx is None:
        return 0
    if ctx.mr.state != "opened":
        log.info("%s: merge request !%s is %s: ignored", ctx.compose.id, ctx.mr.iid, ctx.mr.state)
        return 0
    kind = event.get("kind")
    if kind == "poll":
        notes = ctx.mr.notes.list(get_all=True, per_page=100, sort="asc", **ctx.opts)
        for note in notes:
            handle_note(ctx, note)
        return read_all(ctx)
    if kind == "note":  # a new note says nothing of labels, emoji or statuses
        note_id = _int(event.get("note_id"))
        if note_id is not None and event.get("action") in (None, "create"):
            # a delivery is handled once (its key), so the bot's reaction need not be
            # looked for first; a retried handling stores nothing twice (ids from the note)
            note = _note(ctx, note_id)
            if note is not None:
                handle_note(ctx, note, fresh=True)
        return ctx.flush()
    if kind == "emoji":
        read_votes(ctx)
        return ctx.flush()
    read_labels(ctx)  # a merge request event: its labels, and the head's statuses
    read_statuses(ctx)
    return ctx.flush()


def _note(ctx: Any, note_id: int) -> Any:
    """The note of the compose MR, or None when it is not one of its notes (deleted since,
    or named by a payload for another MR): GitLab's 404, which no retry changes."""
    import gitlab

    try:
        return ctx.mr.notes.get(note_id, **ctx.opts)
    except gitlab.GitlabGetError as exc:
        if exc.response_code != 404:
            raise
    log.info("%s: note %s is not a note of !%s: ignored", ctx.compose.id, note_id, ctx.mr.iid)
    return None


def open_compose_mrs(app: Any) -> list[tuple[Any, str]]:
    """(MR, product) of every open compose MR of the products whose composes await a
    decision or publishing."""
    products: set[str] = set()
    for state in ("proposed", "promoted"):
        offset: int | None = 0
        while offset is not None:
            page = app.compose_list(limit=1000, offset=offset, state=state)
            products.update(str(row["product"]) for row in page.items)
            offset = page.next_offset
    forge = app.forge
    found = []
    for product in sorted(products):
        project = forge.project(product)
        for mr in project.mergerequests.list(
            state="opened", target_branch="main", get_all=True, per_page=100, **forge.opts
        ):
            if compose_id_of(mr.source_branch) is not None:
                found.append((mr, product))
    return found


def poll_once(app: Any) -> int:
    """One polling round over the open compose MRs; the number of MRs read."""
    count = 0
    for mr, _product in open_compose_mrs(app):
        event = {"kind": "poll", "iid": int(mr.iid), "source_branch": mr.source_branch}
        try:
            handle_event(app, event, mr)
        except Exception:  # one MR's failure does not stop the round
            log.exception("polling merge request !%s failed", mr.iid)
        count += 1
    return count
