"""GitLab-shaped webhook payloads (Merge Request, Note and Emoji Hooks) and their delivery.

The fake records one :class:`WebhookEvent` per change as it happens; nothing is sent until a
test calls :meth:`GitLabFake.deliver` (or :func:`deliver` with one event, e.g. to replay it or
to forge a bad token). No retries: a delivery is one POST.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .model import JSON, Award, Label, MergeRequest, Note, Project, Store, User
from .repo import resolve


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook delivery's content: the ``X-Gitlab-Event`` name, its payload, its uuid."""

    event: str  # "Merge Request Hook" | "Note Hook" | "Emoji Hook"
    payload: JSON
    uuid: str
    idempotency_key: str

    def headers(self, secret: str | None, instance: str) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/17.0.0-fake",
            "X-Gitlab-Event": self.event,
            "X-Gitlab-Event-UUID": self.uuid,
            "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
            "X-Gitlab-Instance": instance,
            "Idempotency-Key": self.idempotency_key,
        }
        if secret is not None:
            headers["X-Gitlab-Token"] = secret
        return headers


def deliver(
    event: WebhookEvent, url: str, secret: str | None, *, instance: str = "", timeout: float = 10.0
) -> int:
    """POST one event; the receiver's HTTP status (a connection failure raises ``OSError``)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(event.payload).encode(),
        method="POST",
        headers=event.headers(secret, instance),
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def hook_time(when: datetime | None) -> str | None:
    """Webhook timestamps: ``2024-05-01 12:00:00 UTC``."""
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else None


def _user(user: User) -> JSON:
    return {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "avatar_url": None,
        "email": "[REDACTED]",
    }


def _project(store: Store, p: Project) -> JSON:
    web_url = f"{store.base_url}/{p.full_path}"
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "web_url": web_url,
        "avatar_url": None,
        "git_ssh_url": f"git@fake:{p.full_path}.git",
        "git_http_url": f"{web_url}.git",
        "namespace": p.full_path.rsplit("/", 1)[0],
        "visibility_level": {"private": 0, "internal": 10}.get(p.visibility, 20),
        "path_with_namespace": p.full_path,
        "default_branch": p.default_branch,
        "ci_config_path": None,
        "homepage": web_url,
        "url": f"git@fake:{p.full_path}.git",
        "ssh_url": f"git@fake:{p.full_path}.git",
        "http_url": f"{web_url}.git",
    }


def _label(p: Project, lb: Label) -> JSON:
    return {
        "id": lb.id,
        "title": lb.name,
        "color": lb.color,
        "project_id": p.id,
        "created_at": None,
        "updated_at": None,
        "template": False,
        "description": lb.description,
        "type": "ProjectLabel",
        "group_id": None,
    }


def mr_attributes(store: Store, p: Project, mr: MergeRequest) -> JSON:
    """The merge request as webhooks describe it (``object_attributes`` / ``merge_request``)."""
    sha = p.branches.get(mr.source_branch, mr.merged_sha)
    last_commit = None
    if sha:
        c = resolve(p, sha)
        last_commit = {
            "id": c.sha,
            "message": c.message,
            "title": c.title,
            "timestamp": c.created_at.isoformat(),
            "url": f"{store.base_url}/{p.full_path}/-/commit/{c.sha}",
            "author": {"name": c.author.name, "email": c.author.email},
        }
    return {
        "id": mr.id,
        "iid": mr.iid,
        "target_branch": mr.target_branch,
        "source_branch": mr.source_branch,
        "source_project_id": p.id,
        "target_project_id": p.id,
        "author_id": mr.author.id,
        "assignee_ids": [],
        "reviewer_ids": [],
        "title": mr.title,
        "description": mr.description,
        "created_at": hook_time(mr.created_at),
        "updated_at": hook_time(mr.updated_at),
        "state": mr.state,
        "merge_status": "can_be_merged",
        "url": f"{store.base_url}/{p.full_path}/-/merge_requests/{mr.iid}",
        "source": _project(store, p),
        "target": _project(store, p),
        "last_commit": last_commit,
        "work_in_progress": False,
        "draft": False,
        "merge_commit_sha": mr.merge_commit_sha,
        "labels": [_label(p, p.labels[n]) for n in mr.labels if n in p.labels],
        "head_pipeline_id": None,
    }


def _base(store: Store, p: Project, kind: str, event_type: str, user: User) -> JSON:
    return {
        "object_kind": kind,
        "event_type": event_type,
        "user": _user(user),
        "project_id": p.id,
        "project": _project(store, p),
        "repository": {
            "name": p.name,
            "url": f"git@fake:{p.full_path}.git",
            "description": p.description,
            "homepage": f"{store.base_url}/{p.full_path}",
        },
    }


def _event(name: str, payload: JSON) -> WebhookEvent:
    key = str(uuid.uuid4())
    return WebhookEvent(name, payload, key, key)


def merge_request_hook(
    store: Store,
    p: Project,
    mr: MergeRequest,
    user: User,
    action: str,
    changes: dict[str, Any] | None = None,
    oldrev: str | None = None,
) -> WebhookEvent:
    """``action``: open, update, close, reopen, merge."""
    attrs = {**mr_attributes(store, p, mr), "action": action}
    if oldrev:
        attrs["oldrev"] = oldrev
    payload = {
        **_base(store, p, "merge_request", "merge_request", user),
        "object_attributes": attrs,
        "labels": attrs["labels"],
        "changes": changes or {},
        "assignees": [],
        "reviewers": [],
    }
    del payload["project_id"]  # as GitLab: a merge request hook names it in project.id only
    return _event("Merge Request Hook", payload)


def note_hook(
    store: Store, p: Project, mr: MergeRequest, note: Note, user: User, action: str
) -> WebhookEvent:
    """``action``: create or update."""
    attrs = {
        "id": note.id,
        "note": note.body,
        "noteable_type": "MergeRequest",
        "author_id": note.author.id,
        "created_at": hook_time(note.created_at),
        "updated_at": hook_time(note.updated_at),
        "project_id": p.id,
        "attachment": None,
        "line_code": None,
        "commit_id": "",
        "noteable_id": mr.id,
        "system": note.system,
        "st_diff": None,
        "updated_by_id": user.id if action == "update" else None,
        "type": None,
        "action": action,
        "url": f"{store.base_url}/{p.full_path}/-/merge_requests/{mr.iid}#note_{note.id}",
    }
    payload = {
        **_base(store, p, "note", "note", user),
        "object_attributes": attrs,
        "merge_request": mr_attributes(store, p, mr),
    }
    return _event("Note Hook", payload)


def emoji_hook(
    store: Store,
    p: Project,
    mr: MergeRequest,
    award: Award,
    user: User,
    action: str,
    note: Note | None = None,
) -> WebhookEvent:
    """``action``: award or revoke; on the MR, or on one of its notes."""
    attrs = {
        "user_id": award.user.id,
        "created_at": hook_time(award.created_at),
        "id": award.id,
        "name": award.name,
        "awardable_type": award.awardable_type,
        "awardable_id": award.awardable_id,
        "updated_at": hook_time(award.created_at),
        "action": action,
        "awarded_on_url": f"{store.base_url}/{p.full_path}/-/merge_requests/{mr.iid}"
        + (f"#note_{note.id}" if note else ""),
    }
    payload = {
        **_base(store, p, "emoji", action, user),
        "object_attributes": attrs,
        "merge_request": mr_attributes(store, p, mr),
    }
    if note is not None:
        payload["note"] = {
            "id": note.id,
            "note": note.body,
            "author_id": note.author.id,
            "noteable_type": "MergeRequest",
            "noteable_id": mr.id,
            "created_at": hook_time(note.created_at),
            "system": note.system,
            "project_id": p.id,
        }
    return _event("Emoji Hook", payload)
