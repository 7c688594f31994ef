"""The fake's in-memory state: users, groups, projects with real commit trees, MRs and the rest.

Everything here is plain data guarded by :attr:`Store.lock`; the HTTP handlers and the Python
API both take the lock for the whole of one operation, so every request is atomic.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .webhooks import WebhookEvent

JSON = dict[str, Any]

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50


class ApiError(Exception):
    """An error answered the way GitLab answers it: ``status`` and a JSON body."""

    def __init__(self, status: int, message: Any, key: str = "message") -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.body: JSON = {key: message}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"404 {what} Not Found")


def forbidden() -> ApiError:
    return ApiError(403, "403 Forbidden")


def missing(param: str) -> ApiError:
    """Grape's answer to a missing required parameter."""
    return ApiError(400, f"{param} is missing", key="error")


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    admin: bool = False
    bot: bool = False
    state: str = "active"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Group:
    id: int
    path: str
    name: str
    parent: Group | None
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level

    @property
    def full_path(self) -> str:
        return f"{self.parent.full_path}/{self.path}" if self.parent else self.path

    def lineage(self) -> Iterator[Group]:
        """This group, then its parent, up to the top-level group."""
        group: Group | None = self
        while group is not None:
            yield group
            group = group.parent


@dataclass
class Commit:
    sha: str
    parent_ids: list[str]
    tree: dict[str, bytes]
    message: str
    author: User
    created_at: datetime

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass
class Label:
    id: int
    name: str
    color: str = "#6699cc"
    description: str | None = None

    @property
    def scope(self) -> str | None:
        """``gate`` for ``gate::passed`` (GitLab scopes by the last ``::``)."""
        return self.name.rsplit("::", 1)[0] if "::" in self.name else None


@dataclass
class LabelEvent:
    id: int
    user: User
    label: Label
    action: str  # add | remove
    created_at: datetime


@dataclass
class Award:
    id: int
    name: str
    user: User
    awardable_type: str  # MergeRequest | Note
    awardable_id: int
    created_at: datetime


@dataclass
class Note:
    id: int
    body: str
    author: User
    created_at: datetime
    updated_at: datetime
    system: bool = False
    awards: list[Award] = field(default_factory=list)


@dataclass
class MergeRequest:
    id: int
    iid: int
    title: str
    description: str
    source_branch: str
    target_branch: str
    author: User
    created_at: datetime
    updated_at: datetime
    state: str = "opened"  # opened | closed | merged
    labels: list[str] = field(default_factory=list)
    merged_at: datetime | None = None
    merged_by: User | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    merge_commit_sha: str | None = None
    merged_sha: str | None = None  # the source head that was merged (kept after branch removal)
    notes: list[Note] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    label_events: list[LabelEvent] = field(default_factory=list)


@dataclass
class Status:
    id: int
    sha: str
    ref: str | None
    name: str
    status: str
    author: User
    target_url: str | None
    description: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass
class Project:
    id: int
    path: str
    name: str
    namespace: Group | User
    default_branch: str
    visibility: str  # public | internal | private
    created_at: datetime
    description: str | None = None
    members: dict[int, int] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> sha
    labels: dict[str, Label] = field(default_factory=dict)  # name -> label
    merge_requests: dict[int, MergeRequest] = field(default_factory=dict)  # iid -> MR
    statuses: list[Status] = field(default_factory=list)

    @property
    def full_path(self) -> str:
        ns = self.namespace
        prefix = ns.full_path if isinstance(ns, Group) else ns.username
        return f"{prefix}/{self.path}"


def git_blob_id(content: bytes) -> str:
    """The blob id git gives ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


class Store:
    """All state of one fake GitLab instance."""

    def __init__(self, base_url: str = "http://127.0.0.1") -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.users: dict[int, User] = {}
        self.tokens: dict[str, int] = {}  # token -> user id
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self._ids = itertools.count(1)
        self._last_now = datetime.fromtimestamp(0, UTC)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.webhook_events: list[WebhookEvent] = []

    def next_id(self) -> int:
        """Ids are unique across every kind of object (GitLab's are per table; unique is safer)."""
        return next(self._ids)

    def timestamp(self) -> datetime:
        """The current time, strictly after every earlier timestamp (stable ordering in tests).
        Whole milliseconds, as the API renders them: two timestamps never render the same."""
        now = self.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_now:
            now = self._last_now + _TICK
        self._last_now = now
        return now

    def emit(self, event: WebhookEvent) -> None:
        """Record a webhook event (sent when a test calls ``deliver``)."""
        self.webhook_events.append(event)

    # --- users and tokens ------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        admin: bool = False,
        bot: bool = False,
        token: str | None = None,
    ) -> tuple[User, str]:
        if any(u.username == username for u in self.users.values()):
            raise ValueError(f"user {username!r} exists")
        user = User(
            self.next_id(),
            username,
            name or username,
            f"{username}@example.org",
            admin=admin,
            bot=bot,
        )
        self.users[user.id] = user
        token = token or f"glpat-{secrets.token_urlsafe(15)}"
        self.tokens[token] = user.id
        return user, token

    def user_for_token(self, token: str | None) -> User | None:
        if not token or token not in self.tokens:
            return None
        return self.users.get(self.tokens[token])

    # --- lookups -------------------------------------------------------------------------

    def find_group(self, ref: str | int) -> Group:
        for group in self.groups.values():
            if str(group.id) == str(ref) or group.full_path == str(ref):
                return group
        raise not_found("Group")

    def find_project(self, ref: str | int) -> Project:
        for project in self.projects.values():
            if str(project.id) == str(ref) or project.full_path == str(ref):
                return project
        raise not_found("Project")

    # --- permissions ---------------------------------------------------------------------

    def access_level(self, project: Project, user: User | None) -> int:
        """The user's effective level: direct membership or inherited from the groups above."""
        if user is None:
            return 0
        if user.admin:
            return OWNER
        levels = [project.members.get(user.id, 0)]
        if isinstance(project.namespace, Group):
            levels += [g.members.get(user.id, 0) for g in project.namespace.lineage()]
        elif project.namespace.id == user.id:
            levels.append(OWNER)
        return max(levels)

    def readable_project(self, ref: str, user: User) -> Project:
        """The project, or 404 when this user may not see it (GitLab hides private projects)."""
        project = self.find_project(ref)
        if project.visibility == "private" and self.access_level(project, user) < GUEST:
            raise not_found("Project")
        return project

    def require(self, project: Project, user: User, level: int) -> None:
        if self.access_level(project, user) < level:
            raise forbidden()

    def project_members(self, project: Project) -> dict[int, int]:
        """members/all: direct and inherited, the highest level per user."""
        levels: dict[int, int] = {}
        sources = [project.members]
        if isinstance(project.namespace, Group):
            sources += [g.members for g in project.namespace.lineage()]
        for members in sources:
            for uid, level in members.items():
                levels[uid] = max(level, levels.get(uid, 0))
        return levels

    def group_members(self, group: Group) -> dict[int, int]:
        levels: dict[int, int] = {}
        for g in group.lineage():
            for uid, level in g.members.items():
                levels[uid] = max(level, levels.get(uid, 0))
        return levels


_TICK = timedelta(milliseconds=1)
