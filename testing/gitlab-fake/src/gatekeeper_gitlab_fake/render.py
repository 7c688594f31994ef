"""GitLab's v4 JSON shapes, built from the fake's state (the entities of GitLab's REST API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import repo
from .model import (
    JSON,
    Award,
    Commit,
    Group,
    Label,
    LabelEvent,
    MergeRequest,
    Note,
    Project,
    Status,
    Store,
    User,
)


def iso(when: datetime | None) -> str | None:
    """GitLab's API timestamps: ``2024-05-01T12:00:00.123Z``."""
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def user_basic(store: Store, user: User | None) -> JSON | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": user.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{store.base_url}/{user.username}",
    }


def user_full(store: Store, user: User) -> JSON:
    """GET /user: the basic fields plus what GitLab shows a user about themselves."""
    return {
        **(user_basic(store, user) or {}),
        "email": user.email,
        "public_email": None,
        "bot": user.bot,
        "is_admin": user.admin,
        "created_at": iso(user.created_at),
        "two_factor_enabled": False,
        "external": False,
        "can_create_project": True,
    }


def member(store: Store, user: User, level: int) -> JSON:
    return {
        **(user_basic(store, user) or {}),
        "access_level": level,
        "created_at": iso(user.created_at),
        "expires_at": None,
        "membership_state": "active",
    }


def group(store: Store, g: Group) -> JSON:
    return {
        "id": g.id,
        "name": g.name,
        "path": g.path,
        "full_name": " / ".join(x.name for x in reversed(list(g.lineage()))),
        "full_path": g.full_path,
        "parent_id": g.parent.id if g.parent else None,
        "visibility": "public",
        "description": "",
        "web_url": f"{store.base_url}/groups/{g.full_path}",
    }


def project(store: Store, p: Project) -> JSON:
    ns = p.namespace
    namespace = (
        {
            "id": ns.id,
            "name": ns.name,
            "path": ns.path,
            "kind": "group",
            "full_path": ns.full_path,
            "parent_id": ns.parent.id if ns.parent else None,
        }
        if isinstance(ns, Group)
        else {
            "id": ns.id,
            "name": ns.name,
            "path": ns.username,
            "kind": "user",
            "full_path": ns.username,
            "parent_id": None,
        }
    )
    web_url = f"{store.base_url}/{p.full_path}"
    return {
        "id": p.id,
        "name": p.name,
        "path": p.path,
        "description": p.description,
        "name_with_namespace": f"{namespace['full_path']} / {p.name}",
        "path_with_namespace": p.full_path,
        "default_branch": p.default_branch,
        "visibility": p.visibility,
        "namespace": namespace,
        "web_url": web_url,
        "http_url_to_repo": f"{web_url}.git",
        "ssh_url_to_repo": f"git@fake:{p.full_path}.git",
        "created_at": iso(p.created_at),
        "last_activity_at": iso(p.created_at),
        "empty_repo": not p.branches,
        "archived": False,
        "merge_method": "merge",
        "only_allow_merge_if_pipeline_succeeds": False,
        "_links": {
            "self": f"{store.base_url}/api/v4/projects/{p.id}",
            "merge_requests": f"{store.base_url}/api/v4/projects/{p.id}/merge_requests",
            "labels": f"{store.base_url}/api/v4/projects/{p.id}/labels",
        },
    }


def commit(store: Store, p: Project, c: Commit, *, stats: bool = False) -> JSON:
    data: JSON = {
        "id": c.sha,
        "short_id": c.sha[:8],
        "title": c.title,
        "message": c.message,
        "author_name": c.author.name,
        "author_email": c.author.email,
        "authored_date": iso(c.created_at),
        "committer_name": c.author.name,
        "committer_email": c.author.email,
        "committed_date": iso(c.created_at),
        "created_at": iso(c.created_at),
        "parent_ids": list(c.parent_ids),
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{store.base_url}/{p.full_path}/-/commit/{c.sha}",
    }
    if stats:
        parent = p.commits[c.parent_ids[0]].tree if c.parent_ids else {}
        entries = repo.diff(parent, c.tree)
        additions = sum(e["diff"].count("\n+") for e in entries)
        deletions = sum(e["diff"].count("\n-") for e in entries)
        data["stats"] = {
            "additions": additions,
            "deletions": deletions,
            "total": additions + deletions,
        }
        data["status"] = None
        data["project_id"] = p.id
        data["last_pipeline"] = None
    return data


def branch(store: Store, p: Project, name: str) -> JSON:
    return {
        "name": name,
        "commit": commit(store, p, p.commits[p.branches[name]]),
        "merged": False,
        "protected": name == p.default_branch,
        "developers_can_push": False,
        "developers_can_merge": False,
        "can_push": True,
        "default": name == p.default_branch,
        "web_url": f"{store.base_url}/{p.full_path}/-/tree/{name}",
    }


def label(lb: Label) -> JSON:
    return {
        "id": lb.id,
        "name": lb.name,
        "color": lb.color,
        "text_color": "#FFFFFF",
        "description": lb.description,
        "description_html": lb.description or "",
        "open_issues_count": 0,
        "closed_issues_count": 0,
        "open_merge_requests_count": 0,
        "subscribed": False,
        "priority": None,
        "is_project_label": True,
    }


