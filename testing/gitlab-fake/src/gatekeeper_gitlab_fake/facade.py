"""``GitLabFake``: start the server, set up users, groups and projects, act as a user, inspect.

Setting up (users, groups, memberships, projects, their first commit) writes the state
directly: GitLab's admin API is not what the plugin talks to. Everything a *person* does on an
MR (notes, labels, emoji, statuses, ...) goes through :meth:`GitLabFake.as_user`, which calls
the HTTP API with that user's token, so events, hooks and the request log record the right
actor.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

from . import repo, routes_misc, routes_repo, routes_social  # noqa: F401 - register routes
from .faults import Faults, RequestRecord
from .model import DEVELOPER, JSON, ApiError, Group, Project, Store, User
from .routes_social import EMOJI
from .server import API_PREFIX, FakeServer
from .webhooks import WebhookEvent, deliver


@dataclass(frozen=True)
class FakeUser:
    """A user of the fake and the personal access token that authenticates as them."""

    id: int
    username: str
    token: str


class FakeApiError(Exception):
    """A non-2xx answer to an :class:`Actor` call."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class Actor:
    """One user acting through the HTTP API (``fake.as_user(alice).post_note(...)``)."""

    def __init__(self, fake: GitLabFake, user: FakeUser) -> None:
        self.fake = fake
        self.user = user

    def request(
        self, method: str, path: str, body: JSON | None = None, query: dict[str, Any] | None = None
    ) -> Any:
        """Call ``/api/v4{path}``; the decoded JSON answer (None for 204), else FakeApiError."""
        url = f"{self.fake.url}{API_PREFIX}{path}"
        if query:
            url += "?" + urlencode(query, doseq=True)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={"PRIVATE-TOKEN": self.user.token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            raise FakeApiError(exc.code, json.loads(raw) if raw else None) from None
        return json.loads(raw) if raw else None

    @staticmethod
    def _mr(project: str | int, iid: int) -> str:
        return f"/projects/{quote(str(project), safe='')}/merge_requests/{iid}"

    def post_note(self, project: str | int, iid: int, body: str) -> JSON:
        result: JSON = self.request("POST", self._mr(project, iid) + "/notes", {"body": body})
        return result

    def edit_note(self, project: str | int, iid: int, note_id: int, body: str) -> JSON:
        path = f"{self._mr(project, iid)}/notes/{note_id}"
        result: JSON = self.request("PUT", path, {"body": body})
        return result

    def add_labels(self, project: str | int, iid: int, *labels: str) -> JSON:
        result: JSON = self.request("PUT", self._mr(project, iid), {"add_labels": ",".join(labels)})
        return result

    def remove_labels(self, project: str | int, iid: int, *labels: str) -> JSON:
        result: JSON = self.request(
            "PUT", self._mr(project, iid), {"remove_labels": ",".join(labels)}
        )
        return result

    def award_emoji(
        self, project: str | int, iid: int, name: str, note_id: int | None = None
    ) -> JSON:
        path = self._mr(project, iid) + (f"/notes/{note_id}" if note_id else "") + "/award_emoji"
        result: JSON = self.request("POST", path, {"name": name})
        return result

    def remove_emoji(
        self, project: str | int, iid: int, award_id: int, note_id: int | None = None
    ) -> None:
        path = self._mr(project, iid) + (f"/notes/{note_id}" if note_id else "")
        self.request("DELETE", f"{path}/award_emoji/{award_id}")

    def set_status(
        self, project: str | int, sha: str, state: str, name: str = "default", **extra: str
    ) -> JSON:
        path = f"/projects/{quote(str(project), safe='')}/statuses/{sha}"
        result: JSON = self.request("POST", path, {"state": state, "name": name, **extra})
        return result

    def commit(
        self,
        project: str | int,
        branch: str,
        files: dict[str, str | None],
        message: str = "Update files",
        start_branch: str | None = None,
    ) -> JSON:
        """Commit file changes (None deletes), creating/updating as the tree needs."""
        tree = (
            self.fake.files(project, start_branch or branch)
            if (start_branch or branch) in self.fake.project(project).branches
            else {}
        )
        actions = [
            {
                "action": "delete" if content is None else ("update" if path in tree else "create"),
                "file_path": path,
                **({"content": content} if content is not None else {}),
            }
            for path, content in files.items()
        ]
        body: JSON = {"branch": branch, "commit_message": message, "actions": actions}
        if start_branch:
            body["start_branch"] = start_branch
        path = f"/projects/{quote(str(project), safe='')}/repository/commits"
        result: JSON = self.request("POST", path, body)
        return result

    def create_merge_request(
        self, project: str | int, source: str, target: str, title: str, **extra: Any
    ) -> JSON:
        path = f"/projects/{quote(str(project), safe='')}/merge_requests"
        result: JSON = self.request(
            "POST",
            path,
            {"source_branch": source, "target_branch": target, "title": title, **extra},
        )
        return result

    def update_merge_request(self, project: str | int, iid: int, **changes: Any) -> JSON:
        result: JSON = self.request("PUT", self._mr(project, iid), changes)
        return result

    def merge(self, project: str | int, iid: int, sha: str | None = None) -> JSON:
        result: JSON = self.request(
            "PUT", self._mr(project, iid) + "/merge", {"sha": sha} if sha else {}
        )
        return result


class GitLabFake:
    """A GitLab v4 API on loopback, in memory. Use as a context manager, or start()/stop()."""

    def __init__(self) -> None:
        self.store = Store()
        self.faults = Faults()
        self.emoji = EMOJI
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None
        self._delivered = 0

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> GitLabFake:
        self._server = FakeServer(self.store, self.faults)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="gitlab-fake",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitLabFake:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give python-gitlab (``http://127.0.0.1:PORT``)."""
        return self.store.base_url

    # --- setting up ------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        *,
        name: str | None = None,
        admin: bool = False,
        bot: bool = False,
        token: str | None = None,
    ) -> FakeUser:
        with self.store.lock:
            user, token = self.store.add_user(
                username, name=name, admin=admin, bot=bot, token=token
            )
        return FakeUser(user.id, user.username, token)

    def add_token(self, user: FakeUser) -> str:
        """Another valid token for the user (e.g. to revoke one and keep the other)."""
        created = f"glpat-extra-{self.store.next_id()}"
        with self.store.lock:
            self.store.tokens[created] = user.id
        return created

    def revoke_token(self, token: str) -> None:
        with self.store.lock:
            self.store.tokens.pop(token, None)

    def create_group(self, full_path: str) -> Group:
        """The group at ``a/b/c``, creating missing parents."""
        with self.store.lock:
            parent: Group | None = None
            for i, part in enumerate(full_path.split("/")):
                path = "/".join(full_path.split("/")[: i + 1])
                found = [g for g in self.store.groups.values() if g.full_path == path]
                if found:
                    parent = found[0]
                    continue
                parent = Group(self.store.next_id(), part, part, parent)
                self.store.groups[parent.id] = parent
            assert parent is not None
            return parent

    def add_member(
        self, target: Group | Project | str, user: FakeUser, access_level: int = DEVELOPER
    ) -> None:
        """Make ``user`` a member of a group or project (a path: a project, else a group)."""
        with self.store.lock:
            found: Group | Project
            if isinstance(target, str):
                try:
                    found = self.store.find_project(target)
                except ApiError:
                    found = self.store.find_group(target)
            else:
                found = target
            found.members[user.id] = access_level

    def create_project(
        self,
        full_path: str,
        *,
        files: dict[str, str] | None = None,
        default_branch: str = "main",
        visibility: str = "public",
        owner: FakeUser | None = None,
    ) -> Project:
        """A project under its group (created as needed); ``files`` make the first commit."""
        namespace_path, _, path = full_path.rpartition("/")
        with self.store.lock:
            users = {u.username: u for u in self.store.users.values()}
            namespace: Group | User
            if namespace_path in users:
                namespace = users[namespace_path]
            else:
                namespace = self.create_group(namespace_path)
            project = Project(
                self.store.next_id(),
                path,
                path,
                namespace,
                default_branch,
                visibility,
                self.store.timestamp(),
            )
            self.store.projects[project.id] = project
            if files is not None:
                author = (
                    self.store.users[owner.id]
                    if owner
                    else next(iter(self.store.users.values()), None)
                    or self.store.add_user("root", admin=True)[0]
                )
                commit = repo.make_commit(
                    self.store,
                    project,
                    parents=[],
                    tree={k: v.encode() for k, v in files.items()},
                    message="Initial commit",
                    author=author,
                )
                project.branches[default_branch] = commit.sha
            return project

    def as_user(self, user: FakeUser) -> Actor:
        return Actor(self, user)

    # --- inspecting ------------------------------------------------------------------------

    def project(self, ref: str | int) -> Project:
        with self.store.lock:
            return self.store.find_project(ref)

    def files(self, project: str | int, ref: str) -> dict[str, str]:
        """The tree at a branch or sha, as text."""
        with self.store.lock:
            p = self.store.find_project(project)
            return {k: v.decode() for k, v in repo.resolve(p, ref).tree.items()}

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, oldest first."""
        assert self._server is not None
        with self._server.log_lock:
            return list(self._server.log)

    def clear_requests(self) -> None:
        assert self._server is not None
        with self._server.log_lock:
            self._server.log.clear()

    def count(
        self, method: str | None = None, path: str | None = None, user: str | None = None
    ) -> int:
        """How many logged requests match (``path``: a regex matched in full)."""
        return sum(
            1
            for rec in self.requests
            if method in (None, rec.method)
            and user in (None, rec.user)
            and (path is None or re.fullmatch(path, rec.path))
        )

    # --- webhooks --------------------------------------------------------------------------

    @property
    def webhook_events(self) -> list[WebhookEvent]:
        with self.store.lock:
            return list(self.store.webhook_events)

    def deliver(self, url: str, secret: str | None) -> list[int]:
        """POST every event not delivered yet, in order; the receiver's statuses."""
        with self.store.lock:
            pending = self.store.webhook_events[self._delivered :]
            self._delivered = len(self.store.webhook_events)
        return [deliver(event, url, secret, instance=self.url) for event in pending]
