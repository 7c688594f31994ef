"""``GitLabForge``: the :class:`gatekeeper.forge.Forge` protocol on GitLab, with python-gitlab.

One Compose Repo project per product (``[forge.gitlab] project``, see ``settings``), ``main``
= the last published compose, one branch ``compose/<id>`` per proposed compose, holding one
commit on top of ``main``, and its merge request into ``main``.

Cost: the branch and its commit are one request (``commits.create`` with ``start_branch``
and ``force``, actions for the files that differ from ``main`` only, found by comparing git
blob ids of the rendered files with ``main``'s tree listing; the new commit's parent is
checked to be the ``main`` the actions were worked out against, and the branch is rendered
again when a publish moved ``main`` in between); the commit message ends with a
``Gatekeeper-Tree: <tree id>`` trailer, so proposing again reads two branches and nothing else.
``main``'s tree listing is kept per commit id in memory (a commit never changes).

Failures: every request has the configured timeout; 429 and 5xx answers (and timeouts) are
retried by python-gitlab itself (``retry_transient_errors`` on the client, ``obey_rate_limit``
and ``max_retries`` on each call). Each operation is safe to retry: a retried commit re-renders
(``force``), a retried MR creation's 409 finds the MR, a retried merge's 405 reads the merge
commit, and a publish retried after GitLab failed part-way (merged, then closing or re-rendering
another MR failed, so gatekeeper's store rolled back) finds the branch's MR merged: proposing
it again answers that MR (nothing re-rendered, no second MR), merging it again its merge
commit, closing a closed MR does nothing. The one hand-made retry is for notes: a note POST
is not retried blindly; after a failure the bot's marked note is looked for before posting
again (a dropped response may have created it). Errors reach the caller as :class:`GitLabError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import gitlab
from gitlab.v4.objects import Project

from gatekeeper.errors import ConfigError
from gatekeeper.forge import ForgeMR

from .errors import GitLabError, api
from .mrs import MAIN, MergeRequests
from .settings import GitLabSettings
from .signals import CLOSE_MARK, Signals
from .tree import (
    FILES_TRAILER,
    TREE_TRAILER,
    actions_for,
    blob_id,
    trailers,
    tree_id,
    with_trailers,
)

_TREE_CACHE = 16  # main trees kept (by commit id)


RENDER_ATTEMPTS = 3  # renders of a branch when main keeps moving under it


class MainMoved(Exception):
    """``main`` moved between reading it and committing on it: render again."""


class GitLabForge:
    """Compose merge requests on GitLab (``forge = "gitlab"``)."""

    name = "gitlab"

    def __init__(self, settings: GitLabSettings, client: gitlab.Gitlab | None = None) -> None:
        self.settings = settings
        self.gl = client or gitlab.Gitlab(
            settings.url,
            private_token=settings.token(),
            retry_transient_errors=True,
            timeout=settings.timeout,
            user_agent="gatekeeper-gitlab",
        )
        #: per call: python-gitlab's own retries of 429 (Retry-After) and 5xx
        self.opts: dict[str, Any] = {"obey_rate_limit": True, "max_retries": settings.max_retries}
        self._projects: dict[str, Project] = {}
        self._web_urls: dict[str, str] = {}
        self._trees: dict[tuple[str, str], dict[str, str]] = {}
        self._bot: dict[str, Any] | None = None
        #: project path -> numeric id, as GitLab answered it (never taken from a webhook)
        self.project_ids: dict[str, int] = {}
        #: its collaborators: finding a branch's MR, and what a decision shows on it
        self.mrs = MergeRequests(self.opts, self.project_ids)
        self.signals = Signals(self)

    # -- what a decision shows, and the record of project ids (see .signals, .mrs) --------
    def upsert_summary_note(self, product: str, branch: str, body: str) -> int:
        return self.signals.upsert_summary_note(product, branch, body)

    def set_gate_label(self, product: str, branch: str, verdict: str) -> None:
        self.signals.set_gate_label(product, branch, verdict)

    def set_status(self, product: str, branch: str, verdict: str) -> None:
        self.signals.set_status(product, branch, verdict)

    def remember_project_id(self, project: Project, mr: Any) -> None:
        self.mrs.remember_project_id(project, mr)

    @classmethod
    def from_app(cls, app: Any) -> GitLabForge:
        """The forge of a running gatekeeper: ``[forge.gitlab]`` validated, token read."""
        settings = GitLabSettings.from_settings(app.settings)
        settings.token()
        return cls(settings)

    # -- reading -------------------------------------------------------------------------
    def project(self, product: str) -> Project:
        """The product's project (lazy: no request)."""
        path = self.settings.project_for(product)
        if path not in self._projects:
            self._projects[path] = self.gl.projects.get(path, lazy=True)
        return self._projects[path]

    @api("reading the bot user")
    def bot(self) -> dict[str, Any]:
        """``GET /user`` once: the bot's id and username (checked against ``bot_username``)."""
        if self._bot is None:
            me: dict[str, Any] = self.gl.http_get("/user", **self.opts)  # type: ignore[assignment]
            wanted = self.settings.bot_username
            if wanted is not None and me.get("username") != wanted:
                raise ConfigError(
                    f"the token in {self.settings.token_env} belongs to {me.get('username')!r}, "
                    f"not {wanted!r}",
                    file=self.settings.source,
                    key="forge.gitlab.bot_username",
                )
            self._bot = me
        return self._bot

    def _branch(self, project: Project, branch: str) -> dict[str, Any] | None:
        """The branch's head commit (id, parent_ids, message), or None."""
        try:
            found = project.branches.get(branch, **self.opts)
        except gitlab.GitlabGetError as exc:
            if exc.response_code == 404:
                return None
            raise
        commit: dict[str, Any] = found.commit
        return commit

    def _tree(self, project: Project, sha: str) -> dict[str, str]:
        """path -> blob id of every file at commit ``sha`` (cached: a commit never changes)."""
        key = (str(project.id), sha)
        if key not in self._trees:
            entries = project.repository_tree(
                ref=sha, recursive=True, get_all=True, per_page=100, **self.opts
            )
            if len(self._trees) >= _TREE_CACHE:
                self._trees.pop(next(iter(self._trees)))
            self._trees[key] = {e["path"]: e["id"] for e in entries if e["type"] == "blob"}
        return self._trees[key]

    @api("reading main")
    def main_head(self, product: str) -> str | None:
        head = self._branch(self.project(product), MAIN)
        return None if head is None else str(head["id"])

    @api("reading the project")
    def location(self, product: str) -> str:
        path = self.settings.project_for(product)
        if path not in self._web_urls:
            data = self.gl.projects.get(path, **self.opts)
            self._web_urls[path] = str(data.web_url)
        return self._web_urls[path]

    # -- the branch ----------------------------------------------------------------------
    def _commit(
        self,
        project: Project,
        branch: str,
        base: str,
        actions: list[dict[str, str]],
        message: str,
    ) -> str:
        """One request: ``branch`` = one commit of ``actions`` on ``main`` (``start_branch``;
        force: any old content of the branch is replaced, and a retried request renders the
        same tree). ``actions`` were worked out against ``base``, ``main``'s head a moment
        ago: when ``main`` has moved since (a compose was published meanwhile), the commit
        is not what was meant, and :class:`MainMoved` tells the caller to work it out again."""
        if not actions:  # the tree is main's: the branch is main
            if self._branch(project, branch) is not None:
                project.branches.delete(branch, **self.opts)
            project.branches.create({"branch": branch, "ref": base}, **self.opts)
            return base
        try:
            commit = project.commits.create(
                {
                    "branch": branch,
                    "start_branch": MAIN,
                    "force": True,
                    "commit_message": message,
                    "actions": actions,
                },
                **self.opts,
            )
        except gitlab.GitlabCreateError as exc:  # e.g. "A file with this name already exists"
            if exc.response_code == 400 and self._head(project, MAIN) != base:
                raise MainMoved(base) from exc
            raise
        if list(commit.parent_ids) != [base]:
            raise MainMoved(base)
        return str(commit.id)

    @api("proposing the merge request")
    def propose(
        self,
        product: str,
        branch: str,
        files: Mapping[str, bytes],
        *,
        title: str,
        description: str,
        when: datetime,
        number: int | None = None,
    ) -> ForgeMR:
        """Branch ``branch`` = ``files`` as one commit on ``main``; its MR open, titled.

        Files of ``main`` outside the top-level names ``files`` uses (a README, CI
        configuration) are kept. ``when`` is not used: GitLab dates commits itself.
        """
        project = self.project(product)
        for _ in range(RENDER_ATTEMPTS - 1):
            try:
                return self._propose_once(project, branch, files, title, description)
            except MainMoved:
                continue  # render again on the new main
        return self._propose_once(project, branch, files, title, description)

    def _propose_once(
        self,
        project: Project,
        branch: str,
        files: Mapping[str, bytes],
        title: str,
        description: str,
    ) -> ForgeMR:
        base = self._head(project, MAIN)
        head = self._branch(project, branch)
        want = {path: blob_id(content) for path, content in files.items()}
        rendered = tree_id(want)
        if head is not None and head["parent_ids"] == [base]:
            said = trailers(head.get("message"))
            if said.get(FILES_TRAILER) == rendered and TREE_TRAILER in said:
                mr = self.mrs.ensure(project, branch, title, description)
                return ForgeMR(int(mr.iid), branch, str(head["id"]), said[TREE_TRAILER], base,
                               str(mr.web_url))  # fmt: skip
        if head is not None and (merged := self._merged(project, branch, head)) is not None:
            return merged
        main = self._tree(project, base)
        tops = {path.split("/", 1)[0] for path in files}
        target = {**{p: b for p, b in main.items() if p.split("/", 1)[0] not in tops}, **want}
        tree = tree_id(target)
        actions = actions_for(main, target, files)
        if actions or head is None or head["id"] != base:
            message = with_trailers(title, {FILES_TRAILER: rendered, TREE_TRAILER: tree})
            sha = self._commit(project, branch, base, actions, message)
        else:
            sha = base
        mr = self.mrs.ensure(project, branch, title, description)
        return ForgeMR(int(mr.iid), branch, sha, tree, base, str(mr.web_url))

    def _merged(self, project: Project, branch: str, head: Mapping[str, Any]) -> ForgeMR | None:
        """The branch's merged MR, as it was merged, or None: its compose is in ``main``
        already (a publish that merged it, then failed before its store transaction
        committed, is being retried), so nothing is rendered or opened again."""
        found = self.mrs.list(project, branch, state="merged")
        if not found:
            return None
        mr, sha = found[0], str(found[0].sha)
        self.mrs.remember_project_id(project, mr)
        if head["id"] == sha:
            parents = list(head["parent_ids"])
        else:
            parents = list(project.commits.get(sha, **self.opts).parent_ids)
        tree = tree_id(self._tree(project, sha))
        return ForgeMR(int(mr.iid), branch, sha, tree, str(parents[0]), str(mr.web_url))

    def _head(self, project: Project, branch: str) -> str:
        head = self._branch(project, branch)
        if head is None:
            raise GitLabError(f"project {project.id} has no branch {branch}", status=404)
        return str(head["id"])

    @api("re-rendering the branch")
    def rebase(self, product: str, branch: str, *, message: str, when: datetime) -> ForgeMR:
        """The branch's tree as one commit on the current ``main`` (force), when it is not."""
        project = self.project(product)
        for _ in range(RENDER_ATTEMPTS - 1):
            try:
                return self._rebase_once(project, branch, message)
            except MainMoved:
                continue
        return self._rebase_once(project, branch, message)

    def _rebase_once(self, project: Project, branch: str, message: str) -> ForgeMR:
        base = self._head(project, MAIN)
        head = self._branch(project, branch)
        if head is None:
            raise GitLabError(f"branch {branch} does not exist in {project.id}", status=404)
        said = trailers(head.get("message"))
        if head["parent_ids"] == [base] and TREE_TRAILER in said:
            return ForgeMR(None, branch, str(head["id"]), said[TREE_TRAILER], base)
        theirs = self._tree(project, str(head["id"]))
        main = self._tree(project, base)
        changed = sorted(p for p, b in theirs.items() if main.get(p) != b)
        content = {p: project.files.raw(p, ref=head["id"], **self.opts) for p in changed}
        actions = actions_for(main, theirs, content)
        tree = tree_id(theirs)
        said[TREE_TRAILER] = tree
        sha = self._commit(project, branch, base, actions, with_trailers(message, said))
        return ForgeMR(None, branch, sha, tree, base)

    @api("describing the merge request")
    def describe(self, product: str, branch: str, *, title: str, description: str) -> None:
        """Title and description of the open MR (nothing when there is none)."""
        project = self.project(product)
        mr = self.mrs.open(project, branch)
        if mr is not None and (mr.title != title or mr.description != description):
            project.mergerequests.update(
                mr.iid, {"title": title, "description": description}, **self.opts
            )

    @api("merging the merge request")
    def merge(self, product: str, branch: str, *, message: str, when: datetime) -> str:
        """``PUT merge`` guarded by the MR's head ``sha``; the new ``main`` commit.

        A merged MR answers its merge commit (a retry); a branch that moved since the MR was
        read is GitLab's 409, raised: nothing is merged.
        """
        project = self.project(product)
        mrs = self.mrs.list(project, branch, state="all")
        merged = [m for m in mrs if m.state == "merged"]
        opened = [m for m in mrs if m.state == "opened"]
        if not opened:
            if merged:
                return str(merged[0].merge_commit_sha)
            raise GitLabError(f"no open merge request for {branch}", status=404)
        mr = opened[0]
        try:
            mr.merge(sha=mr.sha, merge_commit_message=message, **self.opts)
        except gitlab.GitlabMRClosedError as exc:
            if exc.response_code != 405:
                raise
            mr = project.mergerequests.get(mr.iid, **self.opts)  # merged by a retried PUT?
            if mr.state != "merged":
                raise
        return str(mr.merge_commit_sha)

    @api("closing the merge request")
    def close(self, product: str, branch: str, *, reason: str) -> None:
        """A note with ``reason``, then the MR closed; nothing when it is not open."""
        project = self.project(product)
        mr = self.mrs.open(project, branch)
        if mr is None:
            return
        self.signals.upsert_note(mr, CLOSE_MARK, reason)
        project.mergerequests.update(mr.iid, {"state_event": "close"}, **self.opts)

    @api("discarding the branch")
    def discard(self, product: str, branch: str) -> None:
        """Close the MR (never recorded by gatekeeper) and delete the branch."""
        project = self.project(product)
        mr = self.mrs.open(project, branch)
        if mr is not None:
            project.mergerequests.update(mr.iid, {"state_event": "close"}, **self.opts)
        try:
            project.branches.delete(branch, **self.opts)
        except gitlab.GitlabDeleteError as exc:
            if exc.response_code != 404:
                raise