def label_event(ev: LabelEvent, store: Store, mr: MergeRequest) -> JSON:
    return {
        "id": ev.id,
        "user": user_basic(store, ev.user),
        "created_at": iso(ev.created_at),
        "resource_type": "MergeRequest",
        "resource_id": mr.id,
        "label": {
            "id": ev.label.id,
            "name": ev.label.name,
            "color": ev.label.color,
            "description": ev.label.description,
        },
        "action": ev.action,
    }


def award(store: Store, a: Award) -> JSON:
    return {
        "id": a.id,
        "name": a.name,
        "user": user_basic(store, a.user),
        "created_at": iso(a.created_at),
        "updated_at": iso(a.created_at),
        "awardable_id": a.awardable_id,
        "awardable_type": a.awardable_type,
        "url": None,
    }


def note(store: Store, p: Project, mr: MergeRequest, n: Note) -> JSON:
    return {
        "id": n.id,
        "type": None,
        "body": n.body,
        "attachment": None,
        "author": user_basic(store, n.author),
        "created_at": iso(n.created_at),
        "updated_at": iso(n.updated_at),
        "system": n.system,
        "noteable_id": mr.id,
        "noteable_type": "MergeRequest",
        "noteable_iid": mr.iid,
        "project_id": p.id,
        "resolvable": False,
        "confidential": False,
        "internal": False,
        "imported": False,
        "commands_changes": {},
    }


def status(store: Store, s: Status) -> JSON:
    return {
        "id": s.id,
        "sha": s.sha,
        "ref": s.ref,
        "status": s.status,
        "name": s.name,
        "target_url": s.target_url,
        "description": s.description,
        "created_at": iso(s.created_at),
        "started_at": iso(s.started_at),
        "finished_at": iso(s.finished_at),
        "allow_failure": False,
        "coverage": None,
        "author": user_basic(store, s.author),
    }


def merge_status(p: Project, mr: MergeRequest) -> tuple[str, str]:
    """(merge_status, detailed_merge_status) as GitLab computes them."""
    if mr.state != "opened":
        return "can_be_merged", "not_open"
    if mr.source_branch not in p.branches or mr.target_branch not in p.branches:
        return "cannot_be_merged", "broken_status"
    if repo.merge_result(p, mr) is None:
        return "cannot_be_merged", "conflict"
    return "can_be_merged", "mergeable"


def merge_request(store: Store, p: Project, mr: MergeRequest, *, single: bool = False) -> JSON:
    sha = p.branches.get(mr.source_branch, mr.merged_sha)
    merge, detailed = merge_status(p, mr)
    ups = sum(1 for a in mr.awards if a.name == "thumbsup")
    downs = sum(1 for a in mr.awards if a.name == "thumbsdown")
    data: JSON = {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": p.id,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "created_at": iso(mr.created_at),
        "updated_at": iso(mr.updated_at),
        "merged_by": user_basic(store, mr.merged_by),
        "merge_user": user_basic(store, mr.merged_by),
        "merged_at": iso(mr.merged_at),
        "closed_by": user_basic(store, mr.closed_by),
        "closed_at": iso(mr.closed_at),
        "target_branch": mr.target_branch,
        "source_branch": mr.source_branch,
        "user_notes_count": sum(1 for n in mr.notes if not n.system),
        "upvotes": ups,
        "downvotes": downs,
        "author": user_basic(store, mr.author),
        "assignees": [],
        "assignee": None,
        "reviewers": [],
        "source_project_id": p.id,
        "target_project_id": p.id,
        "labels": list(mr.labels),
        "draft": False,
        "work_in_progress": False,
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": merge,
        "detailed_merge_status": detailed,
        "sha": sha,
        "merge_commit_sha": mr.merge_commit_sha,
        "squash_commit_sha": None,
        "discussion_locked": None,
        "should_remove_source_branch": None,
        "force_remove_source_branch": False,
        "reference": f"!{mr.iid}",
        "references": {
            "short": f"!{mr.iid}",
            "relative": f"!{mr.iid}",
            "full": f"{p.full_path}!{mr.iid}",
        },
        "web_url": f"{store.base_url}/{p.full_path}/-/merge_requests/{mr.iid}",
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "squash": False,
        "has_conflicts": detailed == "conflict",
        "blocking_discussions_resolved": True,
        "task_completion_status": {"count": 0, "completed_count": 0},
    }
    if single:
        target = p.branches.get(mr.target_branch)
        base = repo.merge_base(p, sha, target) if sha and target else None
        data["diff_refs"] = {"base_sha": base, "head_sha": sha, "start_sha": target}
        data["changes_count"] = str(len(changes(p, mr)))
        data["pipeline"] = None
        data["head_pipeline"] = None
    return data


def changes(p: Project, mr: MergeRequest) -> list[dict[str, Any]]:
    """The MR's diff: from the merge base to the source head."""
    sha = p.branches.get(mr.source_branch, mr.merged_sha)
    target = p.branches.get(mr.target_branch)
    if sha is None or target is None:
        return []
    base = repo.merge_base(p, sha, target)
    return repo.diff(p.commits[base].tree if base else {}, p.commits[sha].tree)
